"""Single instance and the command line, with real processes: the tray, a second launch, llm-link."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from tests.app_process import cli, start_app, wait_for_output, write_settings
from tests.llmlink_harness import free_port
from tests.supervisor.conftest import llmlink_processes

LaunchTray = Callable[..., Awaitable[asyncio.subprocess.Process]]


@pytest.fixture
async def launch_tray(tmp_path: Path) -> AsyncIterator[LaunchTray]:
    """Start the tray app as a user would, wait until it supervises, and quit it at the end."""
    started: list[tuple[asyncio.subprocess.Process, Path]] = []

    async def launch(binary: Path, config_dir: Path | None = None, **config: object) -> asyncio.subprocess.Process:
        config_dir = config_dir or tmp_path / "tray"
        write_settings(config_dir, **{"binary": str(binary), "port": free_port(), **config})
        proc = await start_app("--config-dir", str(config_dir))
        started.append((proc, config_dir))
        await wait_for_output(proc, "supervising:")
        return proc

    yield launch
    for proc, config_dir in started:
        if proc.returncode is None:
            await cli(config_dir, "quit")
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()


async def test_status_without_a_running_tray_says_so_and_fails(tmp_path: Path) -> None:
    code, out, err = await cli(tmp_path, "status")
    assert code == 1
    assert "not running" in err
    code, out, _ = await cli(tmp_path, "status", "--json")
    assert code == 1 and json.loads(out)["state"] == "NOT_RUNNING"


async def test_status_json_from_another_process_shows_the_live_state(
    modern_binary: Path, launch_tray: LaunchTray, tmp_path: Path
) -> None:
    await launch_tray(modern_binary, model="qwen2.5:7b")
    code, out, _ = await cli(tmp_path / "tray", "status", "--json")
    status = json.loads(out)
    assert code == 0
    assert status["state"] == "RUNNING"
    assert (status["provider"], status["model"]) == ("ollama", "qwen2.5:7b")
    assert [p.pid for p in llmlink_processes()] == [status["pid"]]
    assert status["health"]["api_ok"] and status["health"]["editor_api_ok"]
    # Garbage is collected on the GUI thread only (app/ui/main_thread_gc.py): Qt objects die where they live.
    assert status["tray"]["automatic_gc"] is False


async def test_launching_twice_leaves_one_supervisor_and_one_llmlink(
    modern_binary: Path, launch_tray: LaunchTray, tmp_path: Path
) -> None:
    first = await launch_tray(modern_binary)
    code, out, err = await cli(tmp_path / "tray")  # a second plain launch: "show"
    assert code == 0, err
    code, out, _ = await cli(tmp_path / "tray", "status", "--json")
    pid = json.loads(out)["pid"]
    assert [p.pid for p in llmlink_processes()] == [pid]
    assert first.returncode is None


async def test_cli_stop_start_and_quit_reach_the_running_tray(
    legacy_binary: Path, launch_tray: LaunchTray, tmp_path: Path
) -> None:
    tray = await launch_tray(legacy_binary)
    code, out, _ = await cli(tmp_path / "tray", "stop")
    assert code == 0 and out.startswith("Stopped")
    assert llmlink_processes() == []
    code, out, _ = await cli(tmp_path / "tray", "start")
    assert code == 0 and out.startswith("Running (PID ")
    code, _, _ = await cli(tmp_path / "tray", "quit")
    assert code == 0
    assert await asyncio.wait_for(tray.wait(), 30) == 0
    assert llmlink_processes() == []  # quit stops llm-link


async def test_sigterm_quits_gracefully_and_stops_llmlink(modern_binary: Path, launch_tray: LaunchTray) -> None:
    tray = await launch_tray(modern_binary)
    assert len(llmlink_processes()) == 1
    tray.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(tray.wait(), 30) == 0
    assert llmlink_processes() == []


async def test_a_stale_socket_from_a_killed_tray_does_not_block_the_next_one(
    modern_binary: Path, launch_tray: LaunchTray, tmp_path: Path
) -> None:
    tray = await launch_tray(modern_binary)
    os.kill(tray.pid, signal.SIGKILL)
    await tray.wait()
    again = await launch_tray(modern_binary, config_dir=tmp_path / "tray")
    code, out, _ = await cli(tmp_path / "tray", "status", "--json")
    assert code == 0 and json.loads(out)["state"] == "RUNNING"
    assert again.returncode is None


async def test_plain_status_says_why_it_is_in_error_and_what_to_do(
    modern_binary: Path, launch_tray: LaunchTray, tmp_path: Path
) -> None:
    with socket.socket() as holder:  # another program on llm-link's port
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        await launch_tray(modern_binary, port=port)
        code, out, _ = await cli(tmp_path / "tray", "status")
    assert code == 0
    headline, reason, suggestion = out.splitlines()
    assert headline.startswith("Error")
    assert reason.startswith(f"PORT_IN_USE: port {port} is already used by ") and f"(pid {os.getpid()})" in reason
    assert "Quit that program" in suggestion


async def test_a_refused_switch_is_the_last_failure_beside_a_running_state(
    modern_binary: Path, launch_tray: LaunchTray, tmp_path: Path
) -> None:
    await launch_tray(modern_binary)
    before = time.time()
    code, _, err = await cli(tmp_path / "tray", "switch", "no-such-provider")
    assert code == 1 and "CONFIG_ERROR" in err
    code, out, _ = await cli(tmp_path / "tray", "status", "--json")
    status = json.loads(out)
    assert (code, status["state"], status["error"]) == (0, "RUNNING", None)
    failure = status["last_failure"]
    assert failure["code"] == "CONFIG_ERROR" and "no-such-provider" in failure["message"]
    assert before <= failure["at"] <= time.time()
    code, out, _ = await cli(tmp_path / "tray", "status")
    headline, last, suggestion = out.splitlines()
    assert headline.startswith("Running (PID ")
    clock = time.strftime("%H:%M", time.localtime(failure["at"]))
    assert last.startswith(f"Last action failed at {clock}: CONFIG_ERROR: ") and "no-such-provider" in last
    assert "Pick one of the ten providers" in suggestion
