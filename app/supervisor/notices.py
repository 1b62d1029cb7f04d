"""When to tell the user about llm-link's health: the notification rules, decided next to the status store.

Rules:
- One notice per episode of trouble. An episode begins with the first DEGRADED or ERROR; within it, a state
  and error code already told is not told again, and it lasts until llm-link has been RUNNING for `settle`
  seconds (the crash backoff's own reset time). So a crash loop is the crash's notice and, when restarts stop,
  the CRASH_LOOP one (which replaces it on screen), never an error and a recovery per crash; a flapping
  DEGRADED is one notice too.
- A recovery notice on the way back to RUNNING when a problem was told, except after CRASHED: that notice
  already said llm-link restarts by itself.
- Nothing after the user's own Stop; DEGRADED within a grace period after a start or switch does not count
  (llm-link may still be warming up).
- After a suspend (the wall clock moved on while the monotonic clock, which stops in suspend, did not), the
  statuses of the next `resume_quiet` seconds are held and only the last one counts: a resumed machine's
  burst of probes (timeouts while the network comes back, a restart) is one notice at most, or none.
- When notifications are switched off the episodes are still tracked, so switching them back on brings no
  late notice for an old episode.
- Another program changed llm-link's settings (a TAMPERED last failure; the supervisor has restored them):
  told once per event, whatever the state, and critical: it may be an attack on the user's key.

Like Syncthing Tray's notifier, `Notices` listens to the store itself and hands its listeners what to say;
how to say it (D-Bus, the tray's balloon) is the UI's business (app/ui/notifications.py). No Qt here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from app.supervisor.state import State, Status
from app.supervisor.store import StatusStore

log = logging.getLogger("llm_link_tray.supervisor.notices")

START_GRACE: Final = 10.0
# As long as the Restarter counts crashes into one loop (Policy.backoff_reset_after).
SETTLE: Final = 30.0
# A suspend shows as the wall clock gaining this much on the monotonic clock between two statuses.
SUSPEND_GAP: Final = 30.0
RESUME_QUIET: Final = 20.0


class Urgency(IntEnum):
    """The freedesktop notification urgency levels (the `urgency` hint's byte)."""

    LOW = 0
    NORMAL = 1
    CRITICAL = 2


@dataclass(frozen=True)
class Notice:
    kind: str  # "degraded", "error", "tampered", "recovered" (or "info", which the UI makes up itself)
    title: str
    body: str

    @property
    def urgency(self) -> Urgency:
        """ERROR needs the user (critical: it stays until dismissed); everything else is normal."""
        return Urgency.CRITICAL if self.kind in ("error", "tampered") else Urgency.NORMAL


NoticeListener = Callable[[Notice], None]


class NoticeRules:
    """The rules, pure: feed every status in order, get the notice it calls for (or None).

    `clock` is monotonic (it stops during suspend on Linux), `wall` the wall clock; both are injectable."""

    def __init__(
        self,
        grace: float = START_GRACE,
        clock: Callable[[], float] = time.monotonic,
        *,
        settle: float = SETTLE,
        resume_quiet: float = RESUME_QUIET,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.grace = grace
        self.settle = settle
        self.resume_quiet = resume_quiet
        self._clock = clock
        self._wall = wall
        self._grace_until = 0.0
        self._told: set[tuple[State, str]] = set()  # this episode's notices; empty: no episode
        self._owed_recovery = False
        self._running_since: float | None = None
        self._last_seen: tuple[float, float] | None = None  # (monotonic, wall) at the previous status
        self._quiet_until = 0.0
        self._held: Status | None = None
        self._tamper_told: float | None = None  # the `at` of the last TAMPERED failure told

    def now(self) -> float:
        """The rules' monotonic clock (what `held_until` is measured on)."""
        return self._clock()

    @property
    def held_until(self) -> float | None:
        """While statuses are held after a resume: when (monotonic) `flush` should decide the last one."""
        return self._quiet_until if self._held is not None else None

    def decide(self, status: Status, *, enabled: bool = True) -> Notice | None:
        now = self._clock()
        self._notice_suspend(now)
        if now < self._quiet_until:
            self._held = status
            if status.state is State.STARTING:
                self._grace_until = now + self.grace
            return None
        self._held = None  # the quiet time is over: this status is newer than any held one
        return self._decide(status, now, enabled)

    def flush(self, *, enabled: bool = True) -> Notice | None:
        """After the quiet time that follows a resume: the notice the last held status calls for."""
        held, self._held = self._held, None
        now = self._clock()
        if held is None or now < self._quiet_until:
            self._held = held
            return None
        return self._decide(held, now, enabled)

    def _notice_suspend(self, now: float) -> None:
        wall = self._wall()
        if self._last_seen is not None:
            last_now, last_wall = self._last_seen
            if (wall - last_wall) - (now - last_now) > SUSPEND_GAP:
                log.info("the machine was suspended: holding notices for %gs", self.resume_quiet)
                self._quiet_until = now + self.resume_quiet
        self._last_seen = (now, wall)

    def _decide(self, status: Status, now: float, enabled: bool) -> Notice | None:
        tampered = _tampered(status)
        if tampered is not None and tampered != self._tamper_told:
            self._tamper_told = tampered
            if enabled and status.last_failure is not None:
                told = status.last_failure.error
                title = "Another program changed llm-link's settings"
                return Notice("tampered", title, f"{told.message}\n{told.suggestion}")
        state = status.state
        if state is State.STARTING:
            # A start or switch begins: give llm-link the grace period before DEGRADED counts.
            self._grace_until = now + self.grace
            return None
        if state is State.STOPPED:
            self._end_episode()  # the user's own stop (or quit): nothing to report, now or later
            return None
        if state is State.RUNNING:
            if self._running_since is None:
                self._running_since = now
            owed, self._owed_recovery = self._owed_recovery, False
            if not owed or not enabled:
                return None
            return Notice("recovered", "llm-link is running again", _who(status))
        if state not in (State.DEGRADED, State.ERROR):
            return None
        if state is State.DEGRADED and now < self._grace_until:
            return None
        if self._running_since is not None and now - self._running_since >= self.settle:
            self._end_episode()  # it ran long enough: this is new trouble, not the old episode's
        self._running_since = None
        code = status.error.code.value if status.error else ""
        key = (state, code)
        if key in self._told:
            return None
        self._told.add(key)
        self._owed_recovery = code != "CRASHED"
        if not enabled:
            return None
        if state is State.DEGRADED:
            # The cause when one is known (a failing provider, the gateway), else what the probe saw.
            detail = status.error.message if status.error else status.details.problem or status.details.summary()
            return Notice("degraded", "llm-link is not answering properly", f"{detail}\n{_who(status)}")
        error = status.error
        body = f"{error.code}: {error.message}\n{error.suggestion}" if error else _who(status)
        return Notice("error", "llm-link has a problem", body)

    def _end_episode(self) -> None:
        self._told.clear()
        self._owed_recovery = False
        self._running_since = None


def _tampered(status: Status) -> float | None:
    failure = status.last_failure
    return failure.at if failure is not None and failure.error.code.value == "TAMPERED" else None


class Notices:
    """The rules applied to every status `store` publishes; listeners hear each notice decided.

    `enabled` is asked at each status (the Settings switch can change at any time)."""

    def __init__(self, store: StatusStore, enabled: Callable[[], bool], rules: NoticeRules | None = None) -> None:
        self.rules = rules or NoticeRules()
        self._enabled = enabled
        self._listeners: list[NoticeListener] = []
        self._flush_timer: asyncio.TimerHandle | None = None
        self._leave_store = store.subscribe(self._on_status)

    def subscribe(self, listener: NoticeListener) -> Callable[[], None]:
        """Hear every notice; call the returned function to stop."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def close(self) -> None:
        """Stop listening to the store (once; a second call does nothing)."""
        leave, self._leave_store = self._leave_store, lambda: None
        leave()
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None

    def _on_status(self, status: Status) -> None:
        self._tell(self.rules.decide(status, enabled=self._enabled()))
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        """Held statuses (after a resume) are decided when the quiet time ends, even if no status follows."""
        until = self.rules.held_until
        if until is None or self._flush_timer is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop (a synchronous caller): the next status decides instead
        self._flush_timer = loop.call_later(max(0.0, until - self.rules.now()), self._flush)

    def _flush(self) -> None:
        self._flush_timer = None
        self._tell(self.rules.flush(enabled=self._enabled()))
        self._schedule_flush()  # a status during the wait may have started a new quiet time

    def _tell(self, notice: Notice | None) -> None:
        if notice is None:
            return
        for listener in list(self._listeners):
            try:
                listener(notice)
            except Exception:  # a broken listener must not keep the notice from the others (as in the store)
                log.exception("notice listener %r failed", listener)


def _who(status: Status) -> str:
    return f"{status.provider or '?'} / {status.model or 'default model'} on port {status.port}"
