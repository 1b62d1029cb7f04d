"""P2: a crash (SIGKILL) → ERROR published, for llm-link as our child and as an adopted process (pidfd);
next to asyncio's own child-exit latency."""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import tempfile
import time
from dataclasses import replace
from functools import partial
from pathlib import Path

from app.supervisor.policy import Policy
from app.supervisor.state import State, Status
from app.supervisor.supervisor import Supervisor
from bench.fixture import Counts, Row, free_port, ms, new_supervisor, opened_supervisor, status_where, time_until

# Restart at once, and never call it a crash loop: every sample is one crash of a running llm-link.
POLICY = Policy(backoff_first=0.01, backoff_max=0.01, crash_loop_starts=10**9)


def _is_error(status: Status) -> bool:
    return status.state is State.ERROR


def _restarted(crashed: int | None, status: Status) -> bool:
    return status.state is State.RUNNING and status.pid not in (None, crashed)


async def detect_exit(sup: Supervisor) -> float:
    """SIGKILL llm-link; seconds until the supervisor publishes ERROR."""
    pid = sup.pid
    assert pid is not None
    return await time_until(sup, _is_error, lambda: os.kill(pid, signal.SIGKILL))


async def as_child(binary: Path, counts: Counts) -> list[float]:
    async with opened_supervisor(binary, POLICY) as sup:
        found = []
        for _ in range(counts.crashes):
            crashed = sup.pid
            found.append(await detect_exit(sup))
            await status_where(sup, partial(_restarted, crashed))
        return found


async def adopted(binary: Path, counts: Counts) -> list[float]:
    """Each sample: one supervisor starts llm-link and quits leaving it running; a second adopts it."""
    found = []
    with tempfile.TemporaryDirectory() as tmp:
        root, port = Path(tmp), free_port()
        for _ in range(counts.crashes):
            first = new_supervisor(binary, root, POLICY, port=port, model=None)
            await first.open()
            await first.close(stop_llmlink=False)
            sup = new_supervisor(binary, root, replace(POLICY, auto_restart=False), port=port, model=None)
            await sup.open()
            assert sup.status.state is State.RUNNING, sup.status
            found.append(await detect_exit(sup))
            await sup.close()
    return found


async def asyncio_exit_latency(runs: int) -> float:
    """The reference: asyncio's own kill → wait() of a child."""
    times = []
    for _ in range(runs):
        proc = await asyncio.create_subprocess_exec("sleep", "60")
        started = time.perf_counter()
        proc.kill()
        await proc.wait()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def run(binary: Path, counts: Counts, cold: float) -> list[Row]:
    child_times = await as_child(binary, counts)
    adopted_times = await adopted(binary, counts)
    reference = await asyncio_exit_latency(counts.crashes)
    rows = []
    for name, times, target in (
        ("P2 crash → state (child)", child_times, 0.010),
        ("P2 crash → state (adopted)", adopted_times, 0.050),
    ):
        med = statistics.median(times)
        rows.append(
            Row(
                name,
                f"median {ms(med)}, max {ms(max(times))}",
                f"asyncio wait() {ms(reference)}",
                f"{med / reference:.1f}x",
                f"≤ {ms(target)}",
                med <= target,
                {"median_s": med, "max_s": max(times), "samples_s": times},
            )
        )
    return rows
