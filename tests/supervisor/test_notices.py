"""When the user hears about llm-link's health: one notice per transition, none after their own Stop, and
no complaint while a fresh start warms up. The rules live beside the status store, without Qt."""

from __future__ import annotations

from app.errors import AppError, ErrorCode
from app.supervisor.notices import Notice, NoticeRules, Notices
from app.supervisor.state import HealthDetails, State, Status
from app.supervisor.store import StatusStore


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _status(state: State, code: ErrorCode | None = None) -> Status:
    error = AppError(code, "something broke", "do this") if code else None
    return Status(state, HealthDetails(problem="no answer"), provider="zhipu", model="glm-4", port=11435, error=error)


def _kinds(rules: NoticeRules, states: list[Status]) -> list[str | None]:
    return [n.kind if (n := rules.decide(s)) else None for s in states]


def test_each_transition_into_trouble_is_announced_once_and_recovery_too() -> None:
    rules = NoticeRules(grace=10, clock=Clock())
    degraded = _status(State.DEGRADED)
    assert _kinds(rules, [_status(State.RUNNING), degraded, degraded, degraded, _status(State.RUNNING)]) == [
        None,
        "degraded",
        None,
        None,
        "recovered",
    ]


def test_a_crash_and_its_restart_attempts_are_one_notice_and_a_crash_loop_another() -> None:
    rules = NoticeRules(clock=Clock())
    crashed = _status(State.ERROR, ErrorCode.CRASHED)
    sequence = [
        crashed,
        _status(State.STARTING),
        crashed,
        _status(State.STARTING),
        _status(State.ERROR, ErrorCode.CRASH_LOOP),
    ]
    assert _kinds(rules, sequence) == ["error", None, None, None, "error"]


def test_degraded_right_after_a_start_waits_out_the_grace_period() -> None:
    clock = Clock()
    rules = NoticeRules(grace=10, clock=clock)
    assert rules.decide(_status(State.STARTING)) is None  # a start or switch begins
    assert rules.decide(_status(State.DEGRADED)) is None
    clock.now += 11
    notice = rules.decide(_status(State.DEGRADED))
    assert notice is not None and notice.kind == "degraded"
    assert "no answer" in notice.body


def test_an_error_is_announced_even_within_the_grace() -> None:
    rules = NoticeRules(grace=10, clock=Clock())
    rules.decide(_status(State.STARTING))
    notice = rules.decide(_status(State.ERROR, ErrorCode.PORT_IN_USE))
    assert notice is not None and "PORT_IN_USE" in notice.body and "do this" in notice.body


def test_nothing_after_the_users_own_stop() -> None:
    rules = NoticeRules(clock=Clock())
    assert _kinds(rules, [_status(State.DEGRADED), _status(State.STOPPED), _status(State.RUNNING)]) == [
        "degraded",
        None,
        None,
    ]


def test_switched_off_means_silent_but_still_tracked() -> None:
    rules = NoticeRules(clock=Clock())
    assert rules.decide(_status(State.ERROR, ErrorCode.CRASHED), enabled=False) is None
    # Turned back on during the same episode: no late notice for it, and no "recovered" for a silent one.
    assert rules.decide(_status(State.ERROR, ErrorCode.CRASHED)) is None
    assert rules.decide(_status(State.RUNNING), enabled=False) is None


# --- the rules on the store: what the tray's notifier is handed ------------------------------------------


async def _never_probed() -> Status:
    raise AssertionError("these tests publish; nothing probes")


def _feed(enabled: list[bool], clock: Clock) -> tuple[StatusStore, list[Notice]]:
    store = StatusStore(_never_probed)
    heard: list[Notice] = []
    notices = Notices(store, lambda: enabled[0], NoticeRules(grace=10, clock=clock))
    notices.subscribe(heard.append)
    return store, heard


def test_the_store_s_statuses_become_notices_with_the_start_grace_owned_by_the_rules() -> None:
    """Nobody tells the rules a start began: the STARTING status the supervisor publishes does."""
    clock = Clock()
    store, heard = _feed([True], clock)
    store.publish(_status(State.STARTING))
    store.publish(_status(State.DEGRADED))  # warming up
    assert heard == []
    clock.now += 11
    store.publish(_status(State.DEGRADED, ErrorCode.CONFIG_ERROR))  # a change the store passes on
    store.publish(_status(State.RUNNING))
    assert [n.kind for n in heard] == ["degraded", "recovered"]


def test_the_settings_switch_is_asked_at_each_status() -> None:
    enabled = [False]
    store, heard = _feed(enabled, Clock())
    store.publish(_status(State.ERROR, ErrorCode.CRASHED))
    enabled[0] = True
    store.publish(_status(State.ERROR, ErrorCode.CRASH_LOOP))
    assert [n.body.split(":")[0] for n in heard] == ["CRASH_LOOP"]


def test_a_broken_listener_does_not_keep_the_notice_from_the_others() -> None:
    store = StatusStore(_never_probed)
    notices = Notices(store, lambda: True, NoticeRules(clock=Clock()))
    heard: list[Notice] = []

    def broken(notice: Notice) -> None:
        raise RuntimeError("listener bug")

    notices.subscribe(broken)
    notices.subscribe(heard.append)
    store.publish(_status(State.ERROR, ErrorCode.CRASHED))
    assert [n.kind for n in heard] == ["error"]
    notices.close()
    store.publish(_status(State.ERROR, ErrorCode.CRASH_LOOP))
    assert len(heard) == 1  # closed: no longer listening
