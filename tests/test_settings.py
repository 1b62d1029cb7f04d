"""The settings file: round trip, permissions, atomic writes, and damaged files that lose nothing else."""

from __future__ import annotations

import json
import logging
import stat
from pathlib import Path

import pytest

from app.settings import Settings, SettingsFile
from app.supervisor.config import LlmLinkConfig


def test_settings_round_trip_with_mode_0600(tmp_path: Path) -> None:
    file = SettingsFile(tmp_path)
    wanted = Settings(
        llmlink=LlmLinkConfig(provider="zhipu", model="glm-4-air", port=4242),
        notifications=False,
        models={"zhipu": "glm-4-air"},
    )
    file.save(wanted)
    assert file.load() == wanted
    assert stat.S_IMODE(file.path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["settings.json"]  # no temp file left behind


def test_a_missing_file_gives_defaults(tmp_path: Path) -> None:
    assert SettingsFile(tmp_path).load() == Settings()


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "[]",
        '{"llmlink": {"provider": "no-such"}}',
        '{"llmlink": {"port": 70000}}',
        '{"notifications": "yes"}',
        '{"models": {"zhipu": 4}}',
        '{"llmlink": {"port": "11435"}}',
    ],
    ids=["syntax", "not-object", "unknown-provider", "bad-port", "bad-bool", "bad-map", "port-as-text"],
)
def test_a_damaged_file_is_moved_aside_and_defaults_used(
    tmp_path: Path, content: str, caplog: pytest.LogCaptureFixture
) -> None:
    file = SettingsFile(tmp_path)
    tmp_path.joinpath("settings.json").write_text(content)
    with caplog.at_level(logging.WARNING):
        assert file.load() == Settings()
    aside = list(tmp_path.glob("settings.json.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_text() == content  # kept for the user to inspect
    assert "moved to" in caplog.text


def test_unknown_fields_from_a_newer_version_are_ignored(tmp_path: Path) -> None:
    tmp_path.joinpath("settings.json").write_text(
        json.dumps({"version": 9, "future_flag": True, "llmlink": {"provider": "moonshot", "turbo": 1}})
    )
    assert SettingsFile(tmp_path).load().llmlink.provider == "moonshot"


def test_no_key_ever_lands_in_the_file(tmp_path: Path) -> None:
    file = SettingsFile(tmp_path)
    file.save(Settings().remember(LlmLinkConfig(provider="openai", model="gpt-4o", base_url="http://h:1")))
    text = file.path.read_text()
    assert "key" not in text.lower().replace("keep_llmlink_after_quit", "")
