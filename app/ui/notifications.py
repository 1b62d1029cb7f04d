"""Desktop notifications: when to tell the user (rules, pure) and how (freedesktop D-Bus or the tray).

Rules: one notice per transition into DEGRADED or ERROR (a new error code counts as a new transition), and a
recovery notice on the way back to RUNNING; nothing after the user's own Stop; DEGRADED within a grace period
after a start or switch does not count (llm-link may still be warming up). Each notice replaces the previous
one where the platform allows.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QSystemTrayIcon

from app.supervisor.state import State, Status

log = logging.getLogger("llm_link_tray.ui.notifications")

START_GRACE: Final = 10.0
APP_NAME: Final = "llm-link-tray"


@dataclass(frozen=True)
class Notice:
    kind: str  # "degraded", "error" or "recovered"
    title: str
    body: str


class NoticeRules:
    def __init__(self, grace: float = START_GRACE, clock: Callable[[], float] = time.monotonic) -> None:
        self.grace = grace
        self._clock = clock
        self._grace_until = 0.0
        self._announced: tuple[State, str] | None = None

    def started(self) -> None:
        """A start or switch begins: give llm-link the grace period before DEGRADED counts."""
        self._grace_until = self._clock() + self.grace

    def decide(self, status: Status, *, enabled: bool = True) -> Notice | None:
        state = status.state
        if state is State.STOPPED:
            self._announced = None  # the user's own stop (or quit): nothing to report, now or later
            return None
        if state is State.RUNNING:
            was, self._announced = self._announced, None
            if was is None or not enabled:
                return None
            return Notice("recovered", "llm-link is running again", _who(status))
        if state not in (State.DEGRADED, State.ERROR):
            return None
        if state is State.DEGRADED and self._clock() < self._grace_until:
            return None
        key = (state, status.error.code.value if status.error else "")
        if key == self._announced:
            return None
        self._announced = key
        if not enabled:
            return None
        if state is State.DEGRADED:
            detail = status.details.problem or status.details.summary()
            return Notice("degraded", "llm-link is not answering properly", f"{detail}\n{_who(status)}")
        error = status.error
        body = f"{error.code}: {error.message}\n{error.suggestion}" if error else _who(status)
        return Notice("error", "llm-link has a problem", body)


def _who(status: Status) -> str:
    return f"{status.provider or '?'} / {status.model or 'default model'} on port {status.port}"


class Notifier(QObject):
    """Shows notices through org.freedesktop.Notifications when a daemon is there, else the tray balloon.

    D-Bus goes through jeepney (already a keyring dependency on Linux): PySide6's QtDBus cannot marshal the
    uint32 `replaces_id` that Notify takes. Emits `action_invoked("restart" | "logs")` on a button click.
    """

    action_invoked = Signal(str)

    def __init__(self, tray: QSystemTrayIcon) -> None:
        super().__init__()
        self._tray = tray
        self._last_id = 0
        self._router: Any = None
        self._listener: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

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

            router = await open_dbus_router(bus="SESSION").__aenter__()
            reply = await router.send_and_get_reply(new_method_call(message_bus, "NameHasOwner", "s", (_BUS_NAME,)))
            if not reply.body[0]:
                # Not running yet; D-Bus activation starts it on the first Notify where one is installed.
                activatable = await router.send_and_get_reply(new_method_call(message_bus, "ListActivatableNames"))
                if _BUS_NAME not in activatable.body[0]:
                    await router.__aexit__(None, None, None)
                    return False
            rule = MatchRule(type="signal", interface=_BUS_NAME, member="ActionInvoked", path=_PATH)
            await router.send_and_get_reply(message_bus.AddMatch(rule))
            queue = router.filter(rule, bufsize=16).queue
        except (OSError, ValueError, RuntimeError) as exc:
            log.info("no notification daemon on the session bus (%s): using the tray", exc)
            return False
        self._router = router
        self._listener = asyncio.ensure_future(self._listen(queue))
        return True

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
        if self._router is not None:
            await self._router.__aexit__(None, None, None)
            self._router = None

    def show(self, notice: Notice) -> None:
        log.info("notify: %s — %s", notice.title, notice.body.splitlines()[0] if notice.body else "")
        if self._router is None:
            self._balloon(notice)
            return
        task = asyncio.ensure_future(self._notify(notice))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _notify(self, notice: Notice) -> None:
        from jeepney import DBusAddress, new_method_call

        actions = ["restart", "Restart", "logs", "View logs"] if notice.kind in ("degraded", "error") else []
        address = DBusAddress(_PATH, bus_name=_BUS_NAME, interface=_BUS_NAME)
        message = new_method_call(
            address,
            "Notify",
            "susssasa{sv}i",
            (APP_NAME, self._last_id, "network-server", notice.title, notice.body, actions, {}, -1),
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
            if notification_id == self._last_id and action in ("restart", "logs"):
                self.action_invoked.emit(action)


_BUS_NAME: Final = "org.freedesktop.Notifications"
_PATH: Final = "/org/freedesktop/Notifications"
