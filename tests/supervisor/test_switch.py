"""The restart protocol: validate → update → stop → respawn → verify, with rollback, on real llm-link."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from dataclasses import replace
from pathlib import Path

import httpx
import psutil

from app.errors import ErrorCode
from app.secret import Secret
from app.supervisor.state import State, Status
from tests.supervisor.conftest import FAST, MakeSupervisor, llmlink_processes, served_by
from tests.upstream_stub import UpstreamStub

PAIRS = (("zhipu", "glm-4-air"), ("ollama", "qwen2.5:7b"))


async def test_twenty_switches_back_and_forth_each_end_on_a_new_pid(
    llmlink_binary: Path, make_supervisor: MakeSupervisor, ollama_upstream: UpstreamStub
) -> None:
    sup = await make_supervisor(llmlink_binary, provider="ollama", model="qwen2.5:7b")
    seen_pids = {sup.pid}
    steps: list[str] = []
    for i in range(20):
        provider, model = PAIRS[i % 2]
        result = await sup.switch(provider, model, progress=steps.append)
        assert result.ok, result.error
        assert result.path == "restart"
        status = result.status
        assert status.state is State.RUNNING
        assert (status.provider, status.model) == (provider, model)
        assert status.pid not in seen_pids
        seen_pids.add(status.pid)
        async with served_by(sup) as client:
            health = await client.health()
        assert (health.pid, health.provider, health.model) == (status.pid, provider, model)
        assert [p.pid for p in llmlink_processes()] == [status.pid]
    assert steps[:4] == ["validating", "updating", "restarting", "verifying"]
    assert (sup.config.provider, sup.config.model) == PAIRS[1]


async def test_an_invalid_key_changes_nothing(llmlink_binary: Path, make_supervisor: MakeSupervisor) -> None:
    sup = await make_supervisor(llmlink_binary, provider="zhipu", model="glm-4-air")
    before = sup.status
    result = await sup.switch("openai", "gpt-4o", api_key=Secret("not-an-openai-key"))
    assert not result.ok
    assert result.error is not None and result.error.code is ErrorCode.KEY_INVALID
    assert "sk-" in result.error.message
    assert (sup.status.state, sup.pid, sup.config.provider) == (State.RUNNING, before.pid, "zhipu")


async def test_a_missing_key_changes_nothing(llmlink_binary: Path, make_supervisor: MakeSupervisor) -> None:
    sup = await make_supervisor(llmlink_binary)
    pid = sup.pid
    result = await sup.switch("anthropic")  # no key stored for anthropic
    assert result.error is not None and result.error.code is ErrorCode.KEY_MISSING
    assert sup.pid == pid and sup.config.provider == "ollama"


async def test_a_new_instance_that_cannot_come_up_is_rolled_back(
    llmlink_binary: Path, make_supervisor: MakeSupervisor, ollama_upstream: UpstreamStub
) -> None:
    """The new llm-link freezes as soon as it is spawned (SIGSTOP): START_TIMEOUT, then the old config
    comes back and is verified RUNNING."""
    sup = await make_supervisor(
        llmlink_binary, provider="zhipu", model="glm-4-air", policy=replace(FAST, start_timeout=1.5)
    )
    old_pid = sup.pid
    frozen: list[int] = []

    def freeze_new_instance(status: Status) -> None:
        if status.state is State.STARTING and status.pid not in (None, old_pid) and not frozen:
            frozen.append(status.pid)  # type: ignore[arg-type]
            os.kill(status.pid, signal.SIGSTOP)  # type: ignore[arg-type]

    unsubscribe = sup.store.subscribe(freeze_new_instance)
    steps: list[str] = []
    try:
        result = await sup.switch("ollama", "qwen2.5:7b", progress=steps.append)
    finally:
        unsubscribe()
    assert not result.ok
    assert result.error is not None and result.error.code is ErrorCode.SWITCH_FAILED
    assert result.error.cause is ErrorCode.START_TIMEOUT
    assert steps[-1] == "rolling back"
    status = sup.status
    assert status.state is State.RUNNING
    assert (status.provider, status.model) == ("zhipu", "glm-4-air")
    assert (sup.config.provider, sup.config.model) == ("zhipu", "glm-4-air")
    assert status.pid not in (old_pid, frozen[0])
    assert not psutil.pid_exists(frozen[0]) or psutil.Process(frozen[0]).status() == psutil.STATUS_ZOMBIE
    assert [p.pid for p in llmlink_processes()] == [status.pid]


async def test_switching_while_stopped_starts_the_new_config(
    llmlink_binary: Path, make_supervisor: MakeSupervisor
) -> None:
    sup = await make_supervisor(llmlink_binary)
    await sup.stop()
    result = await sup.switch("zhipu", "glm-4-air")
    assert result.ok and result.path == "start"
    assert (result.status.state, result.status.provider, result.status.model) == (State.RUNNING, "zhipu", "glm-4-air")


async def test_the_hot_path_keeps_the_process_and_is_verified(
    llmlink_binary: Path, make_supervisor: MakeSupervisor
) -> None:
    sup = await make_supervisor(llmlink_binary)
    pid = sup.pid
    result = await sup.switch("zhipu", "glm-4-air", hot=True)
    assert result.ok and result.path == "hot"
    assert (result.status.pid, result.status.provider, result.status.model) == (pid, "zhipu", "glm-4-air")
    async with served_by(sup) as client:
        health = await client.health()
    assert (health.pid, health.provider, health.model) == (pid, "zhipu", "glm-4-air")


async def test_concurrent_switches_run_one_after_the_other(
    llmlink_binary: Path, make_supervisor: MakeSupervisor
) -> None:
    sup = await make_supervisor(llmlink_binary)
    first, second = await asyncio.gather(sup.switch("zhipu", "glm-4-air"), sup.switch("moonshot", "kimi-latest"))
    assert first.ok and second.ok
    assert (first.status.provider, second.status.provider) == ("zhipu", "moonshot")
    assert (sup.status.provider, sup.status.model) == ("moonshot", "kimi-latest")
    assert [p.pid for p in llmlink_processes()] == [sup.pid]


async def test_switching_to_ollama_when_it_is_not_running_is_upstream_unreachable(
    llmlink_binary: Path, make_supervisor: MakeSupervisor, ollama_port_free: None
) -> None:
    sup = await make_supervisor(llmlink_binary, provider="zhipu", model="glm-4-air")
    pid = sup.pid
    result = await sup.switch("ollama", "qwen2.5:7b")
    assert result.error is not None and result.error.code is ErrorCode.UPSTREAM_UNREACHABLE
    assert "ollama serve" in result.error.suggestion
    assert (sup.pid, sup.config.provider, sup.status.state) == (pid, "zhipu", State.RUNNING)


async def test_a_custom_openai_endpoint_checks_the_key_with_the_upstream(
    llmlink_binary: Path, make_supervisor: MakeSupervisor, upstream: UpstreamStub, good_key: str
) -> None:
    """llm-link's validate accepts any key; the upstream's own 401 is what catches a bad one."""
    sup = await make_supervisor(llmlink_binary, provider="zhipu", model="glm-4-air")
    pid = sup.pid
    bad = await sup.switch("openai", "stub-gpt-4o", api_key=Secret("sk-wrong-0123456789"), base_url=upstream.url)
    assert bad.error is not None and bad.error.code is ErrorCode.KEY_INVALID
    assert "401" in bad.error.message
    assert sup.pid == pid
    good = await sup.switch("openai", "stub-gpt-4o", api_key=Secret(good_key), base_url=upstream.url)
    assert good.ok, good.error
    assert (good.status.provider, good.status.model, sup.config.base_url) == ("openai", "stub-gpt-4o", upstream.url)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{sup.config.port}", timeout=15, trust_env=False) as http:
        chat = await http.post(
            "/api/chat", json={"model": "stub-gpt-4o", "stream": False, "messages": [{"role": "user", "content": "hi"}]}
        )
    assert chat.status_code == 200, chat.text
    assert upstream.wait_for_request("/chat/completions").authorization == f"Bearer {good_key}"


async def test_a_refused_switch_is_the_last_failure_not_an_error_of_the_running_state(
    llmlink_binary: Path, make_supervisor: MakeSupervisor
) -> None:
    """A bad key leaves the old llm-link RUNNING: the refusal is shown beside the state, with its time, and never
    makes the running instance look broken; the next switch that succeeds clears it."""
    sup = await make_supervisor(llmlink_binary, provider="zhipu", model="glm-4-air")
    before = time.time()
    refused = await sup.switch("openai", "gpt-4o", api_key=Secret("not-an-openai-key"))
    assert refused.error is not None and refused.error.code is ErrorCode.KEY_INVALID
    status = sup.status
    assert status.state is State.RUNNING and status.error is None
    assert status.last_failure is not None and status.last_failure.error.code is ErrorCode.KEY_INVALID
    assert before <= status.last_failure.at <= time.time()
    assert status.last_failure.describe().startswith(f"Last action failed at {status.last_failure.clock}: KEY_INVALID")

    ok = await sup.switch("moonshot", "kimi-latest")
    assert ok.ok, ok.error
    assert (sup.status.state, sup.status.error, sup.status.last_failure) == (State.RUNNING, None, None)


async def test_a_rolled_back_switch_leaves_running_with_the_failure_beside_it(
    modern_binary: Path, make_supervisor: MakeSupervisor, ollama_upstream: UpstreamStub
) -> None:
    """SWITCH_FAILED after a rollback: the old config runs again, verified, so RUNNING has no error of its own."""
    sup = await make_supervisor(
        modern_binary, provider="zhipu", model="glm-4-air", policy=replace(FAST, start_timeout=1.5)
    )
    old_pid = sup.pid

    def freeze_new_instance(status: Status) -> None:
        if status.state is State.STARTING and status.pid not in (None, old_pid):
            os.kill(status.pid, signal.SIGSTOP)  # type: ignore[arg-type]
            unsubscribe()

    unsubscribe = sup.store.subscribe(freeze_new_instance)
    result = await sup.switch("ollama", "qwen2.5:7b")
    assert result.error is not None and result.error.code is ErrorCode.SWITCH_FAILED
    status = sup.status
    assert (status.state, status.provider, status.error) == (State.RUNNING, "zhipu", None)
    assert status.last_failure is not None and status.last_failure.error == result.error
