"""The entry points start, show a tray icon and quit cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

from app import __version__
from tests.app_process import PIPE, start_app


async def _run(*args: str, env: dict[str, str] | None = None) -> asyncio.subprocess.Process:
    return await start_app(*args, env=env, stdout=PIPE)


async def test_version_needs_no_display() -> None:
    proc = await _run("--version", env={k: v for k, v in os.environ.items() if k != "DISPLAY"})
    out, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0
    assert out.decode().strip() == f"llm-link-tray {__version__}"


async def test_tray_starts_and_quits_on_sigterm(tmp_path: Path) -> None:
    env = dict(os.environ)
    if not env.get("DISPLAY"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    proc = await _run("--config-dir", str(tmp_path), env=env)
    assert proc.stderr is not None
    seen: list[str] = []

    async def wait_for_tray() -> None:
        assert proc.stderr is not None
        async for raw in proc.stderr:
            seen.append(raw.decode(errors="replace"))
            if "tray shown" in seen[-1]:
                return
        raise AssertionError(f"exited before showing the tray: {''.join(seen)}")

    try:
        await asyncio.wait_for(wait_for_tray(), 30)
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, "".join(seen)
    if not any("tray host available: True" in line for line in seen):
        # No tray host: supervising goes on, and the user is told once how to get a tray.
        assert sum("WARNING" in line and "AppIndicator" in line for line in seen) == 1, "".join(seen)
