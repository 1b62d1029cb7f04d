"""The tray's own log: a rotating file in the log folder beside stderr, with every key masked."""

from __future__ import annotations

import asyncio
import logging
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from app import logs
from app.paths import Paths
from app.secret import Secret
from tests.app_process import app_env, cli, start_app, wait_for_output, write_settings
from tests.llmlink_harness import free_port

log = logging.getLogger("llm_link_tray.test_logs")


@pytest.fixture
def tray_log(tmp_path: Path) -> Iterator[Path]:
    """The tray's file handler on a small file, removed from the root logger again afterwards."""
    path = tmp_path / "logs" / "llm-link-tray.log"
    handler = logs.to_file(path, max_bytes=4096, backups=2)
    try:
        yield path
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()


def test_the_tray_log_rotates_at_its_size_limit(tray_log: Path) -> None:
    for i in range(300):
        log.warning("line %04d %s", i, "x" * 60)
    files = sorted(tray_log.parent.iterdir())
    assert [f.name for f in files] == ["llm-link-tray.log", "llm-link-tray.log.1", "llm-link-tray.log.2"]
    assert all(f.stat().st_size <= 4096 for f in files)
    assert "line 0299" in tray_log.read_text()
    assert "line 0000" not in "".join(f.read_text() for f in files)  # the oldest went, the folder stays small
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)  # for the user's eyes only


def test_no_raw_key_reaches_the_tray_log(tray_log: Path) -> None:
    key = Secret("sk-live-tray-log-abcdefghijklmnop")
    log.warning("switching with key %s", key.reveal())
    log.warning(f"an f-string with the key: {key.reveal()}")
    log.warning("the Secret itself: %s", key)
    try:
        raise ValueError(f"upstream refused {key.reveal()}")
    except ValueError:
        log.exception("a traceback that names the key")
    text = tray_log.read_text()
    assert key.reveal() not in text
    assert text.count("sk-l…mnop") == 4  # each message, and the traceback's last line
    assert "Traceback" in text


async def test_the_tray_writes_its_log_file_from_startup_and_a_handed_over_command_does_not(
    modern_binary: Path, tmp_path: Path
) -> None:
    config_dir = tmp_path / "tray"
    write_settings(config_dir, binary=str(modern_binary), port=free_port())
    env = app_env(tmp_path / "run")
    tray = await start_app("--config-dir", str(config_dir), env=env)
    try:
        await wait_for_output(tray, "supervising:")  # stderr still shows the log
        code, out, _ = await cli(config_dir, "status", env=env)
        assert code == 0, out
    finally:
        tray.terminate()
        await asyncio.wait_for(tray.communicate(), 30)
    text = Paths.under(config_dir).tray_log.read_text()
    assert text.count("started (pid") == 1, text  # the status launch handed over and wrote nothing here
    for line in ("tray shown", "supervising:", "command from another launch: status", "quitting"):
        assert line in text, text
