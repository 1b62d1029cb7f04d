"""View logs: one tab per log file (the tray's, llm-link's, any other the shell passes), each followed live,
with a search field. Text can be selected and copied.

Following reads only what was appended since the last look, and never more than the last `TAIL_BYTES` of a
file at once: a log of hundreds of megabytes opens as fast as a small one, and a burst of output cannot
freeze the UI. Rotation (the file renamed to `.1`, a new one begun) is followed: the rest of the old file is
read first, then the new one from its start.
"""

from __future__ import annotations

import codecs
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtGui import QColor, QFontDatabase, QKeySequence, QShortcut, QTextCharFormat, QTextCursor, QTextDocument
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

log = logging.getLogger("llm_link_tray.ui.log_window")

FOLLOW_INTERVAL_MS: Final = 500
TAIL_BYTES: Final = 1 << 20  # the most read at once: at the first look, after a rotation, or of a burst
MAX_LINES: Final = 20_000  # a MiB of llm-link's log is about 10 000 lines
MAX_HIGHLIGHTS: Final = 2_000  # highlighting every "INFO" of a full view would cost more than it shows


def _size(count: int) -> str:
    return f"{count / (1 << 20):.1f} MiB" if count >= 1 << 20 else f"{count / 1024:.0f} KiB"


class LogView(QPlainTextEdit):
    """One log file, followed: `follow()` appends what was written since the last call."""

    def __init__(self, title: str, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title, self.path = title, path
        self.setReadOnly(True)
        self.setMaximumBlockCount(MAX_LINES)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setPlaceholderText(self.tr("{path} is empty or does not exist yet.").format(path=path))
        self._inode = 0  # of the file read so far; 0: none yet
        self._offset = 0
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def follow(self) -> bool:
        """Append what was written since the last look. Whether anything was."""
        try:
            stat = os.stat(self.path)
        except OSError:
            return False  # not there yet (llm-link never ran), or unreadable: nothing to show
        appended = False
        if stat.st_ino != self._inode:
            if self._inode:
                appended = self._read_rest_of_rotated()
            self._inode, self._offset = stat.st_ino, 0
            self._decoder.reset()
        elif stat.st_size < self._offset:  # truncated in place: start over
            self._offset = 0
            self._decoder.reset()
        if stat.st_size > self._offset:
            appended = self._read(self.path, stat.st_size) or appended
        return appended

    def _read_rest_of_rotated(self) -> bool:
        """The lines the old file got after our last look, before it was renamed to `<name>.1`."""
        rotated = self.path.with_name(self.path.name + ".1")
        try:
            stat = os.stat(rotated)
        except OSError:
            return False
        return stat.st_ino == self._inode and stat.st_size > self._offset and self._read(rotated, stat.st_size)

    def _read(self, path: Path, end: int) -> bool:
        """Bytes from the last offset up to `end` (a size just seen, so a growing file cannot make the read
        unbounded), or only the last `TAIL_BYTES` of them, starting at a line."""
        start = max(self._offset, end - TAIL_BYTES)
        try:
            with path.open("rb") as handle:
                handle.seek(start)
                chunk = handle.read(end - start)
        except OSError as exc:
            log.debug("cannot read %s: %s", path, exc)
            return False
        skipped = start - self._offset
        self._offset = start + len(chunk)
        note = ""
        if skipped:
            # The cut line's rest is noise; the marker says where the window's view of the file begins.
            chunk = chunk[chunk.find(b"\n") + 1 :]
            self._decoder.reset()
            note = QCoreApplication.translate("LogView", "[… {size} not shown here; the whole log is {path} …]").format(
                size=_size(skipped), path=path
            )
            note += "\n"
        text = note + self._decoder.decode(chunk)
        if text:
            self._append(text)
        return bool(text)

    def _append(self, text: str) -> None:
        bar = self.verticalScrollBar()
        at_bottom = bar.value() == bar.maximum()
        # A cursor of our own: the user's (a selection, the current search match) stays where it is.
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text)
        if at_bottom:  # following the end; someone who scrolled up to read is left there
            bar.setValue(bar.maximum())


class LogWindow(QWidget):
    """The logs as tabs, in the order given, with one search field for the tab shown."""

    def __init__(self, logs: Sequence[tuple[str, Path]]) -> None:
        super().__init__()
        self.setWindowTitle(self.tr("llm-link-tray logs"))
        self.resize(1000, 600)
        self.views = [LogView(title, path) for title, path in logs]
        self.tabs = QTabWidget(self)
        for view in self.views:
            index = self.tabs.addTab(view, view.title)
            self.tabs.setTabToolTip(index, str(view.path))

        self.search = QLineEdit(self)
        self.search.setPlaceholderText(self.tr("Find (not case-sensitive)"))
        self.search.setClearButtonEnabled(True)
        self.previous_button = QPushButton(self.tr("Previous"), self)
        self.next_button = QPushButton(self.tr("Next"), self)
        self.matches = QLabel(self)
        bar = QHBoxLayout()
        bar.addWidget(self.search, 1)
        bar.addWidget(self.previous_button)
        bar.addWidget(self.next_button)
        bar.addWidget(self.matches)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.tabs)

        self.search.textChanged.connect(self._search_changed)
        self.search.returnPressed.connect(self.find_next)
        self.next_button.clicked.connect(self.find_next)
        self.previous_button.clicked.connect(self.find_previous)
        self.tabs.currentChanged.connect(lambda _index: self._highlight())
        QShortcut(QKeySequence.StandardKey.Find, self, self._focus_search)
        QShortcut(QKeySequence.StandardKey.FindNext, self, self.find_next)
        QShortcut(QKeySequence.StandardKey.FindPrevious, self, self.find_previous)
        shift_return = QShortcut(QKeySequence("Shift+Return"), self.search, self.find_previous)
        shift_return.setContext(Qt.ShortcutContext.WidgetShortcut)

        self._timer = QTimer(self)
        self._timer.setInterval(FOLLOW_INTERVAL_MS)
        self._timer.timeout.connect(self.follow)

    @property
    def current(self) -> LogView:
        view = self.tabs.currentWidget()
        assert isinstance(view, LogView)
        return view

    def showEvent(self, event: object) -> None:
        self.follow()
        self._timer.start()

    def hideEvent(self, event: object) -> None:
        self._timer.stop()

    def follow(self) -> None:
        for view in self.views:
            if view.follow() and view is self.current and self.search.text():
                self._highlight()  # new lines may hold the term too

    def find_next(self) -> bool:
        return self._find(backward=False)

    def find_previous(self) -> bool:
        return self._find(backward=True)

    def _focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _search_changed(self, term: str) -> None:
        # Find as you type: from where the current match begins, so a longer term keeps the same place.
        view = self.current
        cursor = view.textCursor()
        cursor.setPosition(cursor.selectionStart())
        view.setTextCursor(cursor)
        if term:
            self._find(backward=False)
        else:
            self._highlight()

    def _find(self, *, backward: bool) -> bool:
        """Select the next (previous) match in the current tab, wrapping around at the end (start)."""
        term, view = self.search.text(), self.current
        if not term:
            return False
        flags = QTextDocument.FindFlag.FindBackward if backward else QTextDocument.FindFlag(0)
        document = view.document()
        found = document.find(term, view.textCursor(), flags)
        if found.isNull():
            start = QTextCursor(document)
            if backward:
                start.movePosition(QTextCursor.MoveOperation.End)
            found = document.find(term, start, flags)
        if not found.isNull():
            view.setTextCursor(found)
            view.ensureCursorVisible()
        self._highlight()
        return not found.isNull()

    def _highlight(self) -> None:
        """Mark every match (up to MAX_HIGHLIGHTS) in the current tab; clear the marks in the others."""
        term, view = self.search.text(), self.current
        found: list[QTextEdit.ExtraSelection] = []
        if term:
            mark = QTextCharFormat()
            mark.setBackground(QColor("#ffd54f"))
            mark.setForeground(QColor("black"))  # readable on the yellow under a dark theme too
            document = view.document()
            cursor = document.find(term, QTextCursor(document))
            while not cursor.isNull() and len(found) < MAX_HIGHLIGHTS:
                selection = QTextEdit.ExtraSelection()
                selection.cursor, selection.format = cursor, mark
                found.append(selection)
                cursor = document.find(term, cursor)
        for other in self.views:
            if other is not view:
                other.setExtraSelections([])
        view.setExtraSelections(found)
        if not term:
            self.matches.setText("")
        elif not found:
            self.matches.setText(self.tr("not found"))
        else:
            count = f"{len(found)}{'+' if len(found) == MAX_HIGHLIGHTS else ''}"
            self.matches.setText(self.tr("{count} found").format(count=count))
