"""The reference most figures stand next to: llm-link's own cold start, spawn → first 200 from /api/health."""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from pathlib import Path

import httpx

from app.supervisor.contract import detect_contract
from bench.fixture import PAIRS, Row, free_port, kill, ms, spawn_llmlink


async def cold_start(binary: Path, runs: int) -> list[float]:
    """Seconds from spawn to the first 200, polled as fast as the loop allows (no supervisor in between)."""
    await detect_contract(binary)  # --help once, outside the timing
    times = []
    for _ in range(runs):
        port = free_port()
        async with httpx.AsyncClient(trust_env=False) as http:
            started = time.perf_counter()
            proc = await spawn_llmlink(binary, port, *PAIRS[0])
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(f"http://127.0.0.1:{port}/api/health", timeout=1)).status_code == 200:
                        break
                await asyncio.sleep(0.0005)
            times.append(time.perf_counter() - started)
            await kill(proc)
    return times


async def run(binary: Path, runs: int) -> tuple[float, Row]:
    """The median cold start and its row."""
    samples = await cold_start(binary, runs)
    cold = statistics.median(samples)
    row = Row(
        "llm-link cold start (reference)",
        ms(cold),
        f"{len(samples)} runs",
        "",
        "",
        None,
        {"median_s": cold, "samples_s": samples},
    )
    return cold, row
