"""`launch()`: a verified Instance of real llm-link on any port, whatever else runs on other ports."""

from __future__ import annotations

import socket
from pathlib import Path

import psutil
import pytest

from app.errors import ErrorCode
from app.llmlink_client import LlmLinkClient
from app.secret import Secret
from app.supervisor import pidfile
from app.supervisor.clients import ClientPool
from app.supervisor.config import LlmLinkConfig
from app.supervisor.instance import Instance, Launcher, LaunchFailed, launch
from app.supervisor.output_log import OutputLog
from tests.llmlink_harness import free_port
from tests.supervisor.conftest import KEYS, MakeSupervisor, llmlink_processes


async def _health_pid(port: int) -> int:
    async with LlmLinkClient(f"http://127.0.0.1:{port}") as client:
        return (await client.health()).pid


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


async def _launch(binary: Path, tmp_path: Path, provider: str, model: str) -> tuple[Instance, OutputLog]:
    output = OutputLog(tmp_path / f"{provider}.log")
    config = LlmLinkConfig(provider=provider, model=model, binary=str(binary), port=free_port())
    return await launch(config, Secret(KEYS[provider]), output=output), output


async def test_two_instances_side_by_side_each_answer_with_their_own_pid(llmlink_binary: Path, tmp_path: Path) -> None:
    """What a blue/green switch needs: a second verified llm-link on another port while the first serves, and
    stopping one leaves the other serving."""
    first, first_log = await _launch(llmlink_binary, tmp_path, "zhipu", "glm-4-air")
    try:
        second, second_log = await _launch(llmlink_binary, tmp_path, "moonshot", "kimi-latest")
        try:
            assert first.pid != second.pid and first.port != second.port
            assert await _health_pid(first.port) == first.pid
            assert await _health_pid(second.port) == second.pid
            assert (first.config.provider, second.config.provider) == ("zhipu", "moonshot")
            assert sorted(p.pid for p in llmlink_processes()) == sorted((first.pid, second.pid))

            outcome = await first.stop()
            assert outcome.requested and not _listening(first.port)
            assert await _health_pid(second.port) == second.pid  # still serving, untouched
            assert second.process.running
        finally:
            await second.stop()
            second_log.close()
    finally:
        await first.stop()
        first_log.close()
    assert llmlink_processes() == []


async def test_a_launch_beside_a_running_supervisor_leaves_it_alone(
    modern_binary: Path, make_supervisor: MakeSupervisor, tmp_path: Path
) -> None:
    sup = await make_supervisor(modern_binary, provider="zhipu", model="glm-4-air")
    pid = sup.pid
    beside, output = await _launch(modern_binary, tmp_path, "moonshot", "kimi-latest")
    try:
        assert await _health_pid(beside.port) == beside.pid
        assert (await sup.refresh_now()).pid == pid
        assert await _health_pid(sup.config.port) == pid
        record = pidfile.read(sup.paths.pid_file)
        assert record is not None and record.pid == pid  # launch() records nothing
    finally:
        await beside.stop()
        output.close()
    assert (await sup.refresh_now()).pid == pid


async def test_private_launches_that_never_serve_leave_no_connection_behind(
    llmlink_binary: Path, tmp_path: Path
) -> None:
    """Behind the gateway every launch gets a private port, never used again. One that fails after llm-link
    answered (here its PID file cannot be written), or that a later check refuses (`discard`), must close
    that port's client: else its connection to the stopped process stays open until the tray quits, one more
    for every refused switch."""
    output, clients = OutputLog(tmp_path / "out.log"), ClientPool()
    config = LlmLinkConfig(provider="zhipu", model="glm-4-air", binary=str(llmlink_binary))
    (tmp_path / "a-file").touch()
    try:
        failing = Launcher(output, pid_file=tmp_path / "a-file" / "llm-link.pid", clients=clients, private=True)
        with pytest.raises(LaunchFailed) as failed:
            await failing(config, Secret(KEYS["zhipu"]))
        assert failed.value.error.code is ErrorCode.STATE_DIR_UNUSABLE
        refused = Launcher(output, clients=clients, private=True)
        await refused.discard(await refused(config, Secret(KEYS["zhipu"])))
        assert llmlink_processes() == []
        assert not _dangling_connections()
    finally:
        await clients.aclose()
        output.close()


def _dangling_connections() -> list[object]:
    """This process's TCP connections whose far end has gone (CLOSE_WAIT): held open by nobody's choice."""
    return [conn for conn in psutil.Process().net_connections("tcp") if conn.status == psutil.CONN_CLOSE_WAIT]


async def test_a_port_in_use_fails_before_anything_is_spawned(modern_binary: Path, tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        output = OutputLog(tmp_path / "out.log")
        with pytest.raises(LaunchFailed) as failed:
            await launch(LlmLinkConfig(binary=str(modern_binary), port=port), None, output=output)
        output.close()
    assert failed.value.error.code is ErrorCode.PORT_IN_USE and not failed.value.retryable
    assert llmlink_processes() == []
