"""View logs: follows the file live, survives rotation, text can be copied."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.ui.log_window import LogWindow


def test_the_log_window_follows_appends_and_rotation(qtbot: QtBot, tmp_path: Path, qapp: QApplication) -> None:
    log = tmp_path / "llm-link.log"
    log.write_text("first line\n")
    window = LogWindow(log)
    qtbot.addWidget(window)
    window.show()
    assert window.text.toPlainText() == "first line\n"
    with log.open("a") as handle:
        handle.write("second line\n")
    qtbot.waitUntil(lambda: "second line" in window.text.toPlainText(), timeout=5000)
    log.rename(tmp_path / "llm-link.log.1")  # rotation: a new, shorter file appears
    log.write_text("after rotation\n")
    qtbot.waitUntil(lambda: "after rotation" in window.text.toPlainText(), timeout=5000)
    window.text.selectAll()
    window.text.copy()
    assert "after rotation" in qapp.clipboard().text()
    assert window.text.isReadOnly()
