"""Notifications as the desktop receives them: a real notification daemon on the test's session bus, the
Notify calls read off the bus with dbus-monitor, and the daemon's ActionInvoked signal opening Settings."""

from __future__ import annotations

import asyncio
import re
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Iterator

import pytest
from PySide6.QtWidgets import QApplication

from app.controller import Controller
from app.supervisor.notices import Notice
from app.ui.shell import Shell
from tests.desktop_parts import notification_daemon as running_notification_daemon
from tests.desktop_parts import require
from tests.ui.conftest import MakeController, next_emit

DESKTOP_ENTRY = "io.github.llm_link_tray"


@pytest.fixture
def notification_daemon() -> Iterator[None]:
    require("dbus-monitor")
    with running_notification_daemon():
        yield


class BusLog:
    """dbus-monitor's view of Notify calls and of the replies to them (which carry the notification's id)."""

    def __init__(self) -> None:
        self.calls: list[dict[str, str]] = []  # each: header fields + "text" (arguments) + "id" once replied
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
        threading.Thread(target=self._read, daemon=True).start()
        if not self._ready.wait(10):
            raise AssertionError("dbus-monitor did not start")

    def _read(self) -> None:
        assert self._proc.stdout is not None
        current: dict[str, str] | None = None  # the message whose argument lines are arriving
        reply_to: dict[str, str] | None = None
        for line in self._proc.stdout:
            if "NameAcquired" in line or "NameLost" in line:
                self._ready.set()  # connected, match rules in place
            with self._cond:
                if line.startswith(("method call", "signal", "method return", "error")):
                    fields = dict(re.findall(r"(\w+)=(\S+)", line))
                    current, reply_to = None, None
                    if line.startswith("method call") and fields.get("member") == "Notify":
                        current = {**fields, "text": ""}
                        self.calls.append(current)
                    elif line.startswith("method return"):
                        reply_to = self._call_answered_by(fields)
                elif current is not None:
                    current["text"] += line  # arguments arrive line by line until the next message
                elif reply_to is not None and (found := re.search(r"uint32 (\d+)", line)):
                    reply_to["id"] = found.group(1)
                self._cond.notify_all()

    def _call_answered_by(self, reply: dict[str, str]) -> dict[str, str] | None:
        """Serials count per connection: a reply names its call's serial and goes back to its sender."""
        for call in self.calls:
            if call["serial"] == reply.get("reply_serial") and call["sender"] == reply.get("destination"):
                return call
        return None

    def wait_for(self, *texts: str, timeout: float = 20) -> dict[str, str]:
        """The first answered Notify call whose arguments contain every one of `texts`."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for call in self.calls:
                    if "id" in call and all(re.search(text, call["text"]) for text in texts):
                        return call
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no answered Notify matching {texts!r}; seen: {self.calls}")
                self._cond.wait(remaining)

    def close(self) -> None:
        self._proc.terminate()
        self._proc.wait()
        assert self._proc.stdout is not None
        self._proc.stdout.close()


@pytest.fixture
async def shell(make_controller: MakeController, qapp: QApplication) -> AsyncIterator[Shell]:
    controller: Controller = await make_controller(None, open=False)  # no llm-link needed to show notices
    qapp.setQuitOnLastWindowClosed(False)  # as the tray app does: closing Settings must not end the loop
    shell = Shell(controller)
    await shell.open()
    yield shell
    if shell.settings_dialog is not None:
        shell.settings_dialog.close()
    await shell.close()
    shell.tray.dispose()
    qapp.setQuitOnLastWindowClosed(True)


def _settings_shown(shell: Shell) -> bool:
    return shell.settings_dialog is not None and shell.settings_dialog.isVisible()


async def test_notices_carry_urgency_and_the_desktop_entry_and_a_click_opens_settings(
    notification_daemon: None, shell: Shell
) -> None:
    bus = BusLog()
    try:
        assert shell.notifier.uses_dbus, "the notifier should have found the daemon on the session bus"
        shell.notifier.show(Notice("degraded", "llm-link is not answering properly", "no answer"))
        degraded = await asyncio.to_thread(bus.wait_for, "not answering properly")
        shell.notifier.show(Notice("error", "llm-link has a problem", "CRASHED: llm-link was killed"))
        error = await asyncio.to_thread(bus.wait_for, "has a problem")

        for call, urgency in ((degraded, 1), (error, 2)):
            assert re.search(rf'string "urgency"\s+variant\s+byte {urgency}\b', call["text"]), call["text"]
            assert re.search(rf'string "desktop-entry"\s+variant\s+string "{DESKTOP_ENTRY}"', call["text"])
            assert re.search(r'string "default"\s+string "Open settings"', call["text"])
        assert re.search(r'string "restart"\s+string "Restart"', error["text"])  # its buttons stay
        assert not _settings_shown(shell)

        # What the daemon sends when the user clicks the notice's body: ActionInvoked(id, "default").
        opened = asyncio.ensure_future(next_emit(shell.notifier.settings_requested))
        sent = await asyncio.create_subprocess_exec(
            "dbus-send",
            "--session",
            "--type=signal",
            "/org/freedesktop/Notifications",
            "org.freedesktop.Notifications.ActionInvoked",
            f"uint32:{error['id']}",
            "string:default",
        )
        assert await sent.wait() == 0
        await opened
        assert _settings_shown(shell)
    finally:
        bus.close()


async def test_without_a_daemon_a_click_on_the_tray_balloon_opens_settings(
    make_controller: MakeController, qapp: QApplication
) -> None:
    controller: Controller = await make_controller(None, open=False)
    qapp.setQuitOnLastWindowClosed(False)
    shell = Shell(controller)  # not opened: no D-Bus, notices go to the tray's balloon
    try:
        shell.notifier.show(Notice("error", "llm-link has a problem", "CRASHED"))
        assert not shell.notifier.uses_dbus
        shell.tray.icon.messageClicked.emit()  # what Qt emits when the balloon is clicked
        assert _settings_shown(shell)
    finally:
        if shell.settings_dialog is not None:
            shell.settings_dialog.close()
        await shell.close()
        shell.tray.dispose()
        qapp.setQuitOnLastWindowClosed(True)
