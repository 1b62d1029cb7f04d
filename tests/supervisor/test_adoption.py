"""A restarted tray adopts the llm-link it started before, and nothing else."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import psutil

from app.errors import ErrorCode
from app.supervisor import pidfile
from app.supervisor.config import LlmLinkConfig
from app.supervisor.state import State
from tests.conftest import REPO_ROOT
from tests.llmlink_harness import free_port
from tests.supervisor.conftest import MakeSupervisor, llmlink_processes, wait_for


async def test_a_killed_supervisors_llmlink_is_adopted_not_duplicated(
    llmlink_binary: Path, make_supervisor: MakeSupervisor, tmp_path: Path
) -> None:
    port = free_port()
    first = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.supervisor.run_supervisor",
        str(llmlink_binary),
        str(port),
        str(tmp_path),
        cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    assert first.stdout is not None
    line = (await asyncio.wait_for(first.stdout.readline(), 30)).decode().split()
    assert line[0] == "RUNNING", line
    llmlink_pid = int(line[1])
    first.kill()  # SIGKILL: no chance to clean up
    await first.wait()

    sup = await make_supervisor(llmlink_binary, port=port, root=tmp_path)
    assert sup.status.state is State.RUNNING, sup.status
    assert sup.pid == llmlink_pid
    assert [p.pid for p in llmlink_processes()] == [llmlink_pid]

    # Its exit is still noticed at once, though it is not our child: crash, then a restart.
    os.kill(llmlink_pid, signal.SIGKILL)
    crashed = await wait_for(sup, lambda s: s.state is State.ERROR)
    assert crashed.error is not None and crashed.error.code is ErrorCode.CRASHED
    back = await wait_for(sup, lambda s: s.state is State.RUNNING and s.pid != llmlink_pid)
    assert [p.pid for p in llmlink_processes()] == [back.pid]


async def test_a_pid_file_naming_an_unrelated_process_is_ignored(
    modern_binary: Path, make_supervisor: MakeSupervisor, tmp_path: Path
) -> None:
    bystander = await asyncio.create_subprocess_exec("sleep", "300")
    try:
        port = free_port()
        sup = await make_supervisor(modern_binary, port=port, root=tmp_path, open=False)
        pidfile.write(
            sup.paths.pid_file,
            pidfile.PidRecord(
                bystander.pid,
                psutil.Process(bystander.pid).create_time(),
                str(modern_binary),
                port,
                LlmLinkConfig().fingerprint(),
            ),
        )
        status = await sup.open()
        assert status.state is State.RUNNING
        assert sup.pid != bystander.pid
        assert bystander.returncode is None
        assert psutil.Process(bystander.pid).status() != psutil.STATUS_ZOMBIE  # never signalled
    finally:
        bystander.kill()
        await bystander.wait()


async def test_a_reused_pid_is_not_adopted(
    modern_binary: Path, make_supervisor: MakeSupervisor, tmp_path: Path
) -> None:
    """Our llm-link's pid, binary and port, but another start time: the pid was reused. Hands off."""
    other = await make_supervisor(modern_binary, root=tmp_path / "other")
    assert other.pid is not None
    sup = await make_supervisor(modern_binary, root=tmp_path, open=False, port=free_port())
    pidfile.write(
        sup.paths.pid_file,
        pidfile.PidRecord(
            other.pid,
            psutil.Process(other.pid).create_time() - 3600,
            str(modern_binary),
            other.config.port,
            LlmLinkConfig().fingerprint(),
        ),
    )
    status = await sup.open()
    assert status.state is State.RUNNING
    assert sup.pid != other.pid
    assert other.status.state is State.RUNNING and psutil.pid_exists(other.pid)
