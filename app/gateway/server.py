"""The gateway process's parts wired together, and what each control command does to them."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from app.gateway.activity import Activity
from app.gateway.policy import DEFAULT_ORIGINS, Policy
from app.gateway.proxy import HangupReader, Proxy
from app.gateway.upstream import Upstreams

STOPPED_REASON: Final = "llm-link is stopped: start it from the tray"
SHUTDOWN_DRAIN: Final = 5.0


def log(message: str) -> None:
    """One line on stderr (the supervisor keeps it with llm-link's output). Never put a key in `message`."""
    print(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} gateway: {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class GatewayConfig:
    listen_host: str
    listen_port: int
    token: str
    hold_seconds: float = 10.0
    health_window: int = 20
    stopped_reason: str = STOPPED_REASON


class Gateway:
    def __init__(self, config: GatewayConfig) -> None:
        self.config = config
        self.started = time.time()
        self.upstreams = Upstreams(config.stopped_reason)
        self.activity = Activity(config.health_window)
        self.proxy = Proxy(self.upstreams, self.activity, Policy(), config.hold_seconds)
        self.port = config.listen_port
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self._stop: asyncio.Future[float] = asyncio.get_running_loop().create_future()

    async def start(self) -> None:
        """Listen on the editor-facing port; raises OSError (EADDRINUSE…) when it cannot."""
        loop = asyncio.get_running_loop()

        def protocol() -> asyncio.StreamReaderProtocol:  # asyncio.start_server's own factory, with our reader
            return asyncio.StreamReaderProtocol(HangupReader(limit=1 << 16), self._on_connection)

        self._server = await loop.create_server(protocol, self.config.listen_host, self.config.listen_port, backlog=512)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _on_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert isinstance(reader, HangupReader)  # made by `protocol` in start()
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            await self.proxy.serve_connection(reader, writer)
        finally:
            self._handlers.discard(task)

    # --- control commands (validated arguments; see control.py) ---

    def hello(self) -> dict[str, Any]:
        return {
            "token": self.config.token,
            "pid": os.getpid(),
            "listen": {"host": self.config.listen_host, "port": self.port},
            "started": self.started,
            "upstream": self._upstream_state(),
        }

    async def set_upstream(
        self, host: str, port: int, auth: str | None, label: str | None, drain_timeout: float
    ) -> dict[str, Any]:
        self.activity.reset_health(label)
        previous = self.upstreams.set(host, port, auth, label)
        log(
            f"new requests go to {host}:{port} ({label or 'no label'})"
            + (f", draining {previous.host}:{previous.port}" if previous else "")
        )
        result = await self.upstreams.drain(previous, drain_timeout)
        if result.cut:
            log(f"drain of port {result.previous_port} timed out after {drain_timeout:g}s: cut {result.cut}")
        return result.as_dict()

    def clear_upstream(self, reason: str) -> dict[str, Any]:
        self.upstreams.clear(reason)
        log(f"no upstream: {reason}")
        return {"in_flight": self.upstreams.in_flight()}

    def set_policy(self, allowed_origins: Iterable[str] | None, access_key: str | None) -> dict[str, Any]:
        policy = Policy.build(allowed_origins, access_key)  # ValueError: the control layer reports it
        self.proxy.policy = policy
        log(f"policy: {len(policy.allowed_origins)} allowed origins, access key {'on' if access_key else 'off'}")
        return {"allowed_origins": list(policy.allowed_origins), "access_key": access_key is not None}

    def stats(self) -> dict[str, Any]:
        policy = self.proxy.policy
        return {
            **self.activity.snapshot(),
            "pid": os.getpid(),
            "upstream": self._upstream_state(),
            "in_flight": self.upstreams.in_flight(),
            "connections": {
                "open": len(self.proxy.connections),
                "accepted": self.proxy.accepted,
                "upstream_opened": self.upstreams.opened,
            },
            "policy": {
                "allowed_origins": list(policy.allowed_origins),
                "defaults": policy.allowed_origins == DEFAULT_ORIGINS,
                "access_key": policy.access_key is not None,
            },
        }

    def _upstream_state(self) -> dict[str, Any]:
        current = self.upstreams.current
        if current is None:
            return {"serving": False, "reason": self.upstreams.reason}
        return {"serving": True, **current.describe()}

    # --- shutdown ---

    def request_shutdown(self, drain_timeout: float = SHUTDOWN_DRAIN) -> None:
        if not self._stop.done():
            self._stop.set_result(drain_timeout)

    async def run_until_shutdown(self) -> None:
        drain_timeout = await self._stop
        log(f"shutting down (drain up to {drain_timeout:g}s)")
        if self._server is not None:
            self._server.close()  # no new connections; the port is free for a successor at once
        self.proxy.closing = True
        self.upstreams.shut_down("llm-link-tray's gateway is shutting down")
        for down in list(self.proxy.connections):
            if down.idle:
                down.writer.close()  # between requests: nothing to lose
        if self._handlers:
            await asyncio.wait(set(self._handlers), timeout=drain_timeout)
        for task in list(self._handlers):
            task.cancel()
        for down in list(self.proxy.connections):
            down.writer.transport.abort()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*self._handlers, return_exceptions=True)
        self.upstreams.close_all()
