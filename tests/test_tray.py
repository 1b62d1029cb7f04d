"""The entry points start, show a tray icon and quit cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from app import __version__
from app.paths import Paths
from tests.app_process import PIPE, app_env, cli, own_display, start_app, wait_for_output, write_settings
from tests.llmlink_harness import free_port


async def _run(*args: str, env: dict[str, str] | None = None) -> asyncio.subprocess.Process:
    return await start_app(*args, env=env, stdout=PIPE)


async def test_version_needs_no_display() -> None:
    proc = await _run("--version", env={k: v for k, v in os.environ.items() if k != "DISPLAY"})
    out, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0
    assert out.decode().strip() == f"llm-link-tray {__version__}"


async def test_without_a_display_it_says_so_in_one_line(tmp_path: Path) -> None:
    """Not Qt's "xcb-cursor0 is needed", which sends people installing libraries that are already there."""
    hidden = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    env = {k: v for k, v in os.environ.items() if k not in hidden}
    proc = await start_app("--config-dir", str(tmp_path), env=env, stdout=PIPE, stderr=PIPE)
    _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 1
    assert err.decode().strip().splitlines() == [
        "llm-link-tray: llm-link-tray needs a desktop session (no $DISPLAY or $WAYLAND_DISPLAY is set); on a "
        "headless machine run llm-link as a service instead"
    ]


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


# --- the session ends under the tray ------------------------------------------------------------------------


async def _tray_until_supervising(config_dir: Path, env: dict[str, str]) -> tuple[asyncio.subprocess.Process, int]:
    """A tray that supervises a RUNNING llm-link; (the tray, llm-link's pid)."""
    tray = await start_app("--config-dir", str(config_dir), env=env)
    try:
        await wait_for_output(tray, "supervising:")
        code, out, err = await cli(config_dir, "status", "--json", env=env)
        status = json.loads(out)
        assert (code, status["state"]) == (0, "RUNNING"), err
    except BaseException:
        tray.kill()
        await tray.wait()
        raise
    return tray, status["pid"]


async def _ends_leaving_llmlink(tray: asyncio.subprocess.Process, pid: int, config_dir: Path, why: str) -> None:
    """The tray exits 0 with one line saying `why` and no traceback; llm-link runs on with its PID file."""
    assert tray.stderr is not None
    try:
        rest = (await asyncio.wait_for(tray.stderr.read(), 30)).decode(errors="replace")
        await asyncio.wait_for(tray.wait(), 30)
    finally:
        if tray.returncode is None:
            tray.kill()
            await tray.wait()
    assert tray.returncode == 0, rest
    assert "Traceback" not in rest, rest
    ours = [line for line in rest.splitlines() if "llm_link_tray.tray:" in line]
    assert len(ours) == 1 and why in ours[0] and f"llm-link (pid {pid}) keeps running" in ours[0], rest
    assert psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    assert json.loads(Paths.under(config_dir).pid_file.read_text())["pid"] == pid


async def _next_tray_adopts(config_dir: Path, pid: int, env: dict[str, str]) -> None:
    again, adopted = await _tray_until_supervising(config_dir, env)
    try:
        assert adopted == pid
    finally:
        await cli(config_dir, "quit", env=env)  # stops llm-link
        await asyncio.wait_for(again.wait(), 30)


@pytest.fixture
def leftover_llmlink() -> Iterator[list[int]]:
    """Pids to kill if a test fails while its llm-link runs without a tray."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            psutil.Process(pid).kill()


async def test_sighup_leaves_llmlink_running_for_the_next_tray(
    modern_binary: Path, tmp_path: Path, leftover_llmlink: list[int]
) -> None:
    config_dir = tmp_path / "tray"
    write_settings(config_dir, binary=str(modern_binary), port=free_port())
    env = app_env(tmp_path / "run", QT_QPA_PLATFORM="offscreen", DISPLAY="", DBUS_SESSION_BUS_ADDRESS="")
    tray, pid = await _tray_until_supervising(config_dir, env)
    leftover_llmlink.append(pid)
    tray.send_signal(signal.SIGHUP)
    await _ends_leaving_llmlink(tray, pid, config_dir, "SIGHUP")
    await _next_tray_adopts(config_dir, pid, env)


async def test_losing_the_display_leaves_llmlink_running_for_the_next_tray(
    modern_binary: Path, tmp_path: Path, leftover_llmlink: list[int]
) -> None:
    config_dir = tmp_path / "tray"
    write_settings(config_dir, binary=str(modern_binary), port=free_port())
    env = app_env(tmp_path / "run", QT_QPA_PLATFORM="xcb", DBUS_SESSION_BUS_ADDRESS="", WAYLAND_DISPLAY="")
    async with own_display() as first:
        tray, pid = await _tray_until_supervising(config_dir, {**env, "DISPLAY": first.display})
        leftover_llmlink.append(pid)
        await first.kill()
        await _ends_leaving_llmlink(tray, pid, config_dir, "the display connection was lost")
    async with own_display() as second:
        await _next_tray_adopts(config_dir, pid, {**env, "DISPLAY": second.display})


async def test_a_killed_tray_leaves_the_editors_port_serving_and_the_next_tray_adopts_it(
    modern_binary: Path, tmp_path: Path, leftover_llmlink: list[int]
) -> None:
    """The gateway and llm-link outlive a tray that dies without a word (SIGKILL): the editor goes on
    working, and the next tray takes both over instead of starting new ones."""
    config_dir, port = tmp_path / "tray", free_port()
    write_settings(config_dir, binary=str(modern_binary), port=port)
    env = app_env(tmp_path / "run", QT_QPA_PLATFORM="offscreen", DISPLAY="", DBUS_SESSION_BUS_ADDRESS="")
    tray, pid = await _tray_until_supervising(config_dir, env)
    _, out, _ = await cli(config_dir, "status", "--json", env=env)
    gateway = json.loads(out)["gateway"]["pid"]
    leftover_llmlink.extend([pid, gateway])
    tray.kill()
    await tray.wait()
    async with httpx.AsyncClient() as editor:
        for _ in range(20):  # served with no tray at all
            assert (await editor.get(f"http://127.0.0.1:{port}/api/tags")).status_code == 200
    again, adopted = await _tray_until_supervising(config_dir, env)
    try:
        _, out, _ = await cli(config_dir, "status", "--json", env=env)
        assert (adopted, json.loads(out)["gateway"]["pid"]) == (pid, gateway)
    finally:
        await cli(config_dir, "quit", env=env)  # stops both
        await asyncio.wait_for(again.wait(), 30)
    for gone in (pid, gateway):
        assert not psutil.pid_exists(gone) or psutil.Process(gone).status() == psutil.STATUS_ZOMBIE
