"""P3: a hung llm-link (SIGSTOP) → DEGRADED published, with the default policy."""

from __future__ import annotations

import os
import signal
import statistics
from functools import partial
from pathlib import Path

from app.supervisor.policy import Policy
from app.supervisor.state import State, Status
from bench.fixture import Counts, Row, ms, opened_supervisor, status_where, time_until


def _is_degraded(status: Status) -> bool:
    return status.state is State.DEGRADED


async def hang_times(binary: Path, counts: Counts) -> list[float]:
    async with opened_supervisor(binary, Policy()) as sup:
        found = []
        for _ in range(counts.hangs):
            pid = sup.pid
            assert pid is not None
            try:
                found.append(await time_until(sup, _is_degraded, partial(os.kill, pid, signal.SIGSTOP)))
            finally:
                os.kill(pid, signal.SIGCONT)
            await status_where(sup, lambda s: s.state is State.RUNNING)
        return found


async def run(binary: Path, counts: Counts, cold: float) -> list[Row]:
    times = await hang_times(binary, counts)
    med = statistics.median(times)
    return [
        Row(
            "P3 hang → DEGRADED",
            f"median {ms(med)}, max {ms(max(times))}",
            "default settings",
            "",
            "≤ 3000 ms",
            max(times) <= 3.0,
            {"samples_s": times},
        )
    ]
