"""Desktop notifications: how the user is told (freedesktop D-Bus or the tray's balloon).

What to tell and when is decided elsewhere, without Qt (app/supervisor/notices.py); this only shows each
`Notice`. Each notice replaces the previous one where the platform allows. Over D-Bus a notice carries what
the tray's balloon (QSystemTrayIcon.showMessage) cannot: its urgency (critical for ERROR, so it stays until
read), a `desktop-entry` hint (the desktop groups it under the app and applies the user's per-app settings)
and a "default" action: clicking the notice itself opens Settings. A click on the balloon does the same.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from typing import Any, Final

from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtWidgets import QSystemTrayIcon

from app.supervisor.notices import Notice
from app.tasks import BackgroundTasks
from app.ui import i18n

log = logging.getLogger("llm_link_tray.ui.notifications")

APP_NAME: Final = "llm-link-tray"
DESKTOP_ENTRY: Final = "io.github.llm_link_tray"  # the .desktop file's name, without the suffix


class Notifier(QObject):
    """Shows notices through org.freedesktop.Notifications when a daemon is there, else the tray balloon.

    D-Bus goes through jeepney (already a keyring dependency on Linux): PySide6's QtDBus cannot marshal the
    uint32 `replaces_id` that Notify takes. Emits `action_invoked("restart" | "logs")` on a button click, and
    `settings_requested` when the notice itself (the "default" action) or the tray's balloon is clicked.
    """

    action_invoked = Signal(str)
    settings_requested = Signal()

    def __init__(self, tray: QSystemTrayIcon) -> None:
        super().__init__()
        self._tray = tray
        tray.messageClicked.connect(self.settings_requested.emit)
        self._last_id = 0
        self._bus: Any = None  # jeepney's open_dbus_router context
        self._router: Any = None
        self._tasks = BackgroundTasks("notifier")  # the action listener and notices being sent

    @property
    def uses_dbus(self) -> bool:
        return self._router is not None

    async def connect_bus(self) -> bool:
        """Use the session bus's notification daemon if there is one; the tray balloon otherwise."""
        if not sys.platform.startswith("linux") or not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
            return False
        try:
            from jeepney import MatchRule, message_bus, new_method_call
            from jeepney.io.asyncio import open_dbus_router
        except ImportError as exc:
            log.info("no D-Bus library (%s): using the tray", exc)
            return False
        # The context manager, not the router it yields, owns the socket: only its __aexit__ closes both.
        bus = open_dbus_router(bus="SESSION")
        try:
            router = await bus.__aenter__()
        except (OSError, ValueError, RuntimeError) as exc:
            log.info("no session bus (%s): using the tray", exc)
            return False
        try:
            reply = await router.send_and_get_reply(new_method_call(message_bus, "NameHasOwner", "s", (_BUS_NAME,)))
            if not reply.body[0]:
                # Not running yet; D-Bus activation starts it on the first Notify where one is installed.
                activatable = await router.send_and_get_reply(new_method_call(message_bus, "ListActivatableNames"))
                if _BUS_NAME not in activatable.body[0]:
                    raise RuntimeError("no notification daemon runs or can be activated")
            rule = MatchRule(type="signal", interface=_BUS_NAME, member="ActionInvoked", path=_PATH)
            await router.send_and_get_reply(message_bus.AddMatch(rule))
            queue = router.filter(rule, bufsize=16).queue
        except (OSError, ValueError, RuntimeError) as exc:
            log.info("no notification daemon on the session bus (%s): using the tray", exc)
            await bus.__aexit__(None, None, None)
            return False
        self._bus, self._router = bus, router
        self._tasks.spawn(self._listen(queue), name="notification actions")
        return True

    async def close(self) -> None:
        await self._tasks.cancel_all()
        bus, self._bus, self._router = self._bus, None, None
        if bus is not None:
            await bus.__aexit__(None, None, None)

    def show(self, notice: Notice) -> None:
        notice = i18n.notice(notice)  # the rules write English; the user reads their language
        log.info("notify: %s — %s", notice.title, notice.body.splitlines()[0] if notice.body else "")
        if self._router is None:
            self._balloon(notice)
            return
        self._tasks.spawn(self._notify(notice), name=f"notify: {notice.title}")

    async def _notify(self, notice: Notice) -> None:
        from jeepney import DBusAddress, new_method_call

        address = DBusAddress(_PATH, bus_name=_BUS_NAME, interface=_BUS_NAME)
        message = new_method_call(
            address,
            "Notify",
            "susssasa{sv}i",
            (APP_NAME, self._last_id, "network-server", notice.title, notice.body, actions(notice), hints(notice), -1),
        )
        try:
            reply = await asyncio.wait_for(self._router.send_and_get_reply(message), 5)
            self._last_id = int(reply.body[0])
        except (OSError, TimeoutError, ValueError, IndexError, TypeError) as exc:
            log.warning("the notification daemon did not take the notice (%s): using the tray", exc)
            self._balloon(notice)

    def _balloon(self, notice: Notice) -> None:
        icon = (
            QSystemTrayIcon.MessageIcon.Information
            if notice.kind in ("recovered", "info")
            else QSystemTrayIcon.MessageIcon.Warning
        )
        self._tray.showMessage(notice.title, notice.body, icon, 10_000)

    async def _listen(self, queue: asyncio.Queue[Any]) -> None:
        while True:
            message = await queue.get()
            notification_id, action = message.body
            if notification_id != self._last_id:
                continue  # another app's notice, or one of ours that a newer one replaced
            if action == "default":
                self.settings_requested.emit()
            elif action in ("restart", "logs"):
                self.action_invoked.emit(action)


def actions(notice: Notice) -> list[str]:
    """Notify's action list (key, label, …). "default" is the click on the notice itself; most daemons show
    no button for it."""
    restart = QCoreApplication.translate("Notifier", "Restart")
    logs = QCoreApplication.translate("Notifier", "View logs")
    buttons = ["restart", restart, "logs", logs] if notice.kind in ("degraded", "error") else []
    return ["default", QCoreApplication.translate("Notifier", "Open settings"), *buttons]


def hints(notice: Notice) -> dict[str, tuple[str, Any]]:
    """Notify's hints, as jeepney's (signature, value) variants: urgency is a byte, per the spec."""
    return {"urgency": ("y", int(notice.urgency)), "desktop-entry": ("s", DESKTOP_ENTRY)}


_BUS_NAME: Final = "org.freedesktop.Notifications"
_PATH: Final = "/org/freedesktop/Notifications"
