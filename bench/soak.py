"""Soak: switches back and forth; nothing may fail or leak (processes, file descriptors, memory)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psutil

from app.supervisor.policy import Policy
from bench.fixture import PAIRS, Counts, Row, opened_supervisor


async def soak(binary: Path, counts: Counts) -> dict[str, Any]:
    me = psutil.Process()
    async with opened_supervisor(binary, Policy()) as sup:
        failures = 0
        for i in range(min(10, counts.soak)):  # warm up before the baseline
            await sup.switch(*PAIRS[i % 2])
        rss0, fds0 = me.memory_info().rss, me.num_fds()
        for i in range(counts.soak):
            result = await sup.switch(*PAIRS[i % 2])
            failures += not result.ok
        # Ours only (our children): other runs on a shared machine start llm-links from the same builds.
        builds = str(binary.resolve().parent)
        live = [p for p in me.children(recursive=True) if _live_exe(p).startswith(builds)]
        return {
            "switches": counts.soak,
            "failures": failures,
            "llmlink_processes": len(live),
            "fd_growth": me.num_fds() - fds0,
            "rss_growth_mb": (me.memory_info().rss - rss0) / 2**20,
        }


def _live_exe(proc: psutil.Process) -> str:
    """Its executable; "" once it has ended (a zombie too) or when it cannot be read."""
    try:
        return "" if proc.status() == psutil.STATUS_ZOMBIE else str(proc.exe())
    except (psutil.NoSuchProcess, psutil.AccessDenied):  # gone meanwhile, or not ours to read
        return ""


async def run(binary: Path, counts: Counts, cold: float) -> list[Row]:
    found = await soak(binary, counts)
    ok = (
        found["failures"] == 0
        and found["llmlink_processes"] == 1
        and found["fd_growth"] <= 0
        and found["rss_growth_mb"] <= 5
    )
    return [
        Row(
            "Soak: switches back and forth",
            f"{found['switches']} switches, {found['failures']} failures, {found['llmlink_processes']} llm-link, "
            f"fds {found['fd_growth']:+d}, RSS {found['rss_growth_mb']:+.1f} MB",
            "",
            "",
            "0 failures, 1 process, no fd leak, RSS ≤ +5 MB",
            ok,
            found,
        )
    ]
