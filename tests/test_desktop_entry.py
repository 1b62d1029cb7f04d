"""`llm-link-tray install-desktop` puts the app in the application menu; `uninstall-desktop` takes out exactly
that. Run as a user would (`python -m app …` in its own process) against a private XDG data folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app import desktop_entry
from app.errors import AppErrorException
from tests.app_process import cli
from tests.conftest import REPO_ROOT, missing

APP_ID = "io.github.llm_link_tray"


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "HOME": str(tmp_path / "home")}


def _tree(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob("*")} if root.exists() else set()


def _validate(path: Path) -> None:
    if shutil.which("desktop-file-validate") is None:
        missing("desktop-file-validate (Debian: desktop-file-utils) is not installed")
    result = subprocess.run(["desktop-file-validate", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout


async def test_install_puts_a_valid_entry_and_the_icons_in_the_menu_and_uninstall_takes_them_out(
    tmp_path: Path,
) -> None:
    env, data = _env(tmp_path), tmp_path / "data"
    (data / "applications").mkdir(parents=True)
    mine = data / "applications" / "my-editor.desktop"
    mine.write_text("[Desktop Entry]\nType=Application\nName=Mine\nExec=true\n")
    before = _tree(data)

    code, out, err = await cli(tmp_path / "app", "install-desktop", env=env)
    assert code == 0, err
    assert "uninstall-desktop" in out
    entry = data / "applications" / f"{APP_ID}.desktop"
    _validate(entry)
    text = entry.read_text()
    # The entry starts this very installation, with the same config folder.
    assert f"Exec={sys.executable} -m app --config-dir {tmp_path / 'app'}\n" in text
    assert f"Icon={APP_ID}" in text
    for size in (16, 48, 256):
        assert (data / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png").is_file()
    assert (data / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").is_file()
    assert (data / "icons" / "hicolor" / "symbolic" / "apps" / f"{APP_ID}-symbolic.svg").is_file()

    # A user's own icon dropped into a folder we created must survive uninstall, and so must that folder.
    theirs = data / "icons" / "hicolor" / "48x48" / "apps" / "their-app.png"
    theirs.write_bytes(b"not ours")

    code, out, err = await cli(tmp_path / "app", "uninstall-desktop", env=env)
    assert code == 0, err
    assert mine.read_text().startswith("[Desktop Entry]") and theirs.read_bytes() == b"not ours"
    assert _tree(data) == before | {
        Path("icons"),
        Path("icons/hicolor"),
        Path("icons/hicolor/48x48"),
        Path("icons/hicolor/48x48/apps"),
        Path("icons/hicolor/48x48/apps/their-app.png"),
    }

    code, out, _ = await cli(tmp_path / "app", "uninstall-desktop", env=env)
    assert code == 0 and "Nothing to remove" in out


def test_uninstall_removes_exactly_what_was_installed(tmp_path: Path) -> None:
    data, state = tmp_path / "data", tmp_path / "state"
    result = desktop_entry.install(state, command=["/opt/llm link/python", "-m", "app"], data=data)
    installed = {p for p in data.rglob("*") if p.is_file()}
    assert installed == set(result.files) and desktop_entry.is_installed(state)
    edited = desktop_entry.desktop_file(data)
    edited.write_text(edited.read_text() + "NoDisplay=true\n")  # the user hid it by hand

    undone = desktop_entry.uninstall(state)
    assert set(undone.files) == installed - {edited} and undone.kept == (edited,)
    assert [p for p in data.rglob("*") if p.is_file()] == [edited]  # their edit is theirs now
    assert not desktop_entry.is_installed(state)


def test_a_file_of_the_same_name_that_is_not_ours_is_refused_not_overwritten(tmp_path: Path) -> None:
    data, state = tmp_path / "data", tmp_path / "state"
    entry = desktop_entry.desktop_file(data)
    entry.parent.mkdir(parents=True)
    entry.write_text("[Desktop Entry]\nType=Application\nName=Hand made\nExec=llm-link-tray\n")
    with pytest.raises(AppErrorException) as caught:
        desktop_entry.install(state, data=data)
    assert "already exists" in caught.value.error.message and "Hand made" in entry.read_text()
    assert not desktop_entry.is_installed(state) and not (data / "icons").exists()


def test_installing_again_updates_the_command_and_keeps_one_record(tmp_path: Path) -> None:
    data, state = tmp_path / "data", tmp_path / "state"
    desktop_entry.install(state, command=["/old/python", "-m", "app"], data=data)
    desktop_entry.install(state, command=["/new/python", "-m", "app"], data=data)
    assert "Exec=/new/python -m app" in desktop_entry.desktop_file(data).read_text()
    desktop_entry.uninstall(state)
    assert not data.exists()  # every folder on the way was ours, and is empty again


def test_the_data_folder_follows_xdg() -> None:
    home = Path("/home/someone")
    assert desktop_entry.data_home({"XDG_DATA_HOME": "/x/data"}, home) == Path("/x/data")
    assert desktop_entry.data_home({"XDG_DATA_HOME": "relative"}, home) == home / ".local/share"
    assert desktop_entry.data_home({}, home) == home / ".local/share"


def test_the_shipped_template_carries_the_app_id_and_the_notification_flag() -> None:
    text = (REPO_ROOT / "packaging" / f"{APP_ID}.desktop").read_text()
    assert f"Icon={APP_ID}" in text and "X-GNOME-UsesNotifications=true" in text
