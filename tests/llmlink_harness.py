"""Start a real llm-link for a test, through the app's own launch contract, and always reap it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from app.llmlink_client import LlmLinkClient
from app.supervisor.contract import Contract, LaunchPlan, LaunchRequest, build_launch, detect_contract

READY_TIMEOUT = 20.0
# llm-link prints this once its listener is bound (0.3.x and 0.7.x alike).
READY_LINE = "is listening on"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningLlmLink:
    binary: Path
    contract: Contract
    plan: LaunchPlan
    proc: asyncio.subprocess.Process
    output: deque[str] = field(default_factory=lambda: deque(maxlen=400))
    drain: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def url(self) -> str:
        return f"http://{self.plan.host}:{self.plan.port}"

    def client(self, **kwargs: float) -> LlmLinkClient:
        return LlmLinkClient(self.url, **kwargs)

    def log_text(self) -> str:
        return "\n".join(self.output)

    async def stop(self) -> None:
        if self.proc.returncode is None:
            # SIGKILL also ends a SIGSTOPped process; llm-link has no graceful shutdown to wait for.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            await self.proc.wait()
        if self.drain is not None:
            await self.drain


async def start_llmlink(binary: Path, request: LaunchRequest) -> RunningLlmLink:
    """Spawn llm-link for `request`, wait until it listens, apply the key swap the contract asks for."""
    contract = await detect_contract(binary)
    plan = build_launch(contract, request)
    proc = await asyncio.create_subprocess_exec(
        str(binary),
        *plan.argv,
        env=dict(plan.env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    running = RunningLlmLink(binary, contract, plan, proc)
    ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def drain() -> None:
        assert proc.stdout is not None
        async for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip()
            running.output.append(line)
            if READY_LINE in line and not ready.done():
                ready.set_result(None)
        if not ready.done():
            ready.set_exception(RuntimeError("llm-link exited before listening"))

    running.drain = asyncio.create_task(drain())
    try:
        await asyncio.wait_for(asyncio.shield(ready), READY_TIMEOUT)
        if plan.key_swap is not None:
            swap = plan.key_swap
            async with running.client() as client:
                result = await client.update_key(swap.provider, swap.api_key, base_url=swap.base_url)
            if not result.succeeded:
                raise RuntimeError(f"key swap refused: {result.message}")
    except BaseException as exc:
        await running.stop()
        raise RuntimeError(f"llm-link {plan.argv} did not come up: {exc}\n{running.log_text()}") from exc
    return running
