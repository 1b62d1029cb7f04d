"""The supervisor with its gateway in front, on real llm-link 0.7.0 and 0.3.6: what an editor on the editor's
port sees through starts, switches, stops, crashes (of llm-link and of the gateway), and a tray that goes
away and comes back."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import psutil
import pytest

from app.errors import ErrorCode
from app.paths import Paths
from app.secret import Secret
from app.supervisor.state import State
from app.supervisor.supervisor import Supervisor
from tests.supervisor.conftest import FAST, MakeSupervisor, alive, gateway_setup, lookup, served_by, wait_for
from tests.upstream_stub import GOOD_KEY, UpstreamStub


def editor(sup: Supervisor) -> httpx.AsyncClient:
    """An editor's client: it knows only the editor's port."""
    return httpx.AsyncClient(base_url=f"http://127.0.0.1:{sup.config.port}", timeout=20)


async def test_llmlink_runs_on_a_private_port_behind_the_gateway(
    llmlink_binary: Path, make_supervisor: MakeSupervisor
) -> None:
    sup = await make_supervisor(llmlink_binary, gateway=True, provider="zhipu")
    status = sup.status
    assert status.state is State.RUNNING, status
    assert status.details.summary() == "Gateway ✓, PID ✓, Port ✓, API ✓"
    assert sup.llmlink_port not in (None, sup.config.port)
    assert status.port == sup.config.port  # what the user is told is the editor's port
    gateway = psutil.Process(sup.gateway_pid)
    assert any(c.laddr.port == sup.config.port for c in gateway.net_connections() if c.status == "LISTEN")
    async with editor(sup) as client:
        tags = await client.get("/api/tags")
        assert tags.status_code == 200 and "models" in tags.json()
        # The management API answers on the private port only.
        assert (await client.get("/api/config/current")).status_code == 404
    async with served_by(sup) as private:
        assert (await private.current_config()).provider == "zhipu"


async def test_a_switch_starts_beside_the_serving_instance_and_retires_it(
    llmlink_binary: Path, make_supervisor: MakeSupervisor
) -> None:
    sup = await make_supervisor(llmlink_binary, gateway=True, provider="zhipu")
    old_pid, old_port, gateway_pid = sup.pid, sup.llmlink_port, sup.gateway_pid
    assert old_pid is not None
    result = await sup.switch("moonshot", "kimi-latest")
    assert result.ok, result.error
    assert sup.pid != old_pid and sup.llmlink_port != old_port and sup.gateway_pid == gateway_pid
    async with editor(sup) as client:
        assert (await client.get("/api/tags")).status_code == 200
    async with served_by(sup) as private:
        assert (await private.current_config()).provider == "moonshot"
    # With nothing in flight, the old instance is stopped as soon as the gateway reports it drained.
    await asyncio.wait_for(asyncio.to_thread(_wait_gone, old_pid), 10)


async def test_a_failed_switch_leaves_the_serving_instance_untouched(
    llmlink_binary: Path, make_supervisor: MakeSupervisor, tmp_path: Path
) -> None:
    sup = await make_supervisor(llmlink_binary, gateway=True, provider="zhipu")
    pid, port = sup.pid, sup.llmlink_port
    # A launch that cannot come up: the binary vanished after the checks (replaced by one that exits at once).
    broken = tmp_path / "llm-link"
    broken.write_text("#!/bin/sh\nexit 3\n")
    broken.chmod(0o755)
    result = await sup.apply(replace(sup.config, binary=str(broken)), None)
    assert not result.ok
    assert (sup.pid, sup.llmlink_port) == (pid, port) and sup.status.state is State.RUNNING
    async with editor(sup) as client:
        assert (await client.get("/api/tags")).status_code == 200


async def test_while_stopped_editors_get_a_clear_503_not_a_refused_connection(
    llmlink_binary: Path, make_supervisor: MakeSupervisor
) -> None:
    sup = await make_supervisor(llmlink_binary, gateway=True, hold_seconds=0.5)
    await sup.stop()
    assert sup.status.state is State.STOPPED
    async with editor(sup) as client:
        answer = await client.get("/api/tags")
    assert answer.status_code == 503
    assert answer.json() == {"error": "llm-link is stopped: start it from the tray"}


async def test_a_request_sent_while_llmlink_restarts_after_a_crash_is_held_and_answered(
    llmlink_binary: Path, make_supervisor: MakeSupervisor
) -> None:
    sup = await make_supervisor(llmlink_binary, gateway=True)
    first = sup.pid
    assert first is not None
    os.kill(first, signal.SIGKILL)
    await wait_for(sup, lambda s: s.state is State.ERROR)
    async with editor(sup) as client:
        answer = await client.get("/api/tags")  # sent while nothing serves: held until the restart is done
    assert answer.status_code == 200
    assert sup.pid not in (None, first)


async def test_a_crashed_gateway_is_started_again_and_serves_the_same_llmlink(
    llmlink_binary: Path, make_supervisor: MakeSupervisor
) -> None:
    sup = await make_supervisor(llmlink_binary, gateway=True)
    gateway, pid = sup.gateway_pid, sup.pid
    assert gateway is not None
    os.kill(gateway, signal.SIGKILL)
    await wait_for(sup, lambda s: s.details.gateway_ok is False or sup.gateway_pid not in (None, gateway))
    back = await wait_for(sup, lambda s: s.state is State.RUNNING and sup.gateway_pid not in (None, gateway))
    assert back.pid == pid  # llm-link itself was never touched
    async with editor(sup) as client:
        assert (await client.get("/api/tags")).status_code == 200


async def test_a_new_tray_adopts_the_gateway_and_llmlink_that_kept_serving(
    llmlink_binary: Path, make_supervisor: MakeSupervisor, tmp_path: Path
) -> None:
    paths = Paths.under(tmp_path / "shared")
    setup = gateway_setup(paths)
    first = await make_supervisor(llmlink_binary, open=False, root=tmp_path / "shared")
    config = first.config
    one = Supervisor(config, lookup, paths=paths, policy=FAST, gateway=setup)
    await one.open()
    gateway, pid, private = one.gateway_pid, one.pid, one.llmlink_port
    await one.close(stop_llmlink=False)  # "keep llm-link running after quit", or a tray that died
    async with editor(one) as client:
        assert (await client.get("/api/tags")).status_code == 200  # served with no tray at all
    two = Supervisor(config, lookup, paths=paths, policy=FAST, gateway=setup)
    try:
        status = await two.open()
        assert (two.gateway_pid, two.pid, two.llmlink_port) == (gateway, pid, private)
        assert status.state in (State.RUNNING, State.STARTING)
        await wait_for(two, lambda s: s.state is State.RUNNING)
    finally:
        await two.close()
    assert not psutil.pid_exists(gateway) or psutil.Process(gateway).status() == psutil.STATUS_ZOMBIE


async def test_an_llmlink_from_before_the_gateway_is_replaced_cleanly(
    llmlink_binary: Path, make_supervisor: MakeSupervisor, tmp_path: Path
) -> None:
    paths = Paths.under(tmp_path / "shared")
    config = (await make_supervisor(llmlink_binary, open=False)).config
    old = Supervisor(config, lookup, paths=paths, policy=FAST)  # the tray before the gateway: llm-link on the port
    await old.open()
    old_pid, port = old.pid, old.config.port
    await old.close(stop_llmlink=False)
    new = Supervisor(config, lookup, paths=paths, policy=FAST, gateway=gateway_setup(paths))
    try:
        status = await new.open()
        assert status.state is State.RUNNING, status
        assert new.pid != old_pid and new.llmlink_port != port and new.config.port == port
        assert old_pid is not None and not alive(old_pid)
        async with editor(new) as client:
            assert (await client.get("/api/tags")).status_code == 200
    finally:
        await new.close()


@pytest.fixture
def upstream() -> Iterator[UpstreamStub]:
    stub = UpstreamStub().start()
    yield stub
    stub.stop()


async def test_failing_editor_requests_make_it_degraded_with_the_reason_and_success_ends_it(
    llmlink_binary: Path, make_supervisor: MakeSupervisor, upstream: UpstreamStub
) -> None:
    sup = await make_supervisor(
        llmlink_binary, gateway=True, provider="openai", base_url=upstream.url, model="stub-gpt-4o"
    )
    result = await sup.switch("openai", "stub-gpt-4o", api_key=Secret(GOOD_KEY), base_url=upstream.url)
    assert result.ok, result.error
    chat = {"model": "stub-gpt-4o", "messages": [{"role": "user", "content": "hi"}], "stream": False}
    port = upstream.port
    upstream.stop()  # the provider goes down
    async with editor(sup) as client:
        for _ in range(3):
            assert (await client.post("/api/chat", json=chat)).status_code >= 500
        status = await sup.refresh_now()
        assert status.state is State.DEGRADED, status
        assert status.error is not None and status.error.code is ErrorCode.UPSTREAM_FAILING
        assert status.error.message.startswith("OpenAI: 3 of the last 3 requests failed")
        assert sup.pid is not None  # a failing provider is not llm-link's fault: it is not restarted
        back = UpstreamStub(port=port).start()  # the provider is back
        try:
            assert (await client.post("/api/chat", json=chat)).status_code == 200
            status = await sup.refresh_now()
        finally:
            back.stop()
    assert status.state is State.RUNNING and status.error is None
    traffic = sup.traffic
    assert traffic is not None and traffic.clients and traffic.clients[0].requests == 4


def _wait_gone(pid: int) -> None:
    with contextlib.suppress(psutil.NoSuchProcess):
        psutil.Process(pid).wait(10)
