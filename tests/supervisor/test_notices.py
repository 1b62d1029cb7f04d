"""When the user hears about llm-link's health: one notice per transition, none after their own Stop, and
no complaint while a fresh start warms up. The rules live beside the status store, without Qt."""

from __future__ import annotations

import asyncio

from app.errors import AppError, ErrorCode
from app.supervisor.notices import Notice, NoticeRules, Notices, Urgency
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


# --- episodes, urgency and suspend -------------------------------------------------------------------------


class Wall(Clock):
    """The wall clock, which (unlike the monotonic one) keeps running while the machine sleeps."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0


def test_errors_are_critical_and_the_rest_normal() -> None:
    rules = NoticeRules(clock=Clock())
    error = rules.decide(_status(State.ERROR, ErrorCode.PORT_IN_USE))
    assert error is not None and error.urgency is Urgency.CRITICAL and int(error.urgency) == 2
    degraded = NoticeRules(clock=Clock()).decide(_status(State.DEGRADED))
    assert degraded is not None and degraded.urgency is Urgency.NORMAL and int(degraded.urgency) == 1
    recovered = rules.decide(_status(State.RUNNING))
    assert recovered is not None and recovered.urgency is Urgency.NORMAL


def test_a_crash_loop_that_reaches_running_between_crashes_is_one_notice_not_two_per_crash() -> None:
    clock = Clock()
    rules = NoticeRules(clock=clock)
    crashed = _status(State.ERROR, ErrorCode.CRASHED)
    sequence = [_status(State.RUNNING)]
    for _ in range(4):  # each restart comes up, answers, and dies again a second later
        sequence += [crashed, _status(State.STARTING), _status(State.RUNNING)]
    kinds = []
    for status in sequence:
        clock.now += 1
        kinds.append(n.kind if (n := rules.decide(status)) else None)
    assert [k for k in kinds if k] == ["error"]
    clock.now += 1
    gave_up = rules.decide(_status(State.ERROR, ErrorCode.CRASH_LOOP))
    assert gave_up is not None and "CRASH_LOOP" in gave_up.body  # restarts stopped: the user must act


def test_a_crash_after_a_long_healthy_run_is_news_again() -> None:
    clock = Clock()
    rules = NoticeRules(clock=clock, settle=30)
    crashed = _status(State.ERROR, ErrorCode.CRASHED)
    assert _kinds(rules, [crashed, _status(State.STARTING), _status(State.RUNNING)]) == ["error", None, None]
    clock.now += 31
    assert _kinds(rules, [crashed]) == ["error"]


def test_a_flapping_degraded_state_is_one_notice_and_one_recovery() -> None:
    clock = Clock()
    rules = NoticeRules(grace=0, clock=clock, settle=30)
    flaps = [_status(State.RUNNING), _status(State.DEGRADED)] * 4 + [_status(State.RUNNING)]
    kinds = []
    for status in flaps:
        clock.now += 2
        kinds.append(n.kind if (n := rules.decide(status)) else None)
    assert [k for k in kinds if k] == ["degraded", "recovered"]


def _burst() -> list[Status]:
    """What a resumed machine's probes publish: timeouts while the network returns, a restart, recovery."""
    return [
        _status(State.DEGRADED, ErrorCode.LLMLINK_TIMEOUT),
        _status(State.RUNNING),
        _status(State.DEGRADED, ErrorCode.LLMLINK_TIMEOUT),
        _status(State.ERROR, ErrorCode.LLMLINK_UNREACHABLE),
        _status(State.STARTING),
        _status(State.RUNNING),
    ]


def _rules_after_sleep(clock: Clock, wall: Wall) -> NoticeRules:
    rules = NoticeRules(grace=0, clock=clock, wall=wall, resume_quiet=20)
    assert rules.decide(_status(State.RUNNING)) is None  # before the suspend
    wall.now += 3600  # an hour asleep: the wall clock moved, the monotonic one did not
    clock.now += 0.5
    return rules


def test_no_notice_storm_after_a_resume_and_none_at_all_when_it_ends_well() -> None:
    clock, wall = Clock(), Wall()
    awake = NoticeRules(grace=0, clock=Clock(), wall=Wall())
    assert len([n for s in _burst() if (n := awake.decide(s))]) >= 3  # the same burst without a suspend

    rules = _rules_after_sleep(clock, wall)
    assert [rules.decide(s) for s in _burst()] == [None] * len(_burst())
    assert rules.held_until == clock.now + 20
    clock.now += 20
    assert rules.flush() is None and rules.held_until is None  # it ended RUNNING: nothing to tell


def test_a_resume_burst_that_ends_in_trouble_is_one_notice() -> None:
    clock, wall = Clock(), Wall()
    rules = _rules_after_sleep(clock, wall)
    assert [rules.decide(s) for s in _burst()[:4]] == [None] * 4  # ends at ERROR LLMLINK_UNREACHABLE
    assert rules.flush() is None  # still quiet
    clock.now += 20
    notice = rules.flush()
    assert notice is not None and notice.kind == "error" and "LLMLINK_UNREACHABLE" in notice.body
    assert rules.flush() is None


async def test_the_store_s_held_burst_is_told_once_when_the_quiet_time_ends() -> None:
    """No status needs to follow the burst: `Notices` decides the held one when the quiet time is over."""
    wall = Wall()
    store = StatusStore(_never_probed)
    notices = Notices(store, lambda: True, NoticeRules(grace=0, wall=wall, resume_quiet=0.2))
    told: asyncio.Future[Notice] = asyncio.get_running_loop().create_future()
    heard: list[Notice] = []

    def hear(notice: Notice) -> None:
        heard.append(notice)
        if not told.done():
            told.set_result(notice)

    notices.subscribe(hear)
    store.publish(_status(State.RUNNING))
    wall.now += 3600
    for status in _burst()[:4]:
        store.publish(status)
    assert heard == []
    notice = await asyncio.wait_for(told, 5)
    assert notice.kind == "error" and heard == [notice]
    notices.close()
