"""Backoff and crash-loop policy."""

from __future__ import annotations

from app.supervisor.policy import Policy
from app.supervisor.restarts import Backoff
from app.supervisor.state import State


def test_backoff_doubles_from_systemds_100ms_up_to_thirty_seconds() -> None:
    backoff = Backoff(Policy())
    delays = [backoff.next_delay() for _ in range(11)]
    assert delays == [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 30, 30]
    backoff.reset()
    assert backoff.next_delay() == 0.1


def test_five_failures_within_the_window_are_a_crash_loop() -> None:
    backoff = Backoff(Policy(crash_loop_starts=5, crash_loop_window=60))
    assert [backoff.record_failure(t) for t in (0, 10, 20, 30)] == [False] * 4
    assert backoff.record_failure(40)


def test_failures_spread_wider_than_the_window_are_not() -> None:
    backoff = Backoff(Policy(crash_loop_starts=3, crash_loop_window=10))
    assert not any(backoff.record_failure(t) for t in (0, 11, 22, 33, 44))


def test_polling_follows_the_state_and_can_be_switched_off() -> None:
    policy = Policy()
    assert (
        policy.poll_interval(State.RUNNING),
        policy.poll_interval(State.STARTING),
        policy.poll_interval(State.DEGRADED),
        policy.poll_interval(State.ERROR),
    ) == (10, 2, 2, 30)
    assert Policy(poll_enabled=False).poll_interval(State.RUNNING) is None
