"""First run without llm-link: the app explains, installs with cargo, and runs it without a restart."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.errors import ErrorCode
from app.paths import llmlink_builds_dir
from app.supervisor.state import State
from app.ui.first_run import FirstRunDialog
from tests.conftest import MODERN, missing
from tests.ui.conftest import MakeController


async def test_missing_llmlink_is_explained_then_installed_and_started(
    make_controller: MakeController, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    if shutil.which("cargo") is None:
        missing("cargo is not installed")
    if not os.access(llmlink_builds_dir() / MODERN / "bin" / "llm-link", os.X_OK):
        missing(f"llm-link {MODERN} is not built")
    real_home, cargo_root = Path.home(), llmlink_builds_dir() / MODERN
    # Nothing to discover: no configured path, no env var, an empty home, no builds of scripts/run-tray.
    monkeypatch.delenv("LLM_LINK_BINARY_PATH", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LLM_LINK_TRAY_BUILDS", str(tmp_path / "no-builds"))
    monkeypatch.setenv(
        "PATH", os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if not (Path(p) / "llm-link").exists())
    )
    # rustup and cargo find their toolchain and caches through HOME unless told: keep the real ones.
    monkeypatch.setenv("CARGO_HOME", os.environ.get("CARGO_HOME", str(real_home / ".cargo")))
    monkeypatch.setenv("RUSTUP_HOME", os.environ.get("RUSTUP_HOME", str(real_home / ".rustup")))
    controller = await make_controller(None)
    assert controller.status.error is not None and controller.status.error.code is ErrorCode.EXE_NOT_FOUND

    # The cached build's root serves as cargo's root, so `cargo install` finds it installed and returns fast.
    dialog = FirstRunDialog(controller, cargo_root=cargo_root)
    qtbot.addWidget(dialog)
    dialog.open()
    assert "cargo install llm-link" in dialog.intro.text() and dialog.install_button.isEnabled()
    result = await dialog.install()
    assert result.error is None, result.error
    assert "llm-link" in dialog.output.toPlainText()  # cargo's own output, shown as it came
    status = controller.status
    assert status.state is State.RUNNING, status
    assert controller.settings.llmlink.binary == str(cargo_root / "bin" / "llm-link")


async def test_the_first_run_dialog_adds_the_app_to_the_application_menu(
    make_controller: MakeController, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    controller = await make_controller(None, open=False)
    dialog = FirstRunDialog(controller)
    qtbot.addWidget(dialog)
    dialog.open()
    assert dialog.menu_button.isEnabled()
    with qtbot.waitSignal(dialog.menu_entry_added, timeout=5000) as added:
        qtbot.mouseClick(dialog.menu_button, Qt.MouseButton.LeftButton)
    assert added.args == [True]
    entry = tmp_path / "data" / "applications" / "io.github.llm_link_tray.desktop"
    assert f"--config-dir {controller.paths.config_dir.parent}" in entry.read_text()  # this very instance
    assert "application menu" in dialog.result_label.text() and not dialog.menu_button.isEnabled()
    again = FirstRunDialog(controller)  # a later first run knows it is done
    qtbot.addWidget(again)
    assert not again.menu_button.isEnabled()
