"""Asking the upstream provider directly, where llm-link cannot tell us.

llm-link's `validate` answers from a built-in model list and never contacts a cloud provider; for Ollama it
falls back to that list when Ollama is down. So before a switch we ask the upstreams we can reach ourselves:
Ollama (llm-link's Ollama backend always calls `http://localhost:11434`, whatever base URL it is given), and
OpenAI-compatible custom base URLs, where `GET /v1/models` with the key tells a bad key (401) from a good one.
"""

from __future__ import annotations

import logging
from typing import Final

import httpx

from app.errors import AppError, ErrorCode, key_rejected
from app.providers import OLLAMA_DEFAULT_BASE_URL
from app.secret import Secret

log = logging.getLogger("llm_link_tray.supervisor.upstream")

TIMEOUT: Final = 5.0


async def check_upstream(provider_id: str, key: Secret | None, base_url: str | None) -> AppError | None:
    """None when the upstream answers (or cannot be checked from here); otherwise what is wrong."""
    if provider_id == "ollama":
        return await _check(
            f"{OLLAMA_DEFAULT_BASE_URL}/api/tags",
            None,
            "Ollama",
            "Start Ollama (`ollama serve`) on port 11434, then try again.",
        )
    if provider_id in ("openai", "zhipu") and base_url:
        return await _check(
            f"{base_url.rstrip('/')}/v1/models",
            key,
            base_url,
            "Check the base URL in Settings and that the server is up.",
        )
    return None


async def _check(url: str, key: Secret | None, name: str, suggestion: str) -> AppError | None:
    headers = {"Authorization": f"Bearer {key.reveal()}"} if key else {}
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT, trust_env=False) as client:
            response = await client.get(url, headers=headers)
    except httpx.HTTPError as exc:
        log.info("upstream %s unreachable: %s", url, type(exc).__name__)
        return AppError(ErrorCode.UPSTREAM_UNREACHABLE, f"{name} does not answer at {url}", suggestion)
    if response.status_code in (401, 403):
        return key_rejected(f"{name} rejected the key (HTTP {response.status_code})")
    return None
