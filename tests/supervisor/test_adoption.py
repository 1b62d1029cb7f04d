"""A restarted tray adopts the llm-link it started before, and nothing else."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from app.errors import ErrorCode
from app.supervisor import pidfile
from app.supervisor.config import LlmLinkConfig
from app.supervisor.state import State
from tests.conftest import REPO_ROOT
from tests.llmlink_harness import free_port
from tests.supervisor.conftest import MakeSupervisor, llmlink_processes, wait_for


async def test_a_killed_supervisors_llmlink_is_adopted_not_duplicated(
    llmlink_binary: Path, make_supervisor: MakeSupervisor, tmp_path: Path, caplog: pytest.LogCaptureFixture
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
    # Both runs leave the model to llm-link: the same config, so no "another config" warning.
    assert not [r for r in caplog.records if "runs another config" in r.getMessage()]

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


# A process that claims to be llm-link in its argv (`exec -a`): argv[0] is the binary's path and it has
# `--port N`, but it is Python. With `--listen` it holds that port.
FAKER = """
import socket, sys, time
port = int(sys.argv[sys.argv.index("--port") + 1])
if "--listen" in sys.argv:
    server = socket.socket()
    server.bind(("127.0.0.1", port))
    server.listen()
print("ready", flush=True)
time.sleep(600)  # noqa: sleep-ok - the faker idles until the test kills it
"""


@pytest.mark.parametrize("holds_port", [False, True], ids=["listening-nowhere", "holding-the-port"])
async def test_a_process_faking_llmlinks_argv_is_neither_adopted_nor_signalled(
    modern_binary: Path, make_supervisor: MakeSupervisor, tmp_path: Path, holds_port: bool
) -> None:
    port = free_port()
    argv = [str(modern_binary), "-c", FAKER, "--port", str(port), *(["--listen"] if holds_port else [])]
    faker = psutil.Popen(argv, executable=sys.executable, stdout=subprocess.PIPE, text=True)
    try:
        assert faker.stdout is not None and faker.stdout.readline().strip() == "ready"
        assert faker.cmdline()[:1] == [str(modern_binary)]  # by its argv, it is our llm-link
        sup = await make_supervisor(modern_binary, port=port, root=tmp_path, open=False)
        pidfile.write(
            sup.paths.pid_file,
            pidfile.PidRecord(faker.pid, faker.create_time(), str(modern_binary), port, LlmLinkConfig().fingerprint()),
        )
        status = await sup.open()
        assert sup.pid != faker.pid
        if holds_port:
            assert status.state is State.ERROR
            assert status.error is not None and status.error.code is ErrorCode.PORT_IN_USE
            assert f"pid {faker.pid}" in status.error.message
            assert llmlink_processes() == []
        else:
            assert status.state is State.RUNNING
            assert [p.pid for p in llmlink_processes()] == [status.pid]
        await sup.close()  # a quit stops what the tray runs: never the faker
        assert faker.is_running() and faker.status() != psutil.STATUS_ZOMBIE
    finally:
        faker.kill()
        faker.wait()
        faker.stdout.close()  # type: ignore[union-attr]


async def test_llmlink_whose_binary_was_replaced_since_it_started_is_still_adopted(
    modern_binary: Path, make_supervisor: MakeSupervisor, tmp_path: Path
) -> None:
    """An upgrade while the tray is down: the file llm-link was started from is replaced, so the kernel
    names its executable "<path> (deleted)". It is still the llm-link we started (same pid and start time)."""
    binary = tmp_path / "bin" / "llm-link"
    binary.parent.mkdir()
    shutil.copy2(modern_binary, binary)
    port = free_port()
    first = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.supervisor.run_supervisor",
        str(binary),
        str(port),
        str(tmp_path / "state"),
        cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    assert first.stdout is not None
    line = (await asyncio.wait_for(first.stdout.readline(), 30)).decode().split()
    assert line[0] == "RUNNING", line
    llmlink = psutil.Process(int(line[1]))
    first.kill()  # the tray dies; llm-link runs on
    await first.wait()
    sup = None
    try:
        # What `cargo install` does: the new binary is written beside the old one and renamed over it.
        staged = binary.with_name(".llm-link.new")
        shutil.copy2(modern_binary, staged)
        os.replace(staged, binary)
        assert os.readlink(f"/proc/{llmlink.pid}/exe") == f"{os.path.realpath(binary)} (deleted)"

        sup = await make_supervisor(binary, port=port, root=tmp_path / "state")
        assert sup.status.state is State.RUNNING, sup.status
        assert sup.pid == llmlink.pid
    finally:
        # Not adopted, nobody would stop it; and its exe is outside the builds folder, where the suite's
        # leftover check does not look. (Adopted, the fixture's close stops it.)
        if (sup is None or sup.pid != llmlink.pid) and llmlink.is_running():
            llmlink.kill()
