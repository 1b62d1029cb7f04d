"""llm-link's stdout/stderr, line by line, into a bounded rotating file and a short in-memory tail.

The file is what "View logs" shows; the tail goes into CRASHED / CRASH_LOOP errors. Every line passes the
key scrubber first: llm-link masks keys itself, but its request logging prints whole header maps.

Raw output arrives in chunks (`feed`); a line of any length costs at most `MAX_LINE` + a small margin of
memory: the rest of an over-long line is counted, not kept, and the log says where it was cut. A log file
that cannot be written (full or read-only disk) is warned about once, then the lines go to the tail only.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import sys
from collections import deque
from pathlib import Path
from typing import Final

from app.secret import scrub

log = logging.getLogger("llm_link_tray.supervisor.output_log")

MAX_BYTES: Final = 1_000_000
BACKUPS: Final = 4  # 5 files of 1 MB in all
TAIL_LINES: Final = 50
# The longest line kept whole. llm-link logs each request's header map in one line, which an editor's
# long header (or a hostile web page) can make arbitrarily long.
MAX_LINE: Final = 8192
# Kept past MAX_LINE until the line is scrubbed, so a key that straddles the cut is still recognised.
_SCRUB_MARGIN: Final = 512


class _QuietFileHandler(logging.handlers.RotatingFileHandler):
    """The default `handleError` prints a "--- Logging error ---" block for every line that cannot be
    written; on a full disk that is every line. Warn once instead."""

    warned = False

    def handleError(self, record: logging.LogRecord) -> None:
        if self.warned:
            return
        self.warned = True
        # Called from inside emit's `except`: the exception at hand is the failed write's.
        reason = sys.exc_info()[1]
        log.warning(
            "cannot write llm-link's log %s (%s); further lines are kept in memory only", self.baseFilename, reason
        )


class OutputLog:
    def __init__(self, path: Path, *, max_bytes: int = MAX_BYTES, backups: int = BACKUPS) -> None:
        self.path = path
        # A missing, read-only or full log folder must not stop the tray: the first write warns instead.
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
        self._handler = _QuietFileHandler(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8", delay=True)
        self._handler.setFormatter(logging.Formatter("%(message)s"))
        self._tail: deque[str] = deque(maxlen=TAIL_LINES)
        self._partial = bytearray()  # the line being received, at most MAX_LINE + _SCRUB_MARGIN bytes
        self._partial_dropped = 0  # bytes of that line beyond what is kept

    def write(self, line: str, *, source: str = "llm-link") -> None:
        clean = scrub(line.rstrip("\r\n"))
        self._emit(clean, source)

    def feed(self, data: bytes) -> None:
        """Raw output in chunks of any size: complete lines are logged, the last partial one is kept."""
        start = 0
        while (end := data.find(b"\n", start)) >= 0:
            self._keep(data[start:end])
            self._end_line()
            start = end + 1
        self._keep(data[start:])

    def finish(self) -> None:
        """The output ended: log a last line that had no newline."""
        if self._partial or self._partial_dropped:
            self._end_line()

    def note(self, message: str) -> None:
        """A line of our own (start, stop, exit) so the log tells the whole story."""
        self.write(f"[llm-link-tray] {message}")

    def tail(self, count: int = 10) -> tuple[str, ...]:
        return tuple(self._tail)[-count:]

    def close(self) -> None:
        # Closing flushes; on a full disk that fails again, and quitting must not.
        with contextlib.suppress(OSError):
            self._handler.close()

    def _keep(self, piece: bytes) -> None:
        room = max(MAX_LINE + _SCRUB_MARGIN - len(self._partial), 0)
        self._partial += piece[:room]
        self._partial_dropped += max(len(piece) - room, 0)

    def _end_line(self) -> None:
        raw, dropped = bytes(self._partial), self._partial_dropped
        self._partial.clear()
        self._partial_dropped = 0
        clean = scrub(raw.decode("utf-8", "replace").rstrip("\r"))
        total = len(raw) + dropped
        if total > MAX_LINE:
            clean = f"{clean[:MAX_LINE]} … [cut: line of {total} bytes]"
        self._emit(clean, "llm-link")

    def _emit(self, clean: str, source: str) -> None:
        self._tail.append(clean)
        record = logging.LogRecord(source, logging.INFO, "", 0, clean, None, None)
        self._handler.emit(record)
