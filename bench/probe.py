"""P4: one full probe of a running llm-link (what a poll or Refresh costs), and a status read from the
store's cache (what the CLI's `status` and every render cost)."""

from __future__ import annotations

import time
from pathlib import Path

from app.supervisor.policy import Policy
from bench.fixture import Counts, Row, ms, opened_supervisor, pct

# No polling (nothing probes behind the samples' backs), and a cache that stays fresh for the reads.
POLICY = Policy(poll_enabled=False, status_ttl=3600)


async def probe_times(binary: Path, counts: Counts) -> tuple[list[float], list[float]]:
    async with opened_supervisor(binary, POLICY) as sup:
        full = []
        for _ in range(counts.probes):
            started = time.perf_counter()
            await sup.refresh_now()  # probe and publish
            full.append(time.perf_counter() - started)
        cached = []
        for _ in range(counts.cached_reads):
            started = time.perf_counter()
            await sup.store.get()
            cached.append(time.perf_counter() - started)
        return full, cached


async def run(binary: Path, counts: Counts, cold: float) -> list[Row]:
    full, cached = await probe_times(binary, counts)
    p50, p99, c50 = pct(full, 0.5), pct(full, 0.99), pct(cached, 0.5)
    return [
        Row(
            "P4 full probe",
            f"p50 {ms(p50)}, p99 {ms(p99)}",
            "",
            "",
            "p50 ≤ 5 ms",
            p50 <= 0.005,
            {"p50_s": p50, "p99_s": p99},
        ),
        Row("P4 cached status read", f"p50 {c50 * 1e6:.1f} µs", "", "", "≤ 0.1 ms", c50 <= 0.0001, {"p50_s": c50}),
    ]
