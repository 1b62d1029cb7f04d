"""P5 and P6: the whole app (`python -m app`, offscreen) — launch → RUNNING, then idle CPU and memory."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from bench.fixture import REPO, Counts, Row, free_port, ms

SETTLE = 1.0  # after launch, before the idle measure: start-up work (first poll, imports) finishes


async def launch_tray(binary: Path, root: Path, port: int) -> tuple[asyncio.subprocess.Process, float]:
    """Start the tray on its own config dir; seconds until it logs "supervising: Running"."""
    (root / "config").mkdir(parents=True, exist_ok=True)
    (root / "config" / "settings.json").write_text(
        json.dumps({"llmlink": {"binary": str(binary), "port": port, "provider": "ollama", "model": "llama2"}})
    )
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        "--config-dir",
        str(root),
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    async for raw in proc.stderr:
        if b"supervising: Running" in raw:
            return proc, time.perf_counter() - started
        if b"supervising:" in raw:
            raise RuntimeError(raw.decode())
    raise RuntimeError("tray exited before supervising")


async def quit_tray(proc: asyncio.subprocess.Process, root: Path) -> None:
    """`llm-link-tray quit`, as a user would, then wait for the tray to end."""
    quitter = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        "--config-dir",
        str(root),
        "quit",
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    await quitter.wait()
    await asyncio.wait_for(proc.wait(), 30)


async def idle_use(pid: int, seconds: float) -> dict[str, float]:
    """CPU share and RSS of process `pid` over `seconds` of doing nothing."""
    tray = psutil.Process(pid)
    await asyncio.sleep(SETTLE)
    before = tray.cpu_times()
    started = time.perf_counter()
    await asyncio.sleep(seconds)  # the measuring window itself
    after = tray.cpu_times()
    wall = time.perf_counter() - started
    return {
        "cpu_percent": 100 * (after.user + after.system - before.user - before.system) / wall,
        "rss_mb": tray.memory_info().rss / 2**20,
        "seconds": wall,
    }


async def run(binary: Path, counts: Counts, cold: float) -> list[Row]:
    launches = []
    idle: dict[str, float] = {}
    for i in range(counts.launches):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            proc, took = await launch_tray(binary, root, free_port())
            launches.append(took)
            if i == counts.launches - 1:
                idle = await idle_use(proc.pid, counts.idle_seconds)
            await quit_tray(proc, root)
    launch = statistics.median(launches)
    return [
        Row(
            "P5 idle CPU (tray, llm-link RUNNING)",
            f"{idle['cpu_percent']:.3f} %",
            f"over {idle['seconds']:.0f} s",
            "",
            "≤ 0.2 %",
            idle["cpu_percent"] <= 0.2,
            idle,
        ),
        Row(
            "P5 idle RSS",
            f"{idle['rss_mb']:.1f} MB",
            "bare PySide6 tray ≈ 77 MB",
            f"{idle['rss_mb'] / 77:.2f}x",
            "≤ 90 MB",
            idle["rss_mb"] <= 90,
            idle,
        ),
        Row(
            "P6 launch → RUNNING, minus cold start",
            ms(launch - cold),
            f"launch {ms(launch)}, cold {ms(cold)}",
            "",
            "≤ 600 ms",
            launch - cold <= 0.6,
            {"launch_s": launch, "samples_s": launches},
        ),
    ]
