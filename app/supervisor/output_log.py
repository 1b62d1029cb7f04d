"""llm-link's stdout/stderr, line by line, into a bounded rotating file and a short in-memory tail.

The file is what "View logs" shows; the tail goes into CRASHED / CRASH_LOOP errors. Every line passes the
key scrubber first: llm-link masks keys itself, but its request logging prints whole header maps.
"""

from __future__ import annotations

import logging
import logging.handlers
from collections import deque
from pathlib import Path
from typing import Final

from app.secret import scrub

MAX_BYTES: Final = 1_000_000
BACKUPS: Final = 4  # 5 files of 1 MB in all
TAIL_LINES: Final = 50


class OutputLog:
    def __init__(self, path: Path, *, max_bytes: int = MAX_BYTES, backups: int = BACKUPS) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8", delay=True
        )
        self._handler.setFormatter(logging.Formatter("%(message)s"))
        self._tail: deque[str] = deque(maxlen=TAIL_LINES)

    def write(self, line: str, *, source: str = "llm-link") -> None:
        clean = scrub(line.rstrip("\r\n"))
        self._tail.append(clean)
        record = logging.LogRecord(source, logging.INFO, "", 0, clean, None, None)
        self._handler.emit(record)

    def note(self, message: str) -> None:
        """A line of our own (start, stop, exit) so the log tells the whole story."""
        self.write(f"[llm-link-tray] {message}")

    def tail(self, count: int = 10) -> tuple[str, ...]:
        return tuple(self._tail)[-count:]

    def close(self) -> None:
        self._handler.close()
