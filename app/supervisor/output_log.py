"""llm-link's stdout/stderr, line by line, into a bounded rotating file and a short in-memory tail.

The file is what "View logs" shows; the tail goes into CRASHED / CRASH_LOOP errors. Every line passes the
key scrubber first: llm-link masks keys itself, but its request logging prints whole header maps.

The tray's own health polls are left out (`_HealthPolls`): at INFO llm-link logs twelve lines, about
1.1 kB, for every request, and the monitor asks `/api/health` every 10 s. Only those lines are dropped: the
other requests, config changes included, are what the log is read for.

Raw output arrives in chunks (`feed`); a line of any length costs at most `MAX_LINE` + a small margin of
memory: the rest of an over-long line is counted, not kept, and the log says where it was cut. A log file
that cannot be written (full or read-only disk) is warned about once, then the lines go to the tail only.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import re
import sys
from collections import deque
from collections.abc import Callable
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


# What llm-link (0.3.x to 0.7.x, src/main.rs `build_app_with_middleware`) logs for each request: a banner of
# ten lines written one by one in `make_span_with`, then lines inside the request's span. Measured at INFO:
#   <time>  INFO llm_link: 🌐 ======================================
#   <time>  INFO llm_link: 🌐 Incoming request: GET /api/health
#   <time>  INFO llm_link: 📋 Full URI: /api/health
#   <time>  INFO llm_link: 📋 Headers: {"host": "127.0.0.1:11435", …}
#   … User-Agent, Host, Accept, Content-Type, Content-Length …
#   <time>  INFO llm_link: ======================================
#   <time>  INFO http_request{method=GET uri=/api/health version=HTTP/1.1}: llm_link: 🚀 Processing request...
#   <time>  INFO http_request{method=GET uri=/api/health version=HTTP/1.1}: llm_link: ✅ Response: 200 OK (took …)
# and at DEBUG two more in the span, from tower_http ("started processing request", "finished … status=200").
_BANNER_LINE: Final = re.compile(r"\S+ +INFO +llm_link: (?P<message>.*)")
_BANNER: Final = tuple(
    re.compile(pattern)
    for pattern in (
        r"🌐 ======================================",
        r"🌐 Incoming request: (?P<method>\S+) (?P<uri>\S+)",
        r"📋 Full URI: (?P<uri>\S+)",
        r"📋 Headers: .*",
        r"📋 User-Agent: (?P<agent>.*)",
        r"📋 Host: .*",
        r"📋 Accept: .*",
        r"📋 Content-Type: .*",
        r"📋 Content-Length: .*",
        r"======================================",
    )
)
# Only the routine lines of a health request's span: a failed health answer (not 2xx), or anything else
# logged inside that span, stays.
_HEALTH_SPAN_LINES: Final = (
    re.compile(
        r"\S+ +INFO +http_request\{method=GET uri=(?P<uri>\S+) version=[^}]*\}: llm_link: "
        r"(?:🚀 Processing request\.\.\.|✅ Response: 2\d\d .*)"
    ),
    re.compile(
        r"\S+ +DEBUG +http_request\{method=GET uri=(?P<uri>\S+) version=[^}]*\}:request\{[^}]*\}: tower_http::trace::"
        r"(?:on_request: started processing request|on_response: finished processing request .*status=2\d\d)"
    ),
)
# Any line at INFO inside a GET's span (an editor-route check's own routine lines, e.g. 0.7.0's
# "✅ Successfully loaded models from embedded YAML" for /api/tags).
_GET_SPAN_LINE: Final = re.compile(r"\S+ +INFO +http_request\{method=GET uri=(?P<uri>\S+) version=[^}]*\}: .*")
_ANSI: Final = re.compile(r"\x1b\[[0-9;]*m")
HEALTH_PATH: Final = "/api/health"
# The User-Agent of the tray's own editor-route checks (probe.py): their banners go too. Its value is written
# here, not imported, so this module stays free of the HTTP side; tests/supervisor/test_output_log.py
# checks that both say the same.
PROBE_USER_AGENT: Final = "llm-link-tray-probe"
_PROBE_AGENTS: Final = (PROBE_USER_AGENT, f'Some("{PROBE_USER_AGENT}")')  # how 0.7.0 prints it: Rust's Debug


def _is_health(uri: str) -> bool:
    return uri.split("?", 1)[0] == HEALTH_PATH


class _HealthPolls:
    """Drops exactly the lines llm-link logs for a `GET /api/health`, line by line.

    A banner is held back until it is complete, then dropped if it was a health request's, written otherwise.
    Two requests at once (the monitor asks the health route and the editor route together) can interleave
    their banners line by line: a banner is only taken whole when its ten lines arrive in their fixed order,
    and interleaved banners break that order, so they are written as they came (health lines included).
    """

    def __init__(self) -> None:
        self._held: list[str] = []
        self._method = self._uri = self._full_uri = self._agent = ""
        # Editor-route checks of ours whose banner was dropped, by URI: their routine span lines go too.
        self._probes: dict[str, int] = {}

    def take(self, line: str) -> list[str]:
        """The lines to write now, in order: `line` and whatever it releases, or nothing while held."""
        plain = _ANSI.sub("", line) if "\x1b" in line else line
        banner = _BANNER_LINE.fullmatch(plain)
        message = banner["message"] if banner else None
        out: list[str] = []
        if self._held:
            step = _BANNER[len(self._held)].fullmatch(message) if message is not None else None
            if step is not None:
                self._held.append(line)
                if step.re is _BANNER[1]:
                    self._method, self._uri = step["method"], step["uri"]
                elif step.re is _BANNER[2]:
                    self._full_uri = step["uri"]
                elif step.re is _BANNER[4]:
                    self._agent = step["agent"]
                if len(self._held) < len(_BANNER):
                    return []
                done = self.release()
                routine = self._method == "GET" and self._full_uri == self._uri
                if routine and self._agent in _PROBE_AGENTS and not _is_health(self._uri):
                    self._probes[self._uri] = self._probes.get(self._uri, 0) + 1
                    return []
                health = routine and _is_health(self._uri)
                return [] if health else done
            out = self.release()  # out of order: not one request's banner alone, so keep it all
        if message is not None and _BANNER[0].fullmatch(message):
            self._held = [line]
            self._method = self._uri = self._full_uri = self._agent = ""
            return out
        for pattern in _HEALTH_SPAN_LINES:
            span = pattern.fullmatch(plain)
            if span is not None and _is_health(span["uri"]):
                return out
        span = _GET_SPAN_LINE.fullmatch(plain)
        if span is not None and self._probes.get(span["uri"]):
            if "✅ Response: " in plain:  # the last line of that request's span at INFO
                self._probes[span["uri"]] -= 1
            return out
        return [*out, line]

    def release(self) -> list[str]:
        """Whatever is held, to be written as it is (the output ended, or the banner was broken)."""
        held, self._held = self._held, []
        return held


class OutputStream:
    """One process's output into the shared log, with its own partial line and health-banner state: two
    instances writing at once (a blue/green switch) never splice each other's lines. `on_line` hears every
    line kept (the tamper watch reads llm-link's config-change lines there)."""

    def __init__(self, log: OutputLog, on_line: Callable[[str], None] | None = None) -> None:
        self._log = log
        self._on_line = on_line
        self._partial = bytearray()  # the line being received, at most MAX_LINE + _SCRUB_MARGIN bytes
        self._partial_dropped = 0  # bytes of that line beyond what is kept
        self._health_polls = _HealthPolls()

    def feed(self, data: bytes) -> None:
        """Raw output in chunks of any size: complete lines are logged, the last partial one is kept."""
        start = 0
        while (end := data.find(b"\n", start)) >= 0:
            self._keep(data[start:end])
            self._end_line()
            start = end + 1
        self._keep(data[start:])

    def finish(self) -> None:
        """The output ended: log a last line that had no newline, and a banner it cut short."""
        if self._partial or self._partial_dropped:
            self._end_line()
        self._write_out(self._health_polls.release())

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
        self._write_out(self._health_polls.take(clean))

    def _write_out(self, lines: list[str]) -> None:
        self._log.write_lines(lines)
        if self._on_line is not None:
            for line in lines:
                self._on_line(line)


class OutputLog:
    def __init__(self, path: Path, *, max_bytes: int = MAX_BYTES, backups: int = BACKUPS) -> None:
        self.path = path
        # A missing, read-only or full log folder must not stop the tray: the first write warns instead.
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
        self._handler = _QuietFileHandler(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8", delay=True)
        self._handler.setFormatter(logging.Formatter("%(message)s"))
        self._tail: deque[str] = deque(maxlen=TAIL_LINES)
        self._default = OutputStream(self)

    def stream(self, on_line: Callable[[str], None] | None = None) -> OutputStream:
        """A stream of its own for one process's output (see `OutputStream`)."""
        return OutputStream(self, on_line)

    def write(self, line: str, *, source: str = "llm-link") -> None:
        self.write_lines([scrub(line.rstrip("\r\n"))], source)

    def feed(self, data: bytes) -> None:
        """Raw output of the one process this log is for (see `stream` for several)."""
        self._default.feed(data)

    def finish(self) -> None:
        self._default.finish()

    def note(self, message: str) -> None:
        """A line of our own (start, stop, exit) so the log tells the whole story."""
        self.write(f"[llm-link-tray] {message}")

    def tail(self, count: int = 10) -> tuple[str, ...]:
        return tuple(self._tail)[-count:]

    def close(self) -> None:
        self._default.finish()
        # Closing flushes; on a full disk that fails again, and quitting must not.
        with contextlib.suppress(OSError):
            self._handler.close()

    def write_lines(self, lines: list[str], source: str = "llm-link") -> None:
        """Scrubbed lines, as they are: into the tail and the file."""
        for line in lines:
            self._tail.append(line)
            self._handler.emit(logging.LogRecord(source, logging.INFO, "", 0, line, None, None))
