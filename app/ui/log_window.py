"""View logs: a window that follows llm-link's log file live; the text can be selected and copied."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from PySide6.QtCore import QTimer
from PySide6.QtGui import QFontDatabase, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QVBoxLayout, QWidget

FOLLOW_INTERVAL_MS: Final = 500
MAX_LINES: Final = 5000
FIRST_READ_BYTES: Final = 256_000


class LogWindow(QWidget):
    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.setWindowTitle(f"llm-link log — {path}")
        self.resize(900, 500)
        self.text = QPlainTextEdit(self)
        self.text.setReadOnly(True)
        self.text.setMaximumBlockCount(MAX_LINES)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        self._offset = 0
        self._inode = 0
        self._timer = QTimer(self)
        self._timer.setInterval(FOLLOW_INTERVAL_MS)
        self._timer.timeout.connect(self.follow)

    def showEvent(self, event: object) -> None:
        self.follow()
        self._timer.start()

    def hideEvent(self, event: object) -> None:
        self._timer.stop()

    def follow(self) -> None:
        """Append what was written since the last look; start over when the file was rotated."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return
        if stat.st_ino != self._inode or stat.st_size < self._offset:
            self._inode = stat.st_ino
            self._offset = max(0, stat.st_size - FIRST_READ_BYTES) if not self.text.toPlainText() else 0
        if stat.st_size == self._offset:
            return
        with self.path.open("rb") as handle:
            handle.seek(self._offset)
            chunk = handle.read()
        self._offset += len(chunk)
        at_bottom = self.text.verticalScrollBar().value() == self.text.verticalScrollBar().maximum()
        cursor = self.text.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(chunk.decode("utf-8", "replace"))
        if at_bottom:
            self.text.verticalScrollBar().setValue(self.text.verticalScrollBar().maximum())
