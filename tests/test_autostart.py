"""Autostart at login: real on Linux (XDG), and exactly what would be written on macOS and Windows."""

from __future__ import annotations

import plistlib
import shutil
import subprocess
from pathlib import Path

import pytest

from app.autostart import LaunchAgent, XdgAutostart, desktop_entry, launch_agent_plist, run_value
from tests.conftest import REPO_ROOT, missing

COMMAND = ["/opt/llm link/bin/python", "-m", "app"]


def test_xdg_autostart_round_trips(tmp_path: Path) -> None:
    auto = XdgAutostart(COMMAND, config_home=tmp_path)
    assert not auto.is_enabled()
    auto.enable()
    assert auto.is_enabled()
    assert auto.path == tmp_path / "autostart" / "io.github.llm_link_tray.desktop"
    assert 'Exec="/opt/llm link/bin/python" -m app' in auto.path.read_text()
    auto.disable()
    assert not auto.is_enabled() and not auto.path.exists()
    auto.disable()  # twice is fine


def test_an_entry_switched_off_in_place_counts_as_off(tmp_path: Path) -> None:
    auto = XdgAutostart(COMMAND, config_home=tmp_path)
    auto.enable()
    auto.path.write_text(auto.path.read_text().replace("X-GNOME-Autostart-enabled=true", "Hidden=true"))
    assert not auto.is_enabled()


def _validate(path: Path) -> None:
    if shutil.which("desktop-file-validate") is None:
        missing("desktop-file-validate (Debian: desktop-file-utils) is not installed")
    result = subprocess.run(["desktop-file-validate", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout


@pytest.mark.parametrize(
    "command",
    [COMMAND, ['/home/a b/it\'s \\ $HOME `x` "q" 100%/py', "-m", "app"]],
    ids=["space", "every-reserved-character"],
)
def test_the_autostart_entry_is_a_valid_desktop_file(tmp_path: Path, command: list[str]) -> None:
    path = tmp_path / "io.github.llm_link_tray.desktop"
    path.write_text(desktop_entry(command))
    _validate(path)


def test_the_shipped_desktop_entry_is_valid_and_matches_the_app_id() -> None:
    entry = REPO_ROOT / "packaging" / "io.github.llm_link_tray.desktop"
    _validate(entry)
    assert 'setDesktopFileName("io.github.llm_link_tray")' in (REPO_ROOT / "app" / "tray.py").read_text()
    assert "Icon=io.github.llm_link_tray" in entry.read_text()
    resources = REPO_ROOT / "resources"
    assert (resources / "io.github.llm_link_tray.svg").is_file()
    for size in (16, 22, 24, 32, 48, 64, 128, 256, 512):
        png = resources / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "io.github.llm_link_tray.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png


def test_macos_writes_a_launch_agent_that_runs_at_login(tmp_path: Path) -> None:
    agent = LaunchAgent(COMMAND, home=tmp_path)
    agent.enable()
    assert agent.path == tmp_path / "Library/LaunchAgents/io.github.llm_link_tray.plist"
    data = plistlib.loads(agent.path.read_bytes())
    assert data == plistlib.loads(launch_agent_plist(COMMAND))
    assert data["ProgramArguments"] == COMMAND and data["RunAtLoad"] is True
    agent.disable()
    assert not agent.is_enabled()


@pytest.mark.parametrize(
    ("command", "value"),
    [
        (
            ["C:\\Program Files\\llm-link-tray\\llm-link-tray.exe"],
            '"C:\\Program Files\\llm-link-tray\\llm-link-tray.exe"',
        ),
        (["C:\\py\\python.exe", "-m", "app"], "C:\\py\\python.exe -m app"),
    ],
)
def test_windows_writes_a_quoted_run_value(command: list[str], value: str) -> None:
    assert run_value(command) == value
