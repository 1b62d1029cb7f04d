"""Start, stop, crash, hang and port conflicts, against real llm-link 0.7.0 and 0.3.x."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import psutil
import pytest

from app.errors import ErrorCode
from app.supervisor.state import State
from tests.supervisor.conftest import FAST, MakeSupervisor, llmlink_processes, wait_for


async def test_start_reaches_running_with_every_check_green(
    llmlink_binary: Path, make_supervisor: MakeSupervisor
) -> None:
    sup = await make_supervisor(llmlink_binary, provider="zhipu", model="glm-4-air")
    status = sup.status
    assert status.state is State.RUNNING, status
    assert status.pid == sup.pid and psutil.pid_exists(status.pid)
    assert (status.provider, status.model, status.port) == ("zhipu", "glm-4-air", sup.config.port)
    assert status.details.summary() == "PID ✓, Port ✓, API ✓"
    assert status.details.editor_api_ok  # `/api/tags` answers: Zed can connect
    assert status.headline().startswith(f"Running (PID {status.pid})")
    assert "is listening on" in sup.log_path.read_text()


async def test_stop_is_not_a_crash_and_frees_the_port(llmlink_binary: Path, make_supervisor: MakeSupervisor) -> None:
    sup = await make_supervisor(llmlink_binary)
    pid, port = sup.pid, sup.config.port
    status = await sup.stop()
    assert status.state is State.STOPPED and status.error is None
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0
    assert not sup.paths.pid_file.exists()
    restarted = await sup.start()
    assert restarted.state is State.RUNNING and restarted.pid != pid


async def test_sigkill_is_a_crash_then_a_restart(llmlink_binary: Path, make_supervisor: MakeSupervisor) -> None:
    sup = await make_supervisor(llmlink_binary)
    first = sup.pid
    assert first is not None
    os.kill(first, signal.SIGKILL)
    crashed = await wait_for(sup, lambda s: s.state is State.ERROR)
    assert crashed.error is not None and crashed.error.code is ErrorCode.CRASHED
    assert "SIGKILL" in crashed.error.message
    back = await wait_for(sup, lambda s: s.state is State.RUNNING and s.pid not in (None, first))
    assert back.error is None
    assert [p.pid for p in llmlink_processes()] == [back.pid]


async def test_a_user_stop_suspends_auto_restart(llmlink_binary: Path, make_supervisor: MakeSupervisor) -> None:
    sup = await make_supervisor(llmlink_binary)
    await sup.stop()
    assert sup.status.state is State.STOPPED
    # Nothing is scheduled: no restart task, and a refresh keeps it STOPPED.
    assert not sup.restart_pending
    assert (await sup.refresh_now()).state is State.STOPPED
    assert llmlink_processes() == []


@pytest.fixture
def exits_at_once(modern_binary: Path, tmp_path: Path) -> Path:
    """Answers --help like llm-link 0.7.0, then exits 3 whenever it is started."""
    script = tmp_path / "llm-link"
    script.write_text(
        f'#!/bin/sh\n[ "$1" = --help ] && exec "{modern_binary}" --help\necho "boom: bad day" >&2\n'
        'echo $$ >> "$0.starts"\nexit 3\n'
    )
    script.chmod(0o755)
    return script


async def test_a_binary_that_exits_at_once_ends_in_crash_loop_without_busy_looping(
    exits_at_once: Path, make_supervisor: MakeSupervisor
) -> None:
    started = time.monotonic()
    sup = await make_supervisor(exits_at_once)
    status = await wait_for(sup, lambda s: s.error is not None and s.error.code is ErrorCode.CRASH_LOOP)
    elapsed = time.monotonic() - started
    starts = Path(f"{exits_at_once}.starts").read_text().split()
    assert status.state is State.ERROR
    assert len(starts) == FAST.crash_loop_starts
    # Four waits between five starts, doubling from backoff_first: 0.05 + 0.1 + 0.2 + 0.4.
    assert elapsed >= 0.75
    assert any("boom: bad day" in line for line in status.error.details)  # type: ignore[union-attr]
    assert not sup.restart_pending


async def test_sigstop_is_degraded_and_sigcont_running_again(
    llmlink_binary: Path, make_supervisor: MakeSupervisor
) -> None:
    sup = await make_supervisor(llmlink_binary)
    pid = sup.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    try:
        degraded = await wait_for(sup, lambda s: s.state is State.DEGRADED)
        assert degraded.details.pid_ok and degraded.details.port_ok and not degraded.details.api_ok
    finally:
        os.kill(pid, signal.SIGCONT)
    running = await wait_for(sup, lambda s: s.state is State.RUNNING)
    assert running.pid == pid


@pytest.fixture
def foreign_listener() -> Iterator[psutil.Popen]:
    """Another program (Python's http.server) holding a port; it says so once it listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = psutil.Popen(
        [sys.executable, "-u", "-m", "http.server", "--bind", "127.0.0.1", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    assert "Serving HTTP" in proc.stdout.readline()  # printed after bind+listen (or EOF if it died)
    proc.port = port
    yield proc
    proc.kill()
    proc.wait()
    proc.stdout.close()


async def test_a_foreign_listener_is_named_and_left_alone(
    llmlink_binary: Path, make_supervisor: MakeSupervisor, foreign_listener: psutil.Popen
) -> None:
    sup = await make_supervisor(llmlink_binary, port=foreign_listener.port)  # type: ignore[attr-defined]
    status = sup.status
    assert status.state is State.ERROR
    assert status.error is not None and status.error.code is ErrorCode.PORT_IN_USE
    assert f"pid {foreign_listener.pid}" in status.error.message
    assert "http.server" in status.error.message
    assert foreign_listener.is_running() and foreign_listener.status() != psutil.STATUS_ZOMBIE
    assert llmlink_processes() == []


async def test_a_process_that_ignores_sigterm_is_killed_after_the_grace(tmp_path: Path) -> None:
    from app.supervisor.contract import LaunchPlan
    from app.supervisor.output_log import OutputLog
    from app.supervisor.process import spawn

    # The script says "ready" through a FIFO only once its trap is set: a SIGTERM sent before that would end it
    # at once (this test failed 4 runs in 30 when it did not wait for the trap).
    ready = tmp_path / "ready"
    os.mkfifo(ready)
    stubborn = tmp_path / "stubborn"
    stubborn.write_text(f"#!/bin/sh\ntrap '' TERM\necho ready > '{ready}'\nwhile :; do sleep 1; done\n")
    stubborn.chmod(0o755)
    output = OutputLog(tmp_path / "out.log")
    proc = await spawn(stubborn, LaunchPlan((), {"PATH": os.environ["PATH"]}, None, "127.0.0.1", 1), output)
    # Opening a FIFO for reading blocks until the writer opens it: a wait on the event, not a sleep.
    assert await asyncio.wait_for(asyncio.to_thread(ready.read_text), 10) == "ready\n"
    started = time.monotonic()
    outcome = await proc.stop(grace=0.5)
    output.close()
    assert outcome.requested
    assert outcome.signal == signal.SIGKILL
    assert time.monotonic() - started >= 0.5


async def test_degraded_for_too_long_is_restarted(llmlink_binary: Path, make_supervisor: MakeSupervisor) -> None:
    sup = await make_supervisor(llmlink_binary, policy=replace(FAST, degraded_restart_after=1.0))
    frozen = sup.pid
    assert frozen is not None
    os.kill(frozen, signal.SIGSTOP)
    await wait_for(sup, lambda s: s.state is State.DEGRADED)
    back = await wait_for(sup, lambda s: s.state is State.RUNNING and s.pid not in (None, frozen))
    assert not psutil.pid_exists(frozen) or psutil.Process(frozen).status() == psutil.STATUS_ZOMBIE
    assert [p.pid for p in llmlink_processes()] == [back.pid]


async def test_a_missing_binary_is_exe_not_found(tmp_path: Path, make_supervisor: MakeSupervisor) -> None:
    sup = await make_supervisor(tmp_path / "no-such-llm-link")
    assert sup.status.state is State.ERROR
    assert sup.status.error is not None and sup.status.error.code is ErrorCode.EXE_NOT_FOUND
    assert "cargo install llm-link" in sup.status.error.suggestion
    assert not sup.restart_pending  # retrying cannot help: no busy loop


async def test_a_provider_without_a_stored_key_is_key_missing(
    modern_binary: Path, make_supervisor: MakeSupervisor
) -> None:
    sup = await make_supervisor(modern_binary, provider="anthropic")
    assert sup.status.state is State.ERROR
    assert sup.status.error is not None and sup.status.error.code is ErrorCode.KEY_MISSING
    assert llmlink_processes() == []
