"""View logs: every log in a tab, followed live (appends, rotation, huge files), searchable, text can be copied."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app import logs
from app.controller import Controller
from app.ui.log_window import TAIL_BYTES, LogView, LogWindow
from app.ui.shell import Shell
from tests.ui.conftest import MakeController

WAIT_MS = 5000


def append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


def texts(window: LogWindow) -> list[str]:
    return [view.toPlainText() for view in window.views]


def test_each_log_has_a_tab_that_follows_appends_and_rotation(
    qtbot: QtBot, tmp_path: Path, qapp: QApplication
) -> None:
    llmlink, tray, gateway = tmp_path / "llm-link.log", tmp_path / "llm-link-tray.log", tmp_path / "gateway.log"
    llmlink.write_text("llm-link started\n")
    tray.write_text("tray shown\n")
    window = LogWindow([("llm-link", llmlink), ("llm-link-tray", tray), ("gateway", gateway)])
    qtbot.addWidget(window)
    window.show()
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == ["llm-link", "llm-link-tray", "gateway"]
    assert texts(window) == ["llm-link started\n", "tray shown\n", ""]  # no gateway log yet: an empty tab

    append(llmlink, "second llm-link line\n")
    append(tray, "second tray line\n")
    gateway.write_text("gateway listening\n")
    qtbot.waitUntil(
        lambda: texts(window)
        == ["llm-link started\nsecond llm-link line\n", "tray shown\nsecond tray line\n", "gateway listening\n"],
        timeout=WAIT_MS,
    )

    # Rotation as RotatingFileHandler does it: a last line into the old file, renamed to .1, a new file begun.
    append(llmlink, "last line before rotation\n")
    llmlink.rename(tmp_path / "llm-link.log.1")
    llmlink.write_text("first line after rotation\n")
    qtbot.waitUntil(lambda: "first line after rotation" in window.views[0].toPlainText(), timeout=WAIT_MS)
    assert window.views[0].toPlainText().endswith(
        "second llm-link line\nlast line before rotation\nfirst line after rotation\n"
    )

    # A character cut in two by the writer's timing is shown whole once its second half arrives.
    split = "🌐 Incoming request\n".encode()
    with tray.open("ab") as handle:
        handle.write(split[:2])
    window.follow()
    with tray.open("ab") as handle:
        handle.write(split[2:])
    qtbot.waitUntil(lambda: window.views[1].toPlainText().endswith("🌐 Incoming request\n"), timeout=WAIT_MS)
    assert "\ufffd" not in window.views[1].toPlainText()

    window.views[0].selectAll()
    window.views[0].copy()
    assert "first line after rotation" in qapp.clipboard().text()
    assert all(view.isReadOnly() for view in window.views)


def test_search_finds_and_highlights_a_term_in_each_log(qtbot: QtBot, tmp_path: Path) -> None:
    llmlink, tray = tmp_path / "llm-link.log", tmp_path / "llm-link-tray.log"
    llmlink.write_text("started\n🔄 Switching to provider: zhipu\n✅ Provider switched successfully to: zhipu\nidle\n")
    tray.write_text("tray shown\nswitch to zhipu requested\nSWITCH done\n")
    window = LogWindow([("llm-link", llmlink), ("llm-link-tray", tray)])
    qtbot.addWidget(window)
    window.show()

    for index, view in enumerate(window.views):
        window.tabs.setCurrentIndex(index)
        window.search.clear()
        qtbot.keyClicks(window.search, "Switch")  # typing finds the first match, whatever its case
        first = view.textCursor()
        assert first.selectedText().lower() == "switch"
        assert len(view.extraSelections()) == 2 and window.matches.text() == "2 found"
        qtbot.keyClick(window.search, Qt.Key.Key_Return)  # next
        second = view.textCursor()
        assert second.selectedText().lower() == "switch" and second.position() > first.position()
        qtbot.keyClick(window.search, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)  # previous
        assert view.textCursor().position() == first.position()
        window.previous_button.click()  # before the first: wraps round to the last
        assert view.textCursor().position() == second.position()
        assert all(not other.extraSelections() for other in window.views if other is not view)

    # New lines with the term are highlighted as they arrive.
    append(tray, "switch again\n")
    qtbot.waitUntil(lambda: len(window.views[1].extraSelections()) == 3, timeout=WAIT_MS)

    window.search.setText("no such words")
    assert window.matches.text() == "not found" and not window.views[1].extraSelections()
    assert not window.find_next()


def test_a_huge_log_opens_at_its_end_and_a_burst_shows_only_its_last_part(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "llm-link.log"
    line = "x" * 99 + "\n"
    with path.open("w") as handle:
        handle.write("the very first line\n")
        handle.write(line * 400_000)  # 40 MB
        handle.write("the last line\n")
    window = LogWindow([("llm-link", path)])
    qtbot.addWidget(window)
    window.show()
    view: LogView = window.views[0]
    text = view.toPlainText()
    assert text.endswith("the last line\n") and "the very first line" not in text
    assert text.startswith("[… 37.1 MiB not shown here")  # says where the whole log is
    assert len(text.encode()) <= TAIL_BYTES + 200

    append(path, "burst begins\n" + line * 30_000 + "burst ends\n")  # 3 MB between two looks
    qtbot.waitUntil(lambda: view.toPlainText().endswith("burst ends\n"), timeout=WAIT_MS)
    assert "burst begins" not in view.toPlainText()


async def test_view_logs_in_the_tray_menu_shows_llmlinks_log_and_the_trays(
    modern_binary: Path, make_controller: MakeController, qapp: QApplication
) -> None:
    controller: Controller = await make_controller(modern_binary)  # started: llm-link has logged
    handler = logs.to_file(controller.paths.tray_log)
    shell = Shell(controller)
    try:
        logging.getLogger("llm_link_tray.test").warning("a line of the tray's own log")
        shell.tray.actions["view_logs"].trigger()
        window = shell.log_window
        assert window is not None and window.isVisible()
        assert [view.title for view in window.views] == ["llm-link", "llm-link-tray", "gateway"]
        llmlink, tray, gateway = window.views
        assert "is listening on" in llmlink.toPlainText()
        assert "new requests go to 127.0.0.1:" in gateway.toPlainText()  # the gateway's own log
        assert "a line of the tray's own log" in tray.toPlainText()
        window.tabs.setCurrentIndex(1)
        window.search.setText("OWN LOG")
        assert tray.textCursor().selectedText() == "own log" and len(tray.extraSelections()) == 1
        window.close()
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
        shell.tray.dispose()
