"""Health probing: PID, port, API and the editor-facing route, in one `HealthDetails`."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from typing import Final

import psutil

from app.llmlink_client import LlmLinkClient, LlmLinkError
from app.supervisor.state import HealthDetails

PROBE_TIMEOUT: Final = 1.0

# Sent with the editor-route check, so llm-link's log can leave out its banner like a health poll's
# (app/supervisor/output_log.py, which keeps its own copy of the value).
PROBE_USER_AGENT: Final = "llm-link-tray-probe"

# The route an editor calls first, per protocol: answering it means an editor can really connect.
EDITOR_ROUTES: Final = {"ollama": "/api/tags", "openai": "/v1/models", "anthropic": "/v1/models"}


@dataclass(frozen=True)
class Identity:
    """Who the process is: a pid alone can be reused by an unrelated program."""

    pid: int
    create_time: float


def pid_alive(identity: Identity) -> bool:
    try:
        proc = psutil.Process(identity.pid)
        # create_time is rounded differently by sources; a reused pid differs by far more than this.
        return bool(proc.status() != psutil.STATUS_ZOMBIE and abs(proc.create_time() - identity.create_time) < 0.5)
    except psutil.Error:
        return False


async def port_open(host: str, port: int, timeout: float = PROBE_TIMEOUT) -> bool:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True


async def probe(
    client: LlmLinkClient,
    host: str,
    port: int,
    identity: Identity | None,
    *,
    editor_route: str | None = None,
    auth_key: str | None = None,
    timeout: float = PROBE_TIMEOUT,
) -> HealthDetails:
    """One full check. Never raises: what failed is in the result.

    The API and the editor route are asked at once (each HTTP round trip costs ~2 ms through httpx); an API
    that answers proves the port open, so the separate TCP check runs only when it does not.
    """
    started = time.perf_counter()
    pid_ok = pid_alive(identity) if identity else None
    api_ok, api_pid, provider, model, instance_id, problem = False, None, None, None, None, None
    editor_ok: bool | None = None
    editor_check = (
        asyncio.ensure_future(_editor_route_answers(client, editor_route, auth_key, timeout)) if editor_route else None
    )
    try:
        try:
            health = await client.health(timeout=timeout)
        except LlmLinkError as exc:
            problem = exc.message
        else:
            api_ok, api_pid, instance_id = health.status == "ok", health.pid, health.instance_id
            provider, model = health.provider, health.model
        if editor_check is not None:
            editor_ok = await editor_check
            if api_ok and not editor_ok:
                problem = f"the editor route {editor_route} does not answer"
            if not api_ok:
                editor_ok = None
    finally:
        if editor_check is not None and not editor_check.done():
            # A cancelled probe (the monitor stopping) takes its second request with it: left running, it used a
            # client its owner was closing meanwhile (see LlmLinkClient.aclose).
            editor_check.cancel()
            await asyncio.gather(editor_check, return_exceptions=True)
    port_ok = api_ok or await port_open(host, port, timeout)
    if not port_ok and identity is not None and pid_ok:
        problem = f"nothing listens on {host}:{port}"
    return HealthDetails(
        pid=identity.pid if identity else None,
        pid_ok=pid_ok,
        port_ok=port_ok,
        api_ok=api_ok,
        api_pid=api_pid,
        editor_api_ok=editor_ok,
        provider=provider,
        model=model,
        instance_id=instance_id,
        problem=problem,
        duration_ms=(time.perf_counter() - started) * 1e3,
    )


async def _editor_route_answers(client: LlmLinkClient, route: str, auth_key: str | None, timeout: float) -> bool:
    headers = {"User-Agent": PROBE_USER_AGENT}
    if auth_key:
        headers["Authorization"] = f"Bearer {auth_key}"
    try:
        return await client.status_of(route, headers=headers, timeout=timeout) == 200
    except LlmLinkError:
        return False
