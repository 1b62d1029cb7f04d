"""Another local user changes llm-link's settings on its private port (which the gateway cannot close): the
tray notices from llm-link's own log lines, puts its settings back on a new instance, and says so. Also for an
llm-link a new tray adopted, whose output the tray that started it used to read."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from app.errors import ErrorCode
from app.paths import Paths
from app.supervisor.state import State, Status
from app.supervisor.supervisor import Supervisor
from app.supervisor.tamper import TamperWatch, is_change
from tests.supervisor.conftest import FAST, MakeSupervisor, gateway_setup, lookup, served_by, wait_for

NOBODY = 65534


def as_another_user(port: int, route: str, body: dict[str, str]) -> int:
    """POST `body` to llm-link's private port as uid 65534 (`setpriv`), the way another local program would."""
    command = [
        "setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
        "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
        "-H", "Content-Type: application/json", "-d", json.dumps(body), f"http://127.0.0.1:{port}{route}",
    ]  # fmt: skip
    if os.geteuid() != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("another uid needs root for setpriv; CI runs as root")
        pytest.skip("another uid needs root for setpriv")
    done = subprocess.run(command, capture_output=True, text=True, timeout=20, check=False)
    assert done.returncode == 0, done.stderr
    return int(done.stdout)


def restored(pid: int) -> object:
    def check(status: Status) -> bool:
        failure = status.last_failure
        return (
            status.state is State.RUNNING
            and status.pid not in (None, pid)
            and failure is not None
            and failure.error.code is ErrorCode.TAMPERED
        )

    return check


async def test_a_key_swap_by_another_user_is_noticed_and_undone(
    llmlink_binary: Path, make_supervisor: MakeSupervisor
) -> None:
    # Same provider, another key: /api/config/current cannot show it; llm-link's log line does.
    sup = await make_supervisor(llmlink_binary, gateway=True, provider="zhipu")
    pid, port = sup.pid, sup.llmlink_port
    assert pid is not None and port is not None
    started = time.monotonic()
    code = as_another_user(port, "/api/config/update-key", {"provider": "zhipu", "api_key": "attacker-0123456789"})
    assert code == 200  # llm-link took it: prevention is not possible on its port, detection is
    status = await wait_for(sup, restored(pid))  # type: ignore[arg-type]
    print(f"key swap by uid {NOBODY}: restored on pid {status.pid} after {time.monotonic() - started:.3f}s")
    assert status.provider == "zhipu"
    async with served_by(sup) as private:
        assert (await private.current_config()).provider == "zhipu"


async def test_a_provider_switch_by_another_user_is_undone(
    llmlink_binary: Path, make_supervisor: MakeSupervisor
) -> None:
    sup = await make_supervisor(llmlink_binary, gateway=True, provider="zhipu")
    pid, port = sup.pid, sup.llmlink_port
    assert pid is not None and port is not None
    body = {"provider": "openai", "api_key": "sk-attacker-0123456789", "base_url": "http://attacker.invalid"}
    as_another_user(port, "/api/config/switch-provider", body)
    await wait_for(sup, restored(pid))  # type: ignore[arg-type]
    async with served_by(sup) as private:
        assert (await private.current_config()).provider == "zhipu"


async def test_our_own_switches_are_not_taken_for_tampering(
    llmlink_binary: Path, make_supervisor: MakeSupervisor
) -> None:
    sup = await make_supervisor(llmlink_binary, gateway=True, provider="zhipu")
    for provider, model in (("moonshot", "kimi-latest"), ("zhipu", "glm-4-air")):
        assert (await sup.switch(provider, model, hot=True)).ok
    assert (await sup.switch("moonshot", "kimi-latest")).ok
    status = await sup.refresh_now()
    assert status.last_failure is None and status.state is State.RUNNING


async def test_tampering_with_an_adopted_llmlink_is_noticed_too(
    llmlink_binary: Path, make_supervisor: MakeSupervisor, tmp_path: Path
) -> None:
    paths = Paths.under(tmp_path / "shared")
    setup = gateway_setup(paths)
    config = (await make_supervisor(llmlink_binary, open=False, provider="zhipu")).config
    one = Supervisor(config, lookup, paths=paths, policy=FAST, gateway=setup)
    await one.open()
    await one.close(stop_llmlink=False)
    two = Supervisor(config, lookup, paths=paths, policy=FAST, gateway=setup)
    try:
        await two.open()
        await wait_for(two, lambda s: s.state is State.RUNNING)
        pid, port = two.pid, two.llmlink_port
        assert pid is not None and port is not None
        as_another_user(port, "/api/config/update-key", {"provider": "zhipu", "api_key": "attacker-0123456789"})
        await wait_for(two, restored(pid))  # type: ignore[arg-type]
    finally:
        await two.close()


async def test_a_change_made_while_no_tray_watched_is_undone_on_adoption(
    llmlink_binary: Path, make_supervisor: MakeSupervisor, tmp_path: Path
) -> None:
    paths = Paths.under(tmp_path / "shared")
    setup = gateway_setup(paths)
    config = (await make_supervisor(llmlink_binary, open=False, provider="zhipu")).config
    one = Supervisor(config, lookup, paths=paths, policy=FAST, gateway=setup)
    await one.open()
    pid, port = one.pid, one.llmlink_port
    assert pid is not None and port is not None
    await one.close(stop_llmlink=False)
    as_another_user(port, "/api/config/switch-provider", {"provider": "moonshot", "api_key": "attacker-0123456789"})
    two = Supervisor(config, lookup, paths=paths, policy=FAST, gateway=setup)
    try:
        await two.open()
        await wait_for(two, restored(pid))  # type: ignore[arg-type]
        async with served_by(two) as private:
            assert (await private.current_config()).provider == "zhipu"
    finally:
        await two.close()


def test_only_unannounced_change_lines_count() -> None:
    seen: list[tuple[int, str]] = []
    watch = TamperWatch(lambda pid, line: seen.append((pid, line)))
    switching = "2026-11-23T02:00:00Z  INFO llm_link::api::config: 🔄 Switching to provider: openai (key: sk-a***)"
    updating = "2026-11-23T02:00:00Z  INFO llm_link::api::config: 🔧 Updating API key for provider: zhipu (key: x***)"
    assert is_change(switching) and is_change(updating)
    assert not is_change("INFO llm_link: 🔧 Preparing config update for provider: zhipu")
    watch.expect(7)
    watch.line(7, updating)  # ours: announced
    watch.line(7, "INFO llm_link: ✅ Response: 200 OK")
    assert seen == []
    watch.line(7, switching)  # nobody announced this one
    assert seen == [(7, switching)]
