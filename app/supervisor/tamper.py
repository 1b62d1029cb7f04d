"""Changes to llm-link's settings that the supervisor did not make: another local program on its private port.

The gateway keeps browsers and editors away from llm-link's management API, but its private port stays
reachable by every local process, and that API needs no key. What we can do is notice. llm-link logs the
start of every change it accepts, at info level, in 0.3.x and 0.7.x alike (`src/api/config/mod.rs`):

    🔄 Switching to provider: openai (key: sk-a***)        POST /api/config/switch-provider
    🔧 Updating API key for provider: openai (key: sk-a***)  POST /api/config/update-key

A key or base-URL swap within the same provider shows nowhere else: `/api/config/current` looks the same.
The supervisor announces each change it makes itself (`expect`, just before the request), and any change
line not announced is a change by someone else. Lines can arrive after the HTTP answer (the pipe and the
socket are read in whichever order the loop sees them), so announcements are counted, not matched in order,
and expire after `ANNOUNCE_TTL`: an announced request that failed before llm-link logged cannot hide a later
change for long. Detection, not prevention: docs/SECURITY.md says what happens before it.
"""

from __future__ import annotations

import logging
import re
import time
from collections import deque
from collections.abc import Callable
from typing import Final

log = logging.getLogger("llm_link_tray.supervisor.tamper")

CHANGE_LINE: Final = re.compile(r"(?:🔄 Switching to provider|🔧 Updating API key for provider): ")
ANNOUNCE_TTL: Final = 10.0


def is_change(line: str) -> bool:
    return CHANGE_LINE.search(line) is not None


class TamperWatch:
    """Reads llm-link's output lines per pid; `on_tamper(pid, line)` is told of each change not announced."""

    def __init__(self, on_tamper: Callable[[int, str], None]) -> None:
        self._on_tamper = on_tamper
        self._announced: dict[int, deque[float]] = {}

    def expect(self, pid: int) -> None:
        """The supervisor is about to change the settings of llm-link `pid` itself."""
        now = time.monotonic()
        for stale in [p for p, times in self._announced.items() if now - times[-1] > ANNOUNCE_TTL]:
            del self._announced[stale]  # announced and never logged (a launch that failed): gone for good
        self._announced.setdefault(pid, deque()).append(now)

    def line(self, pid: int, line: str) -> None:
        if not is_change(line):
            return
        announced = self._announced.pop(pid, None)
        now = time.monotonic()
        while announced and now - announced[0] > ANNOUNCE_TTL:
            announced.popleft()
        if announced:
            announced.popleft()
            if announced:  # kept only while something is still announced: pids come and go with every switch
                self._announced[pid] = announced
            return
        log.warning("llm-link %d: a change of settings the tray did not make: %s", pid, line.strip())
        self._on_tamper(pid, line)
