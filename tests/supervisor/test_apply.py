"""Settings' Apply, on real llm-link: a changed launch (port, binary, …) gets a new instance, and one that cannot
start leaves the old instance running, never "nothing runs" (issue 10). Also the one way policy changes."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import psutil
import pytest

from app.controller import Controller
from app.errors import ErrorCode
from app.keys import KeyStore
from app.llmlink_client import LlmLinkClient
from app.paths import Paths
from app.settings import Settings
from app.supervisor import pidfile
from app.supervisor.policy import Policy
from app.supervisor.restarts import Backoff
from app.supervisor.state import State, Status
from tests.llmlink_harness import free_port
from tests.supervisor.conftest import FAST, MakeSupervisor, llmlink_processes, wait_for


async def _answering_pid(port: int) -> int:
    """The pid of the llm-link that answers on `port`."""
    async with LlmLinkClient(f"http://127.0.0.1:{port}") as client:
        return (await client.health()).pid


def _gone(pid: int) -> bool:
    return not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port another program listens on."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


async def test_a_missing_binary_keeps_the_old_instance_running(
    llmlink_binary: Path, make_supervisor: MakeSupervisor, tmp_path: Path
) -> None:
    sup = await make_supervisor(llmlink_binary, provider="zhipu", model="glm-4-air")
    pid, before = sup.pid, sup.config
    started = time.time()
    result = await sup.apply(replace(before, binary=str(tmp_path / "no-such-llm-link")), None)
    assert not result.ok and result.error is not None
    assert result.error.cause is ErrorCode.EXE_NOT_FOUND and "EXE_NOT_FOUND" not in result.error.message
    status = sup.status
    assert (status.state, status.pid, status.error) == (State.RUNNING, pid, None)
    assert status.last_failure is not None and status.last_failure.error == result.error
    assert started <= status.last_failure.at
    assert sup.config == before
    assert await _answering_pid(before.port) == pid
    assert [p.pid for p in llmlink_processes()] == [pid]


async def test_a_taken_port_keeps_the_old_instance(
    llmlink_binary: Path, make_supervisor: MakeSupervisor, taken_port: int
) -> None:
    sup = await make_supervisor(llmlink_binary, provider="zhipu", model="glm-4-air")
    pid, before = sup.pid, sup.config
    result = await sup.apply(replace(before, port=taken_port), None)
    assert not result.ok and result.error is not None and result.error.cause is ErrorCode.PORT_IN_USE
    status = sup.status
    assert (status.state, status.pid, status.port, status.error) == (State.RUNNING, pid, before.port, None)
    assert status.last_failure is not None and status.last_failure.error == result.error
    assert sup.config == before
    assert await _answering_pid(before.port) == pid
    record = pidfile.read(sup.paths.pid_file)
    assert record is not None and (record.pid, record.port) == (pid, before.port)


async def test_a_good_port_change_moves_llmlink(llmlink_binary: Path, make_supervisor: MakeSupervisor) -> None:
    sup = await make_supervisor(llmlink_binary, provider="zhipu", model="glm-4-air")
    old_pid, old_port, new_port = sup.pid, sup.config.port, free_port()
    assert old_pid is not None
    result = await sup.apply(replace(sup.config, port=new_port), None)
    assert result.ok, result.error
    status = sup.status
    assert (status.state, status.port, status.provider, status.model) == (
        State.RUNNING,
        new_port,
        "zhipu",
        "glm-4-air",
    )
    assert status.pid not in (None, old_pid) and status.last_failure is None
    assert sup.config.port == new_port
    assert await _answering_pid(new_port) == status.pid
    assert _gone(old_pid)
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", old_port)) != 0
    record = pidfile.read(sup.paths.pid_file)
    assert record is not None and (record.pid, record.port) == (status.pid, new_port)
    assert [p.pid for p in llmlink_processes()] == [status.pid]


async def test_a_log_level_change_on_the_same_port_restarts_and_a_failed_one_rolls_back(
    modern_binary: Path, make_supervisor: MakeSupervisor
) -> None:
    """Same port: the new instance can only start once the old one stopped; if it cannot start the old config
    runs again (a new process, the same config)."""
    sup = await make_supervisor(modern_binary, provider="zhipu", model="glm-4-air")
    old_pid = sup.pid
    result = await sup.apply(replace(sup.config, log_level="debug"), None)
    assert result.ok and result.path == "restart", result.error
    assert sup.status.pid != old_pid and sup.config.log_level == "debug"

    frozen: list[int] = []

    def freeze(status: Status) -> None:
        if status.state is State.STARTING and status.pid is not None and status.pid != sup.pid and not frozen:
            frozen.append(status.pid)
            psutil.Process(status.pid).suspend()  # SIGSTOP: it never answers

    sup.set_policy(replace(sup.policy, start_timeout=1.5))
    leave = sup.store.subscribe(freeze)
    try:
        failed = await sup.apply(replace(sup.config, log_level="warn"), None)
    finally:
        leave()
    assert not failed.ok and failed.error is not None and failed.error.cause is ErrorCode.START_TIMEOUT
    status = sup.status
    assert (status.state, status.error, sup.config.log_level) == (State.RUNNING, None, "debug")
    assert status.last_failure is not None and status.last_failure.error == failed.error
    assert frozen and _gone(frozen[0])
    assert [p.pid for p in llmlink_processes()] == [status.pid]


# --- policy --------------------------------------------------------------------------------------


def test_a_callers_polling_off_survives_saving_settings(tmp_path: Path) -> None:
    """The controller's policy path keeps `poll_enabled` of the policy it was given (a test's, a benchmark's):
    saving settings with auto-refresh on used to switch polling back on behind its back."""
    controller = Controller(Paths.under(tmp_path), keys=KeyStore(), policy=replace(FAST, poll_enabled=False))
    assert not controller.supervisor.policy.poll_enabled
    controller.save(Settings(auto_refresh=True, auto_restart=False))
    policy = controller.supervisor.policy
    assert not policy.poll_enabled and not policy.auto_restart
    assert policy.liveness_interval == FAST.liveness_interval  # the rest of the caller's policy is kept too

    polling = Controller(Paths.under(tmp_path / "other"), keys=KeyStore(), policy=FAST)
    polling.save(Settings(auto_refresh=False))
    assert not polling.supervisor.policy.poll_enabled
    polling.save(Settings(auto_refresh=True))
    assert polling.supervisor.policy.poll_enabled


@pytest.fixture
def exits_at_once(modern_binary: Path, tmp_path: Path) -> Path:
    """Answers --help like llm-link 0.7.0, then exits 3 whenever it is started."""
    script = tmp_path / "llm-link"
    script.write_text(
        f'#!/bin/sh\n[ "$1" = --help ] && exec "{modern_binary}" --help\necho $$ >> "$0.starts"\nexit 3\n'
    )
    script.chmod(0o755)
    return script


async def test_a_new_policy_reaches_the_crash_loop_limit(exits_at_once: Path, make_supervisor: MakeSupervisor) -> None:
    """`set_policy` is heard by the restart backoff: with a limit of 2 starts it gives up after 2, not after
    the 5 of the policy the supervisor was made with."""
    sup = await make_supervisor(exits_at_once, open=False, policy=replace(FAST, crash_loop_starts=5))
    sup.set_policy(replace(sup.policy, crash_loop_starts=2))
    await sup.open()
    status = await wait_for(sup, lambda s: s.error is not None and s.error.code is ErrorCode.CRASH_LOOP)
    assert "failed 2 times" in status.error.message  # type: ignore[union-attr]
    assert len(Path(f"{exits_at_once}.starts").read_text().split()) == 2
    assert not sup.restart_pending


def test_backoff_follows_a_replaced_policy() -> None:
    backoff = Backoff(Policy(backoff_first=0.5))
    assert backoff.next_delay() == 0.5
    backoff.policy = Policy(backoff_first=2.0, backoff_max=60)
    assert backoff.next_delay() == 4.0  # the second attempt, on the new policy's scale
