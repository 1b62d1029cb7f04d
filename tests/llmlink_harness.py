"""Start a real llm-link for a test through the app's own `launch()`, and always stop it.

The same pipeline the supervisor uses (spawn → this pid answers → key swap → provider and model verified), so
a test's llm-link is never started differently from the tray's.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from app.llmlink_client import DEFAULT_TIMEOUT, LlmLinkClient
from app.supervisor.config import LlmLinkConfig
from app.supervisor.contract import Contract, LaunchRequest
from app.supervisor.instance import Instance, LaunchFailed, launch
from app.supervisor.output_log import OutputLog
from app.supervisor.process import LlmLinkProcess

READY_TIMEOUT = 20.0
STOP_GRACE = 2.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningLlmLink:
    instance: Instance
    output: OutputLog
    folder: Path  # the output log's, removed on stop

    @property
    def pid(self) -> int:
        return self.instance.pid

    @property
    def port(self) -> int:
        return self.instance.port

    @property
    def proc(self) -> LlmLinkProcess:
        return self.instance.process

    @property
    def contract(self) -> Contract:
        assert self.instance.contract is not None  # launched, not adopted
        return self.instance.contract

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(
        self, *, timeout: float = DEFAULT_TIMEOUT, transport: httpx.AsyncBaseTransport | None = None
    ) -> LlmLinkClient:
        return LlmLinkClient(self.url, timeout=timeout, transport=transport)

    def log_text(self) -> str:
        return self.output.path.read_text(errors="replace") if self.output.path.exists() else ""

    async def stop(self) -> None:
        await self.instance.stop(STOP_GRACE)  # SIGCONT first, so a SIGSTOPped one ends too
        self.output.close()
        shutil.rmtree(self.folder, ignore_errors=True)


async def start_llmlink(binary: Path, request: LaunchRequest) -> RunningLlmLink:
    """llm-link for `request` (its host is always loopback), verified; its output goes to a log of its own."""
    config = LlmLinkConfig(
        provider=request.provider,
        model=request.model,
        base_url=request.base_url,
        port=request.port,
        app_mode=request.app_mode,
        binary=str(binary),
        log_level=request.log_level,
    )
    folder = Path(tempfile.mkdtemp(prefix="llm-link-test-"))
    output = OutputLog(folder / "llm-link.log")
    running = None
    try:
        instance = await launch(
            config, request.api_key, output=output, auth_key=request.auth_key, start_timeout=READY_TIMEOUT
        )
        running = RunningLlmLink(instance, output, folder)
    except LaunchFailed as exc:
        log = output.path.read_text(errors="replace") if output.path.exists() else ""
        raise RuntimeError(f"llm-link {binary} did not come up: {exc.error}\n{log}") from exc
    finally:
        if running is None:
            output.close()
            shutil.rmtree(folder, ignore_errors=True)
    return running


class CountingTransport(httpx.AsyncBaseTransport):
    """httpx's own transport, counting the requests that reached it: from then on each opens (or reuses) its
    connection. A test waits for them (`wait_entered`) to act while they are in flight."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.entered = 0
        self._arrived = asyncio.Event()
        self.closing = asyncio.Event()  # set when the client closes its transport

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.entered += 1
        self._arrived.set()
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        self.closing.set()
        await self.inner.aclose()

    async def wait_entered(self, count: int, timeout: float = 5.0) -> None:
        async def arrivals() -> None:
            while self.entered < count:
                self._arrived.clear()
                await self._arrived.wait()

        await asyncio.wait_for(arrivals(), timeout)
