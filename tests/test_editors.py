"""Connecting an editor: the snippets say exactly what to paste for the current config, and the Test streams
one short chat through real llm-link, as an editor would (or says plainly why it cannot)."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from app.editors import (
    ACCESS_KEY_ENV,
    CODEX_FIRST_RESPONSES_ONLY,
    CODEX_LAST_CHAT_VERSION,
    CODEX_MEASURED_VERSION,
    guide,
    guides,
    ollama_gap,
    target_for,
    zed_settings_path,
)
from app.errors import AppErrorException
from app.secret import Secret
from app.stream_check import EMPTY_OLLAMA_STREAM, stream_test
from app.supervisor.config import LlmLinkConfig
from tests.conftest import StartLlmLink
from tests.upstream_stub import GOOD_KEY, UpstreamStub

ZED = LlmLinkConfig(provider="openai", model="gpt-4o-mini", port=23456, app_mode="zed")
CODEX = LlmLinkConfig(provider="zhipu", model="glm-4-flash", port=23457, app_mode="codex-cli")


def test_zeds_snippet_is_json_for_its_settings_file_with_the_port_and_model() -> None:
    zed = guide("zed", target_for(ZED))
    settings = json.loads(zed.snippet)
    ollama = settings["language_models"]["ollama"]
    assert ollama["api_url"] == "http://127.0.0.1:23456"
    assert [m["name"] for m in ollama["available_models"]] == ["gpt-4o-mini"]
    assert zed.works and "11434" in " ".join(zed.notes)  # why the port is not Zed's default


def test_zed_in_an_openai_mode_uses_its_openai_compatible_provider_and_the_access_key() -> None:
    zed = guide("zed", target_for(CODEX))
    provider = json.loads(zed.snippet)["language_models"]["openai_compatible"]["llm-link"]
    assert provider["api_url"] == "http://127.0.0.1:23457/v1"
    assert "access key" in " ".join(zed.notes)


def test_codex_snippet_is_toml_and_says_which_versions_work() -> None:
    codex = guide("codex-cli", target_for(CODEX))
    config = tomllib.loads(codex.snippet)
    assert config["model"] == "glm-4-flash" and config["model_provider"] == "llm-link"
    provider = config["model_providers"]["llm-link"]
    assert provider == {
        "name": "llm-link (llm-link-tray)",
        "base_url": "http://127.0.0.1:23457/v1",
        "env_key": ACCESS_KEY_ENV,
        "wire_api": "chat",
    }
    notes = " ".join(codex.notes)
    assert (CODEX_LAST_CHAT_VERSION, CODEX_FIRST_RESPONSES_ONLY) == ("0.94.0", "0.95.0")
    assert f"@openai/codex@{CODEX_LAST_CHAT_VERSION}" in notes
    assert CODEX_FIRST_RESPONSES_ONLY in notes and CODEX_MEASURED_VERSION in notes
    assert "does not work" in notes and "Responses" in notes
    assert codex.works


def test_codex_in_zeds_mode_says_to_change_the_app_mode_first() -> None:
    codex = guide("codex-cli", target_for(ZED))
    assert not codex.works
    assert "Set App mode to codex-cli" in codex.notes[0]


def test_aider_and_curl_follow_the_protocol() -> None:
    aider_ollama, aider_openai = (guide("aider", target_for(c)) for c in (ZED, CODEX))
    assert "OLLAMA_API_BASE=http://127.0.0.1:23456" in aider_ollama.snippet
    assert "ollama_chat/gpt-4o-mini" in aider_ollama.snippet
    assert "OPENAI_API_BASE=http://127.0.0.1:23457/v1" in aider_openai.snippet
    assert f'OPENAI_API_KEY="${ACCESS_KEY_ENV}"' in aider_openai.snippet
    curl_ollama, curl_openai = (guide("curl", target_for(c)) for c in (ZED, CODEX))
    assert "http://127.0.0.1:23456/api/chat" in curl_ollama.snippet
    assert "http://127.0.0.1:23457/v1/chat/completions" in curl_openai.snippet
    assert f"Bearer ${ACCESS_KEY_ENV}" in curl_openai.snippet


def test_without_a_model_the_snippets_name_the_running_or_default_one() -> None:
    config = LlmLinkConfig(provider="zhipu", port=1234)
    assert target_for(config).model == "glm-4-flash"
    assert target_for(config, "glm-4.5").model == "glm-4.5"


def test_the_ollama_note_appears_only_for_provider_ollama_behind_zeds_protocol() -> None:
    ollama_zed = target_for(LlmLinkConfig(provider="ollama", app_mode="zed"))
    note = ollama_gap(ollama_zed)
    assert note is not None and "Point Zed at Ollama directly" in note
    assert not guide("zed", ollama_zed).works
    assert ollama_gap(target_for(LlmLinkConfig(provider="openai", app_mode="zed"))) is None
    assert ollama_gap(target_for(LlmLinkConfig(provider="ollama", app_mode="codex-cli"))) is None


def test_the_snippets_and_the_test_need_no_qt() -> None:
    code = "import sys, app.editors, app.stream_check; print(any(m.startswith('PySide6') for m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_no_snippet_carries_a_key() -> None:
    for config in (ZED, CODEX):
        for item in guides(target_for(config)):
            assert "sk-" not in item.snippet


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's XDG rule")
def test_zeds_settings_file_is_under_the_xdg_config_home(tmp_path: Path) -> None:
    assert zed_settings_path({}, home=tmp_path) == tmp_path / ".config" / "zed" / "settings.json"
    xdg = tmp_path / "xdg"
    assert zed_settings_path({"XDG_CONFIG_HOME": str(xdg)}, home=tmp_path) == xdg / "zed" / "settings.json"


# --- the Test, through real llm-link -----------------------------------------------------------------


async def test_the_cloud_path_streams_and_times_the_first_token(
    llmlink_binary: Path, start_llmlink_for: StartLlmLink, upstream: UpstreamStub
) -> None:
    """Zed's path: llm-link's Ollama protocol in front, an OpenAI-compatible SSE upstream behind."""
    running = await start_llmlink_for(
        llmlink_binary, "openai", api_key=Secret(GOOD_KEY), base_url=upstream.url, model="stub-gpt-4o"
    )
    config = LlmLinkConfig(provider="openai", model="stub-gpt-4o", port=running.port, app_mode="zed")
    result = await stream_test(target_for(config))
    assert result.text == "".join(upstream.stream_pieces)
    assert 0 < result.first_token_s <= result.total_s
    assert "First token after" in result.describe()


async def test_the_openai_protocol_streams_with_the_access_key_and_refuses_without(
    modern_binary: Path, start_llmlink_for: StartLlmLink, upstream: UpstreamStub
) -> None:
    access = Secret("access-key-0123456789abcdef")
    running = await start_llmlink_for(
        modern_binary,
        "openai",
        api_key=Secret(GOOD_KEY),
        base_url=upstream.url,
        model="gpt-4o",  # llm-link's OpenAI route takes only the models on its own list
        app_mode="codex-cli",
        auth_key=access,
    )
    target = target_for(LlmLinkConfig(provider="openai", model="gpt-4o", port=running.port, app_mode="codex-cli"))
    result = await stream_test(target, access)
    assert result.text == "".join(upstream.stream_pieces)
    with pytest.raises(AppErrorException) as refused:
        await stream_test(target, None)
    assert refused.value.error.message == "llm-link refused the access key"


async def test_provider_ollama_reports_llmlinks_empty_stream(
    llmlink_binary: Path, start_llmlink_for: StartLlmLink, ollama_upstream: UpstreamStub
) -> None:
    running = await start_llmlink_for(llmlink_binary, "ollama")
    target = target_for(LlmLinkConfig(provider="ollama", port=running.port, app_mode="zed"))
    with pytest.raises(AppErrorException) as failed:
        await stream_test(target)
    assert failed.value.error.message == EMPTY_OLLAMA_STREAM
    assert "Ollama directly" in failed.value.error.suggestion


async def test_nothing_listening_is_one_human_line() -> None:
    target = target_for(LlmLinkConfig(provider="openai", port=9, app_mode="zed"))
    with pytest.raises(AppErrorException) as failed:
        await stream_test(target, timeout=5)
    assert failed.value.error.message == "nothing answers on port 9"
    assert "\n" not in str(failed.value.error)
