"""The desktop parts tests drive (an X display, the session bus, a notification daemon), found or started
in one place, and dbus-monitor's view of the notifications sent to that daemon. Where CI=true a missing part
fails the test (`tests.conftest.missing`), never skips it."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
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


@dataclass
class NotifyCall:
    """One Notify call as dbus-monitor prints it."""

    header: dict[str, str]  # the header line's fields: sender, serial, member, …
    text: str = ""  # the arguments, as dbus-monitor prints them
    id: int | None = None  # the notification's id, once the daemon's reply to the call is seen


class NotifyMonitor:
    """dbus-monitor watching Notify calls on the session bus, and the replies to them (which carry each
    notification's id). `wait_for(*texts)` returns the first call whose arguments contain all of `texts`."""

    def __init__(self) -> None:
        require("dbus-monitor")
        self.calls: list[NotifyCall] = []  # guarded by _cond; filled in by the reader thread
        self._cond = threading.Condition()
        self._proc = subprocess.Popen(
            [
                "dbus-monitor",
                "--session",
                "type='method_call',interface='org.freedesktop.Notifications',member='Notify'",
                "type='method_return'",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        self._ready = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self._ready.wait(10):
            self.close()
            raise AssertionError("dbus-monitor did not start")

    def _read(self) -> None:
        assert self._proc.stdout is not None
        current: NotifyCall | None = None  # the Notify call whose argument lines are arriving
        reply_to: NotifyCall | None = None  # the Notify call the message being read answers
        for line in self._proc.stdout:
            if "NameAcquired" in line or "NameLost" in line:
                self._ready.set()  # it is connected and its match rules are in place
            with self._cond:
                if line.startswith(("method call", "signal", "method return", "error")):
                    header = dict(re.findall(r"(\w+)=(\S+)", line))
                    current, reply_to = None, None
                    if line.startswith("method call") and header.get("member") == "Notify":
                        current = NotifyCall(header)
                        self.calls.append(current)
                    elif line.startswith("method return"):
                        reply_to = self._call_answered_by(header)
                elif current is not None:
                    # A call's arguments arrive line by line; nothing marks their end but the next message.
                    current.text += line
                elif reply_to is not None and (found := re.search(r"uint32 (\d+)", line)):
                    reply_to.id = int(found.group(1))
                self._cond.notify_all()

    def _call_answered_by(self, reply: dict[str, str]) -> NotifyCall | None:
        """Serials count per connection: a reply names its call's serial and goes back to its sender."""
        for call in self.calls:
            header = call.header
            if header.get("serial") == reply.get("reply_serial") and header.get("sender") == reply.get("destination"):
                return call
        return None

    def wait_for(self, *texts: str, answered: bool = False, timeout: float = 20) -> NotifyCall:
        """The first Notify call whose arguments contain every one of `texts` (and, if `answered`, whose reply
        with the notification's id has arrived). Its arguments arrive line by line, so this waits until all of
        `texts` are there, not just the first."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for call in self.calls:
                    if (call.id is not None or not answered) and all(text in call.text for text in texts):
                        return call
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    what = "answered Notify" if answered else "Notify"
                    raise AssertionError(f"no {what} containing {texts!r}; seen: {self.calls}")
                self._cond.wait(remaining)

    def close(self) -> None:
        self._proc.terminate()
        self._proc.wait()
        self._reader.join(10)  # dbus-monitor is gone, so its output ends: the reader is done with it
        assert self._proc.stdout is not None
        self._proc.stdout.close()
