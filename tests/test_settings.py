"""The settings file: round trip, permissions, atomic writes, and damaged files that lose nothing else."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import stat
from pathlib import Path

import pytest

from app.controller import Controller
from app.errors import AppErrorException, ErrorCode
from app.paths import Paths
from app.settings import MAX_FILE_BYTES, Settings, SettingsFile
from app.supervisor.config import DEFAULT_PORT, LlmLinkConfig
from tests.app_process import cli, start_app
from tests.conftest import MODERN, llmlink_build


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


# --- damaged files of every kind: a warning and defaults, never a traceback (issue 9, item 4) -------------


@pytest.mark.parametrize(
    "content",
    [
        b'{"llmlink": {"model": "caf\xe9"}}',  # Latin-1, not UTF-8
        b'{"llmlink": {"log_level": 5}}',
        b'{"llmlink": {"log_level": "verbose"}}',
        b'{"llmlink": {"app_mode": "emacs"}}',
        b'{"llmlink": {"app_mode": ["zed"]}}',
        b'{"llmlink": {"binary": 5}}',
        b'{"llmlink": {"model": ["a"]}}',
        b'{"llmlink": {"base_url": {}}}',
        b'{"llmlink": {"provider": 3}}',
        b'{"llmlink": {"port": true}}',
        b'{"base_urls": {"openai": null}}',
        b'{"autostart": 1}',
        b"[" * 200_000 + b"]" * 200_000,
    ],
    ids=[
        "not-utf8",
        "log-level-number",
        "log-level-unknown",
        "app-mode-unknown",
        "app-mode-list",
        "binary-number",
        "model-list",
        "base-url-object",
        "provider-number",
        "port-bool",
        "map-null",
        "bool-as-number",
        "deep-nesting",
    ],
)
def test_a_file_with_a_wrong_type_or_encoding_is_moved_aside(
    tmp_path: Path, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    tmp_path.joinpath("settings.json").write_bytes(content)
    with caplog.at_level(logging.WARNING):
        assert SettingsFile(tmp_path).load() == Settings()
    aside = list(tmp_path.glob("settings.json.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == content
    assert [r.levelno for r in caplog.records] == [logging.WARNING]  # one clear line, no traceback
    assert "moved to" in caplog.text and caplog.records[0].exc_info is None


def test_known_log_levels_and_app_modes_load(tmp_path: Path) -> None:
    file = SettingsFile(tmp_path)
    for level in ("error", "warn", "info", "debug", "trace"):
        for mode in ("zed", "codex-cli", "claude-code"):
            file.save(Settings(llmlink=LlmLinkConfig(log_level=level, app_mode=mode)))
            assert file.load().llmlink == LlmLinkConfig(log_level=level, app_mode=mode)


def test_a_file_over_the_size_cap_is_moved_aside_unread(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    huge = json.dumps({"models": {"zhipu": "x" * (MAX_FILE_BYTES + 1)}})  # valid JSON, just too big
    tmp_path.joinpath("settings.json").write_text(huge)
    with caplog.at_level(logging.WARNING):
        assert SettingsFile(tmp_path).load() == Settings()
    assert len(list(tmp_path.glob("settings.json.corrupt-*"))) == 1
    assert "larger than" in caplog.text


def test_a_directory_in_place_of_the_file_is_left_alone_and_saves_fail_clearly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "settings.json"
    folder.mkdir()
    (folder / "mine.txt").write_text("the user's")
    file = SettingsFile(tmp_path)
    with caplog.at_level(logging.WARNING):
        assert file.load() == Settings()
    assert "is a directory" in caplog.text and len(caplog.records) == 1
    assert (folder / "mine.txt").read_text() == "the user's"
    assert not list(tmp_path.glob("settings.json.corrupt-*"))
    with pytest.raises(AppErrorException) as caught:
        file.save(Settings(autostart=True))
    assert caught.value.error.code is ErrorCode.CONFIG_ERROR
    assert "is a directory" in caught.value.error.message
    assert folder.is_dir() and sorted(p.name for p in tmp_path.iterdir()) == ["settings.json"]


def test_a_save_writes_through_a_symlink_to_its_target(tmp_path: Path) -> None:
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    target = dotfiles / "llm-link-tray.json"
    config = tmp_path / "config"
    config.mkdir()
    (config / "settings.json").symlink_to(Path("..") / "dotfiles" / target.name)
    file = SettingsFile(config)
    file.save(Settings(notifications=False))
    assert (config / "settings.json").is_symlink()  # still the user's link
    assert json.loads(target.read_text())["notifications"] is False
    assert file.load() == Settings(notifications=False)
    file.save(Settings(autostart=True))
    assert json.loads(target.read_text())["autostart"] is True
    assert [p.name for p in dotfiles.iterdir()] == [target.name]  # the temp file was written beside the target
    assert [p.name for p in config.iterdir()] == ["settings.json"]


async def test_the_app_starts_with_defaults_and_one_warning_when_settings_are_damaged(tmp_path: Path) -> None:
    """The real app, as a user starts it, with a settings file that is not UTF-8: no traceback, defaults."""
    root = tmp_path / "tray"
    (root / "config").mkdir(parents=True)
    (root / "config" / "settings.json").write_bytes(b'{"llmlink": {"model": "caf\xe9"}}')
    env = {**os.environ, "LLM_LINK_BINARY_PATH": str(llmlink_build(MODERN)), "QT_QPA_PLATFORM": "offscreen"}
    proc = await start_app("--config-dir", str(root), env=env)
    assert proc.stderr is not None
    seen: list[str] = []  # the app logs to stderr; the warning comes before "supervising:"
    try:
        async with asyncio.timeout(30):
            while not seen or "supervising:" not in seen[-1]:
                line = (await proc.stderr.readline()).decode(errors="replace")
                assert line, f"the app exited: {''.join(seen)}"
                seen.append(line)
        code, out, _ = await cli(root, "status", "--json")
        status = json.loads(out)
        assert (code, status["provider"], status["port"]) == (0, "ollama", DEFAULT_PORT)
    finally:
        await cli(root, "quit")
        seen.append((await asyncio.wait_for(proc.stderr.read(), 30)).decode(errors="replace"))
        assert await proc.wait() == 0
    log = "".join(seen)
    assert "Traceback" not in log
    assert " ERROR " not in log and " CRITICAL " not in log
    warnings = [entry for entry in log.splitlines() if " WARNING llm_link_tray.settings" in entry]
    assert len(warnings) == 1, log
    assert "settings.json is unreadable (it is not UTF-8 text" in warnings[0] and "moved to" in warnings[0], log


def test_the_app_goes_on_when_its_settings_cannot_be_saved(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A menu toggle with a directory where settings.json belongs: used until quit, one clear warning."""
    paths = Paths.under(tmp_path)
    (paths.config_dir / "settings.json").mkdir(parents=True)
    controller = Controller(paths)
    with caplog.at_level(logging.WARNING):
        error = controller.save(Settings(auto_refresh=False))
    assert error is not None and error.code is ErrorCode.CONFIG_ERROR
    assert controller.settings.auto_refresh is False
    assert [r.getMessage() for r in caplog.records if r.name == "llm_link_tray.controller"] == [str(error)]
    assert "settings.json is a directory" in str(error)
