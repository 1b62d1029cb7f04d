"""The desktop parts tests drive (an X display, the session bus, a notification daemon), found or started
in one place. Where CI=true a missing part fails the test (`tests.conftest.missing`), never skips it."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from bench.desktop import name_has_owner, wait_until
from tests.conftest import missing

NOTIFICATION_DAEMON = "/usr/lib/notification-daemon/notification-daemon"


def require(*tools: str) -> None:
    """The display, the session bus and `tools` (names on PATH or paths) are there, or the test is missing
    a part (scripts/run-tests provides them all)."""
    if not os.environ.get("DISPLAY"):
        missing("no X display (scripts/run-tests runs the suite under Xvfb)")
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        missing("no D-Bus session bus (scripts/run-tests runs the suite in dbus-run-session)")
    for tool in tools:
        if shutil.which(tool) is None and not Path(tool).exists():
            missing(f"{tool} is not installed")


@contextlib.contextmanager
def notification_daemon() -> Iterator[None]:
    """A real notification daemon on the session bus: the one running, or one started (and stopped) here."""
    require(NOTIFICATION_DAEMON, "dbus-send")
    proc = None
    if not name_has_owner("org.freedesktop.Notifications"):
        proc = subprocess.Popen([NOTIFICATION_DAEMON], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: name_has_owner("org.freedesktop.Notifications"), 10, "the notification daemon")
    try:
        yield
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait()
