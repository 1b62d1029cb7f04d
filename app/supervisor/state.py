"""The health model: what one probe found, and the state a person sees.

    PID ✓ (alive, not a zombie, same identity) · Port ✓ (TCP connect) · API ✓ (`/api/health` answers with our
    pid, and the editor-facing route answers too) → UNKNOWN, STOPPED, STARTING, RUNNING, DEGRADED, ERROR

`classify` is the one place that turns a probe into a state; `derive_state` adds what only the supervisor
knows (whether it runs llm-link, and the state it shows now: a crash's ERROR stays until the user acts).
Both are pure.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Final

from app.errors import AppError
from app.supervisor.traffic import Traffic


class State(StrEnum):
    UNKNOWN = "UNKNOWN"
    STOPPED = "STOPPED"
    STARTING = "STARTING"
    RUNNING = "RUNNING"
    DEGRADED = "DEGRADED"
    ERROR = "ERROR"

    @classmethod
    def parse(cls, text: str) -> State:
        """Accepts the older names too: READY is RUNNING, DISCONNECTED is STOPPED."""
        name = text.strip().upper()
        return cls(_ALIASES.get(name, name))


_ALIASES = {"READY": "RUNNING", "DISCONNECTED": "STOPPED"}

# `Status.waiting` while a key lookup waits on the keyring's unlock prompt (nobody has answered it yet).
KEYRING_WAIT: Final = "waiting for the keyring to be unlocked"


def _mark(ok: bool | None) -> str:
    return "-" if ok is None else ("✓" if ok else "✗")


@dataclass(frozen=True)
class HealthDetails:
    """One probe. `None` means "not checked" (no PID known, API not reached, no editor route)."""

    pid: int | None = None
    pid_ok: bool | None = None
    port_ok: bool = False
    api_ok: bool = False
    # The pid `/api/health` reported; differs from `pid` when another llm-link holds the port.
    api_pid: int | None = None
    editor_api_ok: bool | None = None
    provider: str | None = None
    model: str | None = None
    instance_id: int | None = None
    problem: str | None = None
    checked_at: float = field(default_factory=time.time)
    duration_ms: float = 0.0
    # Behind the gateway: does it answer on its control socket (None: no gateway in this arrangement), and
    # why editor requests fail upstream, from real traffic (None: they do not, or there was none).
    gateway_ok: bool | None = None
    upstream_failing: str | None = None

    @property
    def foreign_api(self) -> bool:
        """The API answered, but for another process: someone else owns the port."""
        return self.api_ok and self.pid is not None and self.api_pid is not None and self.api_pid != self.pid

    @property
    def llmlink_serving(self) -> bool:
        """llm-link itself answers: its API and its editor route (restarting it cannot help beyond this)."""
        return self.api_ok and not self.foreign_api and self.editor_api_ok is not False

    @property
    def serving(self) -> bool:
        """An editor gets answers: llm-link serves, the gateway (if any) answers, and requests do not fail
        upstream."""
        return self.llmlink_serving and self.gateway_ok is not False and self.upstream_failing is None

    def summary(self) -> str:
        marks = f"PID {_mark(self.pid_ok)}, Port {_mark(self.port_ok)}, API {_mark(self.llmlink_serving)}"
        return marks if self.gateway_ok is None else f"Gateway {_mark(self.gateway_ok)}, {marks}"


def classify(details: HealthDetails, *, managed: bool, configured: bool = True) -> State:
    """The state a probe shows by itself.

    managed: we hold (or adopted) the process, so `details.pid` is the one to judge. Without it llm-link
    was started outside the tray and only port and API tell.
    """
    if managed:
        if not details.pid_ok:
            return State.STOPPED
        return State.RUNNING if details.serving else State.DEGRADED
    if not configured:
        return State.UNKNOWN
    if details.api_ok and details.editor_api_ok is not False:
        return State.RUNNING
    return State.DEGRADED if details.port_ok else State.STOPPED


def derive_state(details: HealthDetails, *, managed: bool, current: State) -> State:
    """The state to show after a probe, given whether we run (or adopted) an llm-link and the state shown now.

    A probe alone cannot tell a crash from a stop: with nothing running, an ERROR (a crash, a failed start)
    stays until the user acts or a start succeeds. A process we run that the probe finds gone is exiting:
    its exit watcher reports how, so the state stays as it is until then.
    """
    state = classify(details, managed=managed)
    if not managed and current is State.ERROR and state is State.STOPPED:
        return State.ERROR
    if managed and state is State.STOPPED:
        return current
    return state


@dataclass(frozen=True)
class Failure:
    """An intent (a switch, a validation) that failed while the previous instance kept running.

    Not the state's cause: a RUNNING llm-link with a failed switch behind it is still RUNNING, so the failure
    is shown beside the state ("Last action failed at 14:02: …") and never makes it look broken.
    """

    error: AppError
    at: float = field(default_factory=time.time)

    @property
    def clock(self) -> str:
        """When, as a person reads it on the same day: `14:02`."""
        return time.strftime("%H:%M", time.localtime(self.at))

    def describe(self) -> str:
        return f"Last action failed at {self.clock}: {self.error.code}: {self.error.message}"


@dataclass(frozen=True)
class Status:
    """What the tray shows: state, the last probe, the active config, the state's own cause and the last
    failed intent.

    `error` is only ever the cause of the state itself (why it is ERROR or DEGRADED); a RUNNING status has
    none. `last_failure` is the last user intent that failed while the old instance kept running; the next
    start (an automatic restart too), a user's stop or a successful switch clears it.
    """

    state: State = State.UNKNOWN
    details: HealthDetails = field(default_factory=HealthDetails)
    provider: str | None = None
    model: str | None = None
    pid: int | None = None
    port: int | None = None
    since: float = field(default_factory=time.time)
    error: AppError | None = None
    last_failure: Failure | None = None
    # What a start or switch is waiting for, shown beside the state (KEYRING_WAIT while the key lookup sits
    # behind the keyring's unlock prompt); None when nothing is pending.
    waiting: str | None = None
    # What editors did through the gateway, as of the last probe (None: no gateway, or it did not answer).
    traffic: Traffic | None = None

    def moved_to(self, state: State, **changes: object) -> Status:
        """A copy in `state`; `since` restarts only when the state really changes."""
        since = self.since if state is self.state else time.time()
        return replace(self, state=state, since=since, **changes)  # type: ignore[arg-type]

    def headline(self) -> str:
        """`Running (PID 12345) [PID ✓, Port ✓, API ✓]`, or while waiting:
        `Starting, waiting for the keyring to be unlocked [PID -, Port ✗, API ✗]`"""
        pid = f" (PID {self.pid})" if self.pid else ""
        waiting = f", {self.waiting}" if self.waiting else ""
        return f"{self.state.value.capitalize()}{pid}{waiting} [{self.details.summary()}]"


def next_status(
    current: Status,
    state: State,
    changes: Mapping[str, object],
    *,
    pid: int | None,
    port: int,
    provider: str,
    model: str | None,
) -> Status:
    """`current` moved to `state` with `changes`; what `changes` leaves out comes from the supervisor's own
    view (the pid of its current instance, the port, provider and model of its config).

    `error` is the cause of an ERROR/DEGRADED state: serving again, there is none (a failed intent beside a
    running instance is `last_failure`, never `error`). An explicit `error=None` marks a success (a verified
    start, a user's stop, a new start beginning): the last failed action is then history, unless `changes`
    sets it again (a rollback).
    """
    status = current.moved_to(state, **changes)
    if "pid" not in changes:
        status = replace(status, pid=pid)
    if "port" not in changes:
        status = replace(status, port=port)
    if "provider" not in changes and state is not State.STARTING:
        status = replace(status, provider=provider, model=model)
    if state is State.RUNNING and "error" not in changes:
        status = replace(status, error=None)
    if "error" in changes and changes["error"] is None and "last_failure" not in changes:
        status = replace(status, last_failure=None)
    return status
