"""The tray's own log: stderr and a rotating file in the log folder, every line scrubbed of keys.

After an autostart nobody reads stderr, so the file is what tells afterwards what happened. Only the process
that became the tray writes the file (`to_file` is called once the instance lock is won): a launch that just
hands its command over must not write, or worse rotate, a file the running tray is writing.

stderr stays as well: in a terminal it is what the user watches, and the tests and `journalctl` read it.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
import sys
from io import TextIOWrapper
from pathlib import Path
from typing import Final

from app import __version__
from app.secret import RedactingFilter, scrub

log = logging.getLogger("llm_link_tray.logs")

MAX_BYTES: Final = 1 << 20
BACKUPS: Final = 3  # 4 files of 1 MiB in all
FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class ScrubbingFormatter(logging.Formatter):
    """`RedactingFilter` cleans the message; a key can also sit in a traceback (an exception's text) or stack
    text, which only the formatter adds. Scrubbing the finished line covers both."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


class _TrayFileHandler(logging.handlers.RotatingFileHandler):
    """Private to the user, and quiet when the disk is full or read-only: the default `handleError` prints a
    "--- Logging error ---" block for every line, which on a full disk is every line. Warn once instead."""

    warned = False

    def _open(self) -> TextIOWrapper:
        stream = super()._open()
        # Keys are masked, but the log still names providers, models, ports and paths: not for other users.
        with contextlib.suppress(OSError):
            os.chmod(self.baseFilename, 0o600)
        return stream

    def handleError(self, record: logging.LogRecord) -> None:
        if self.warned:
            return
        self.warned = True
        # Called from inside emit's `except`: the exception at hand is the failed write's. This warning goes
        # through this handler too, which now returns at once; stderr still shows it.
        log.warning("cannot write the log file %s (%s); logging to stderr only", self.baseFilename, sys.exc_info()[1])


def _scrubbed(handler: logging.Handler) -> logging.Handler:
    handler.addFilter(RedactingFilter())
    handler.setFormatter(ScrubbingFormatter(FORMAT))
    return handler


def setup(level: str) -> None:
    """Logging for any launch of the app: stderr only, until `to_file` (the tray) adds the file."""
    # No stderr at all under some launchers (pythonw, a detached autostart on some desktops).
    handlers = [_scrubbed(logging.StreamHandler())] if sys.stderr is not None else []
    logging.basicConfig(level=level, handlers=handlers)
    # httpx logs every request at INFO; our own client logs what matters.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def to_file(path: Path, *, max_bytes: int = MAX_BYTES, backups: int = BACKUPS) -> logging.Handler:
    """Also log to `path`, rotated at `max_bytes` with `backups` older files. Returns the handler (tests
    remove it again). A folder that cannot be written costs the file, never the tray."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
    handler = _TrayFileHandler(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8", delay=True)
    logging.getLogger().addHandler(_scrubbed(handler))
    # One line per run, so a file that holds several runs says where each one begins.
    log.info("llm-link-tray %s started (pid %d), logging to %s", __version__, os.getpid(), path)
    return handler
