"""When to tell the user about llm-link's health: the notification rules, decided next to the status store.

Rules: one notice per transition into DEGRADED or ERROR (a new error code counts as a new transition), and a
recovery notice on the way back to RUNNING; nothing after the user's own Stop; DEGRADED within a grace period
after a start or switch does not count (llm-link may still be warming up). When notifications are switched
off the transitions are still tracked, so switching them back on brings no late notice for an old episode.

Like Syncthing Tray's notifier, `Notices` listens to the store itself and hands its listeners what to say;
how to say it (D-Bus, the tray's balloon) is the UI's business (app/ui/notifications.py). No Qt here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from app.supervisor.state import State, Status
from app.supervisor.store import StatusStore

log = logging.getLogger("llm_link_tray.supervisor.notices")

START_GRACE: Final = 10.0


@dataclass(frozen=True)
class Notice:
    kind: str  # "degraded", "error", "recovered" (or "info", which the UI makes up itself)
    title: str
    body: str


NoticeListener = Callable[[Notice], None]


class NoticeRules:
    """The rules, pure: feed every status in order, get the notice it calls for (or None)."""

    def __init__(self, grace: float = START_GRACE, clock: Callable[[], float] = time.monotonic) -> None:
        self.grace = grace
        self._clock = clock
        self._grace_until = 0.0
        self._announced: tuple[State, str] | None = None

    def decide(self, status: Status, *, enabled: bool = True) -> Notice | None:
        state = status.state
        if state is State.STARTING:
            # A start or switch begins: give llm-link the grace period before DEGRADED counts.
            self._grace_until = self._clock() + self.grace
            return None
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


class Notices:
    """The rules applied to every status `store` publishes; listeners hear each notice decided.

    `enabled` is asked at each status (the Settings switch can change at any time)."""

    def __init__(self, store: StatusStore, enabled: Callable[[], bool], rules: NoticeRules | None = None) -> None:
        self.rules = rules or NoticeRules()
        self._enabled = enabled
        self._listeners: list[NoticeListener] = []
        self._leave_store = store.subscribe(self._on_status)

    def subscribe(self, listener: NoticeListener) -> Callable[[], None]:
        """Hear every notice; call the returned function to stop."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def close(self) -> None:
        """Stop listening to the store (once; a second call does nothing)."""
        leave, self._leave_store = self._leave_store, lambda: None
        leave()

    def _on_status(self, status: Status) -> None:
        notice = self.rules.decide(status, enabled=self._enabled())
        if notice is None:
            return
        for listener in list(self._listeners):
            try:
                listener(notice)
            except Exception:  # a broken listener must not keep the notice from the others (as in the store)
                log.exception("notice listener %r failed", listener)


def _who(status: Status) -> str:
    return f"{status.provider or '?'} / {status.model or 'default model'} on port {status.port}"
