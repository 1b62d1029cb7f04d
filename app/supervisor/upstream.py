"""Asking the upstream provider directly, where llm-link cannot tell us.

llm-link's `validate` answers from a built-in model list and never contacts a cloud provider; for Ollama it
falls back to that list when Ollama is down. So before a switch we ask the upstreams we can reach ourselves:
Ollama (llm-link's Ollama backend always calls `http://localhost:11434`, whatever base URL it is given), and
OpenAI-compatible custom base URLs, where `GET <base>/v1/models` with the key is what llm-link's chats will
build on (llm-link appends `/v1` itself).

Only a 2xx model list verifies. 401/403 reject the key and an upstream that does not answer refuses the
switch; any other answer (a 404 from a base URL that already ends in `/v1`, a 500, a page that is not a model
list) leaves the key "not verified", with the reason, because we cannot tell a good key from a bad one there.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Final

import httpx

from app.errors import AppError, ErrorCode, key_rejected
from app.providers import OLLAMA_DEFAULT_BASE_URL
from app.secret import Secret

log = logging.getLogger("llm_link_tray.supervisor.upstream")

TIMEOUT: Final = 5.0
# Providers whose custom base URL we can ask for a model list with the key.
BASE_URL_CHECKED: Final = ("openai", "zhipu")


@dataclass(frozen=True)
class UpstreamVerdict:
    """What asking the upstream told. `checked`: there was an upstream to ask (Ollama, a custom base URL).
    `verified`: it answered with a model list (`models`); otherwise `reason` says why it is not verified."""

    checked: bool
    verified: bool
    reason: str = ""
    url: str = ""
    models: tuple[str, ...] = ()


NOT_CHECKED: Final = UpstreamVerdict(False, False, "this provider cannot be asked from here")


def can_check(provider_id: str, base_url: str | None) -> bool:
    """Whether `probe_upstream` can ask anyone for this provider and base URL."""
    return provider_id == "ollama" or (provider_id in BASE_URL_CHECKED and bool(base_url))


async def probe_upstream(provider_id: str, key: Secret | None, base_url: str | None) -> UpstreamVerdict | AppError:
    """The verdict of the upstream, or the AppError that refuses the key (KEY_INVALID) or the upstream
    (UPSTREAM_UNREACHABLE)."""
    if provider_id == "ollama":
        return await _ask(
            f"{OLLAMA_DEFAULT_BASE_URL}/api/tags",
            None,
            "Ollama",
            "Start Ollama ('ollama serve') on port 11434, then try again.",
            "models",
        )
    if provider_id in BASE_URL_CHECKED and base_url:
        return await _ask(
            f"{base_url.rstrip('/')}/v1/models",
            key,
            base_url,
            "Check the base URL in Settings and that the server is up.",
            "data",
        )
    return NOT_CHECKED


async def _ask(url: str, key: Secret | None, name: str, suggestion: str, field: str) -> UpstreamVerdict | AppError:
    headers = {"Authorization": f"Bearer {key.reveal()}"} if key else {}
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT, trust_env=False) as client:
            response = await client.get(url, headers=headers)
    except httpx.HTTPError as exc:
        log.info("upstream %s unreachable: %s", url, type(exc).__name__)
        return AppError(ErrorCode.UPSTREAM_UNREACHABLE, f"{name} does not answer at {url}", suggestion)
    status = response.status_code
    if status in (401, 403):
        return key_rejected(f"{name} rejected the key (HTTP {status})")
    if not 200 <= status < 300:
        log.info("upstream %s answered HTTP %d: not verified", url, status)
        return UpstreamVerdict(True, False, f"{url} answered HTTP {status} instead of a model list", url)
    models = _model_names(response, field)
    if models is None:
        return UpstreamVerdict(True, False, f"{url} did not answer with a model list", url)
    return UpstreamVerdict(True, True, url=url, models=models)


def _model_names(response: httpx.Response, field: str) -> tuple[str, ...] | None:
    """The model names in an Ollama (`models[].name`) or OpenAI (`data[].id`) list; None when it is not one."""
    try:
        body: Any = response.json()
    except ValueError:
        return None
    entries = body.get(field) if isinstance(body, dict) else None
    if not isinstance(entries, list):
        return None
    names = [e.get("name") or e.get("id") for e in entries if isinstance(e, dict)]
    return tuple(str(n) for n in names if n)
