"""The launch contract: detected from the real binaries' --help, and proven by starting them with a key."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from app.errors import AppErrorException, ErrorCode
from app.secret import Secret
from app.supervisor.contract import (
    KEY_PLACEHOLDER,
    Contract,
    ContractKind,
    LaunchRequest,
    build_launch,
    detect_contract,
    parse_help,
)
from tests.conftest import StartLlmLink
from tests.upstream_stub import UpstreamStub

KEY = "sk-launch-test-key-0123456789"
MODERN = Contract(ContractKind.MODERN, ("codex-cli", "zed", "aider", "openhands"))
LEGACY = Contract(ContractKind.LEGACY, ("codex-cli", "zed", "claude-code"))


async def test_contract_is_read_from_each_real_binarys_help(modern_binary: Path, legacy_binary: Path) -> None:
    modern = await detect_contract(modern_binary)
    legacy = await detect_contract(legacy_binary)
    assert modern == MODERN
    assert legacy == LEGACY


async def test_detection_is_cached_by_path_and_mtime(modern_binary: Path, tmp_path: Path) -> None:
    # A wrapper that notes each run of it, so the count comes from the outside, not from our internals.
    wrapper = tmp_path / "llm-link"
    runs = tmp_path / "runs"
    wrapper.write_text(f'#!/bin/sh\necho run >> "{runs}"\nexec "{modern_binary}" "$@"\n')
    wrapper.chmod(0o755)
    await detect_contract(wrapper)
    await detect_contract(wrapper)
    assert runs.read_text().count("run") == 1
    stat = wrapper.stat()
    os.utime(wrapper, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # a new build, maybe: ask again
    await detect_contract(wrapper)
    assert runs.read_text().count("run") == 2


def test_help_that_is_not_llm_links_is_not_a_contract() -> None:
    assert parse_help("usage: grep [OPTION]... PATTERNS [FILE]...") is None
    assert parse_help("--app --provider but neither key flag") is None


# --- argv and env, per contract ---------------------------------------------------------------------


def test_legacy_puts_the_key_in_the_env_never_in_argv() -> None:
    plan = build_launch(LEGACY, LaunchRequest("openai", 4100, model="gpt-4o", api_key=Secret(KEY)), base_env={})
    assert KEY not in " ".join(plan.argv)
    assert "--api-key" not in plan.argv  # it would become llm-link's own auth key on 0.3.x
    assert plan.env["OPENAI_API_KEY"] == KEY
    assert plan.key_swap is None
    assert plan.argv[:4] == ("--app", "zed", "--protocols", "ollama")
    assert plan.argv[plan.argv.index("--host") :][:2] == ("--host", "127.0.0.1")
    assert KEY not in repr(plan)


def test_modern_starts_with_a_placeholder_and_swaps_the_key_in() -> None:
    plan = build_launch(MODERN, LaunchRequest("anthropic", 4100, api_key=Secret("sk-ant-" + KEY)), base_env={})
    assert KEY not in " ".join(plan.argv) + " ".join(plan.env.values())
    assert plan.argv[plan.argv.index("--api-key") + 1] == KEY_PLACEHOLDER
    assert plan.key_swap is not None
    assert plan.key_swap.api_key.reveal() == "sk-ant-" + KEY


def test_modern_ollama_needs_a_placeholder_but_no_swap() -> None:
    plan = build_launch(MODERN, LaunchRequest("ollama", 4100, base_url="http://127.0.0.1:11434"), base_env={})
    assert "--api-key" in plan.argv  # required by 0.5.1+ even for ollama
    assert plan.key_swap is None
    assert plan.env["OLLAMA_BASE_URL"] == "http://127.0.0.1:11434"


def test_inherited_provider_keys_are_not_passed_on() -> None:
    env = {"PATH": "/usr/bin", "OPENAI_API_KEY": "sk-from-the-shell", "LLM_LINK_API_KEY": "x", "RUST_LOG": "trace"}
    plan = build_launch(LEGACY, LaunchRequest("ollama", 4100), base_env=env)
    assert plan.env["PATH"] == "/usr/bin"
    assert not {"OPENAI_API_KEY", "LLM_LINK_API_KEY", "RUST_LOG"} & set(plan.env)


def test_a_base_url_for_openai_is_applied_after_start_on_both_contracts() -> None:
    for contract in (LEGACY, MODERN):
        plan = build_launch(
            contract, LaunchRequest("openai", 4100, api_key=Secret(KEY), base_url="http://127.0.0.1:9000"), base_env={}
        )
        assert plan.key_swap is not None
        assert plan.key_swap.base_url == "http://127.0.0.1:9000"


def test_openai_style_app_modes_get_llm_links_own_key() -> None:
    auth = Secret("tray-generated-auth-key-0123")
    legacy = build_launch(LEGACY, LaunchRequest("ollama", 4100, app_mode="codex-cli", auth_key=auth), base_env={})
    modern = build_launch(MODERN, LaunchRequest("ollama", 4100, app_mode="codex-cli", auth_key=auth), base_env={})
    assert legacy.argv[:4] == ("--app", "codex-cli", "--protocols", "openai")
    assert legacy.env["LLM_LINK_API_KEY"] == auth.reveal()
    assert "--api-key" not in legacy.argv
    assert f"--auth-key={auth.reveal()}" in modern.argv  # one word: a key may start with "-"


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        (LaunchRequest("no-such-provider", 4100), ErrorCode.CONFIG_ERROR),
        (LaunchRequest("openai", 4100), ErrorCode.KEY_MISSING),
        (LaunchRequest("ollama", 4100, base_url="http://localhost:4100"), ErrorCode.CONFIG_ERROR),
        (LaunchRequest("ollama", 4100, base_url="http://[::1]:4100/"), ErrorCode.CONFIG_ERROR),
        (LaunchRequest("ollama", 11434), ErrorCode.CONFIG_ERROR),  # the default upstream is our own port
        (LaunchRequest("ollama", 4100, base_url="ftp://host"), ErrorCode.CONFIG_ERROR),
        (LaunchRequest("anthropic", 4100, api_key=Secret(KEY), base_url="http://h"), ErrorCode.CONFIG_ERROR),
        (LaunchRequest("ollama", 4100, app_mode="aider"), ErrorCode.CONFIG_ERROR),  # not in 0.3.x
        (LaunchRequest("ollama", 4100, app_mode="emacs"), ErrorCode.CONFIG_ERROR),
    ],
    ids=[
        "unknown-provider",
        "no-key",
        "loop-localhost",
        "loop-ipv6",
        "loop-default",
        "not-http",
        "fixed-endpoint",
        "mode-not-offered",
        "unknown-mode",
    ],
)
def test_bad_requests_are_refused_with_a_code_and_a_suggestion(request_: LaunchRequest, code: ErrorCode) -> None:
    with pytest.raises(AppErrorException) as caught:
        build_launch(LEGACY, request_, base_env={})
    assert caught.value.error.code is code
    assert caught.value.error.suggestion


def test_codex_mode_without_an_auth_key_is_a_config_error() -> None:
    with pytest.raises(AppErrorException) as caught:
        build_launch(MODERN, LaunchRequest("ollama", 4100, app_mode="codex-cli"), base_env={})
    assert caught.value.error.code is ErrorCode.CONFIG_ERROR


def test_a_base_url_on_another_port_is_fine() -> None:
    plan = build_launch(LEGACY, LaunchRequest("ollama", 4100, base_url="http://localhost:11434"), base_env={})
    assert plan.env["OLLAMA_BASE_URL"] == "http://localhost:11434"


# --- real launches: where did the key go? -----------------------------------------------------------


def _proc_strings(pid: int, name: str) -> list[str]:
    return Path(f"/proc/{pid}/{name}").read_bytes().decode().split("\0")


async def test_the_key_never_shows_in_the_process_list_and_reaches_the_upstream(
    llmlink_binary: Path, start_llmlink_for: StartLlmLink, upstream: UpstreamStub, good_key: str
) -> None:
    running = await start_llmlink_for(
        llmlink_binary, "openai", model="stub-gpt-4o", api_key=Secret(good_key), base_url=upstream.url
    )
    cmdline = _proc_strings(running.pid, "cmdline")
    environ = _proc_strings(running.pid, "environ")
    assert not any(good_key in arg for arg in cmdline)
    assert ["--host", "127.0.0.1", "--port", str(running.port)] == cmdline[
        cmdline.index("--host") : cmdline.index("--host") + 4
    ]
    if running.contract.kind is ContractKind.LEGACY:
        assert f"OPENAI_API_KEY={good_key}" in environ
    else:
        assert not any(good_key in var for var in environ)  # it went in an HTTP body after start
        assert cmdline[cmdline.index("--api-key") + 1] == KEY_PLACEHOLDER

    async with running.client(timeout=15) as client:
        health = await client.health()
        config = await client.current_config()
    async with httpx.AsyncClient(base_url=running.url, timeout=15, trust_env=False) as http:
        chat = await http.post(
            "/api/chat", json={"model": "stub-gpt-4o", "stream": False, "messages": [{"role": "user", "content": "hi"}]}
        )
    assert (health.provider, health.model, health.pid) == ("openai", "stub-gpt-4o", running.pid)
    assert config.has_api_key
    assert chat.status_code == 200, chat.text
    assert upstream.wait_for_request("/chat/completions").authorization == f"Bearer {good_key}"


@pytest.mark.parametrize(("provider", "model"), [("zhipu", "glm-4-air"), ("ollama", "qwen2.5:7b"), ("moonshot", None)])
async def test_health_reports_the_requested_provider_and_model(
    llmlink_binary: Path, start_llmlink_for: StartLlmLink, provider: str, model: str | None
) -> None:
    key = None if provider == "ollama" else Secret(KEY)
    running = await start_llmlink_for(llmlink_binary, provider, model=model, api_key=key)
    async with running.client() as client:
        health = await client.health()
    assert health.provider == provider
    assert health.model == (model or "kimi-k2-turbo-preview")
    cmdline = _proc_strings(running.pid, "cmdline")
    assert KEY not in " ".join(cmdline)
