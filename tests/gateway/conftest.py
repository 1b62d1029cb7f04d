"""The gateway as its own process (`python -m app.gateway`), in front of real llm-link builds."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import sys
import tempfile
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from app.secret import Secret
from tests.conftest import REPO_ROOT, StartLlmLink
from tests.llmlink_harness import RunningLlmLink
from tests.upstream_stub import GOOD_KEY, UpstreamStub

READY_PREFIX = "GATEWAY_READY "
START_TIMEOUT = 10.0
CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "stream": False}


@dataclass
class RunningGateway:
    proc: asyncio.subprocess.Process
    port: int
    control_path: Path
    token: str
    output: deque[str] = field(default_factory=lambda: deque(maxlen=400))
    drain: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def control(self, cmd: str, **args: Any) -> dict[str, Any]:
        """Send one command on a fresh control connection and return its answer."""
        reader, writer = await asyncio.open_unix_connection(str(self.control_path))
        try:
            writer.write(json.dumps({"cmd": cmd, "id": 1, **args}).encode() + b"\n")
            await writer.drain()
            line = await asyncio.wait_for(reader.readline(), 90)
        finally:
            writer.close()
        answer: dict[str, Any] = json.loads(line)
        return answer

    async def point_at(self, llmlink: RunningLlmLink, **args: Any) -> dict[str, Any]:
        answer = await self.control("set_upstream", port=llmlink.port, **args)
        assert answer["ok"], answer
        return answer

    async def stop(self) -> None:
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGKILL)
            await self.proc.wait()
        if self.drain is not None:
            await self.drain


StartGateway = Callable[..., Awaitable[RunningGateway]]


async def spawn_gateway(control_dir: Path, *args: str, token: str | None = None) -> asyncio.subprocess.Process:
    env = {**os.environ, "LLM_LINK_TRAY_GATEWAY_TOKEN": token or secrets.token_hex(16)}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.gateway",
        "--control",
        str(control_dir / "gw.sock"),
        *args,
        cwd=REPO_ROOT,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


@pytest.fixture
def control_dir() -> Iterator[Path]:
    """A short private folder for control sockets (pytest's tmp_path can exceed a socket path's 108 bytes)."""
    path = Path(tempfile.mkdtemp(prefix="gw-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
async def start_gateway(control_dir: Path) -> AsyncIterator[StartGateway]:
    """`await start(upstream=<RunningLlmLink>|None, hold_seconds=10, *extra_args)`: a ready gateway process."""
    started: list[RunningGateway] = []

    async def start(upstream: RunningLlmLink | None = None, *extra: str, hold_seconds: float = 10.0) -> RunningGateway:
        token = secrets.token_hex(16)
        sub = control_dir / f"g{len(started)}"
        sub.mkdir(mode=0o700)
        args = ["--listen", "127.0.0.1:0", "--hold-seconds", str(hold_seconds), *extra]
        if upstream is not None:
            args += ["--upstream", str(upstream.port)]
        proc = await spawn_gateway(sub, *args, token=token)
        assert proc.stdout is not None and proc.stderr is not None
        try:
            line = (await asyncio.wait_for(proc.stdout.readline(), START_TIMEOUT)).decode()
        except TimeoutError:
            proc.kill()
            raise
        if not line.startswith(READY_PREFIX):
            await proc.wait()
            err = (await proc.stderr.read()).decode()
            raise RuntimeError(f"gateway did not start (exit {proc.returncode}): {line}{err}")
        ready = json.loads(line.removeprefix(READY_PREFIX))
        running = RunningGateway(proc, ready["port"], sub / "gw.sock", token)

        async def drain() -> None:
            assert proc.stderr is not None
            async for raw in proc.stderr:
                running.output.append(raw.decode("utf-8", "replace").rstrip())

        running.drain = asyncio.create_task(drain())
        started.append(running)
        return running

    yield start
    for running in started:
        await running.stop()


@pytest.fixture
async def openai_llmlink(
    llmlink_binary: Path, start_llmlink_for: StartLlmLink, upstream: UpstreamStub
) -> RunningLlmLink:
    """A real llm-link of each version in Zed's mode (Ollama API in front), provider openai → the stub."""
    return await start_llmlink_for(llmlink_binary, provider="openai", api_key=Secret(GOOD_KEY), base_url=upstream.url)


async def wait_until(predicate: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    """Re-check `predicate` (a cheap query, e.g. the control socket's stats) until it holds."""
    async with asyncio.timeout(timeout):
        # Polling: the state lives in another process, which has no way to signal this one.
        while not await predicate():  # noqa: ASYNC110
            await asyncio.sleep(0.02)  # noqa: sleep-ok - poll interval of a condition wait with a deadline
