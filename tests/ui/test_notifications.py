"""Notifications as the desktop receives them: a real notification daemon on the test's session bus, the
Notify calls read off the bus with dbus-monitor, and the daemon's ActionInvoked signal opening Settings."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator

import pytest
from PySide6.QtWidgets import QApplication

from app.controller import Controller
from app.supervisor.notices import Notice
from app.ui.shell import Shell
from tests.desktop_parts import NotifyMonitor, require
from tests.desktop_parts import notification_daemon as running_notification_daemon
from tests.ui.conftest import MakeController, next_emit

DESKTOP_ENTRY = "io.github.llm_link_tray"


@pytest.fixture
def notification_daemon() -> Iterator[None]:
    require("dbus-monitor")
    with running_notification_daemon():
        yield


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
    bus = NotifyMonitor()
    try:
        assert shell.notifier.uses_dbus, "the notifier should have found the daemon on the session bus"
        shell.notifier.show(Notice("degraded", "llm-link is not answering properly", "no answer"))
        degraded = await asyncio.to_thread(bus.wait_for, "not answering properly", answered=True)
        shell.notifier.show(Notice("error", "llm-link has a problem", "CRASHED: llm-link was killed"))
        error = await asyncio.to_thread(bus.wait_for, "has a problem", answered=True)

        for call, urgency in ((degraded, 1), (error, 2)):
            assert re.search(rf'string "urgency"\s+variant\s+byte {urgency}\b', call.text), call.text
            assert re.search(rf'string "desktop-entry"\s+variant\s+string "{DESKTOP_ENTRY}"', call.text)
            assert re.search(r'string "default"\s+string "Open settings"', call.text)
        assert re.search(r'string "restart"\s+string "Restart"', error.text)  # its buttons stay
        assert not _settings_shown(shell)

        # What the daemon sends when the user clicks the notice's body: ActionInvoked(id, "default").
        opened = asyncio.ensure_future(next_emit(shell.notifier.settings_requested))
        sent = await asyncio.create_subprocess_exec(
            "dbus-send",
            "--session",
            "--type=signal",
            "/org/freedesktop/Notifications",
            "org.freedesktop.Notifications.ActionInvoked",
            f"uint32:{error.id}",
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
