"""The health model, one transition at a time."""

from __future__ import annotations

import pytest

from app.errors import AppError, ErrorCode
from app.supervisor.state import Failure, HealthDetails, State, Status, classify, derive_state, next_status

ALL_OK = HealthDetails(pid=10, pid_ok=True, port_ok=True, api_ok=True, api_pid=10, editor_api_ok=True)


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("RUNNING", State.RUNNING),
        ("ready", State.RUNNING),
        ("DISCONNECTED", State.STOPPED),
        (" degraded ", State.DEGRADED),
    ],
)
def test_state_names_and_aliases_parse(text: str, state: State) -> None:
    assert State.parse(text) is state


def test_an_unknown_state_name_is_an_error() -> None:
    with pytest.raises(ValueError, match="BROKEN"):
        State.parse("broken")


@pytest.mark.parametrize(
    ("details", "state"),
    [
        (ALL_OK, State.RUNNING),
        (HealthDetails(pid=10, pid_ok=False), State.STOPPED),
        (HealthDetails(pid=10, pid_ok=True, port_ok=True, api_ok=False), State.DEGRADED),  # frozen
        (HealthDetails(pid=10, pid_ok=True, port_ok=False), State.DEGRADED),  # not listening
        (
            HealthDetails(pid=10, pid_ok=True, port_ok=True, api_ok=True, api_pid=99, editor_api_ok=True),
            State.DEGRADED,
        ),  # another llm-link answers on our port
        (
            HealthDetails(pid=10, pid_ok=True, port_ok=True, api_ok=True, api_pid=10, editor_api_ok=False),
            State.DEGRADED,
        ),  # `/api/health` fine but an editor gets nothing
    ],
    ids=["all-ok", "pid-gone", "api-silent", "port-closed", "foreign-api", "editor-route-missing"],
)
def test_managed_process(details: HealthDetails, state: State) -> None:
    assert classify(details, managed=True) is state


@pytest.mark.parametrize(
    ("details", "configured", "state"),
    [
        (HealthDetails(port_ok=True, api_ok=True, api_pid=5), True, State.RUNNING),
        (HealthDetails(port_ok=True, api_ok=False), True, State.DEGRADED),
        (HealthDetails(port_ok=False), True, State.STOPPED),
        (HealthDetails(port_ok=False), False, State.UNKNOWN),
    ],
    ids=["api-answers", "port-only", "closed", "nothing-configured"],
)
def test_without_a_pid(details: HealthDetails, configured: bool, state: State) -> None:
    assert classify(details, managed=False, configured=configured) is state


def test_headline_reads_like_the_menu_line() -> None:
    status = Status(State.RUNNING, ALL_OK, pid=12345)
    assert status.headline() == "Running (PID 12345) [PID ✓, Port ✓, API ✓]"
    assert Status(State.STOPPED).headline() == "Stopped [PID -, Port ✗, API ✗]"


def test_since_changes_only_with_the_state() -> None:
    first = Status(State.RUNNING, since=100.0)
    same = first.moved_to(State.RUNNING, details=ALL_OK)
    other = first.moved_to(State.ERROR, error=AppError(ErrorCode.CRASHED, "m", "s"))
    assert same.since == 100.0
    assert other.since > 100.0
    assert other.error is not None and other.error.code is ErrorCode.CRASHED


# --- derive_state: what the supervisor adds to a probe ------------------------------------------------

GONE = HealthDetails(pid=10, pid_ok=False)
NOTHING = HealthDetails(port_ok=False)


@pytest.mark.parametrize(
    ("details", "managed", "current", "state"),
    [
        (ALL_OK, True, State.STARTING, State.RUNNING),  # a probe is the word on a process we run
        (HealthDetails(pid=10, pid_ok=True, port_ok=True), True, State.RUNNING, State.DEGRADED),
        (GONE, True, State.RUNNING, State.RUNNING),  # exiting: its exit watcher says how, not the probe
        (GONE, True, State.STARTING, State.STARTING),
        (NOTHING, False, State.ERROR, State.ERROR),  # a crash's error stays until the user acts
        (NOTHING, False, State.RUNNING, State.STOPPED),
        (NOTHING, False, State.STOPPED, State.STOPPED),
        (HealthDetails(port_ok=True, api_ok=True), False, State.ERROR, State.RUNNING),  # someone else serves
    ],
    ids=["verified", "frozen", "exiting", "exiting-at-start", "error-sticks", "gone", "stopped", "foreign"],
)
def test_derive_state(details: HealthDetails, managed: bool, current: State, state: State) -> None:
    assert derive_state(details, managed=managed, current=current) is state


# --- next_status: how one status follows another ---------------------------------------------------

CRASH = AppError(ErrorCode.CRASHED, "m", "s")


def _next(before: Status, state: State, **changes: object) -> Status:
    """`next_status` with the supervisor's view: pid 42 on port 11435, running zhipu/glm-4-air."""
    return next_status(before, state, changes, pid=42, port=11435, provider="zhipu", model="glm-4-air")


def test_what_a_change_leaves_out_comes_from_the_supervisors_view() -> None:
    status = _next(Status(State.STARTING), State.RUNNING)
    assert (status.pid, status.port, status.provider, status.model) == (42, 11435, "zhipu", "glm-4-air")
    starting = _next(Status(provider="ollama"), State.STARTING)
    assert starting.provider == "ollama"  # a start names its own provider; the view is still the old config


def test_running_again_has_no_error_and_a_success_clears_the_last_failure() -> None:
    failed = Status(State.ERROR, error=CRASH, last_failure=Failure(CRASH))
    running = _next(failed, State.RUNNING)
    assert running.error is None and running.last_failure is not None  # a probe alone keeps the failed action
    succeeded = _next(failed, State.RUNNING, error=None)
    assert succeeded.last_failure is None
    rolled_back = _next(failed, State.RUNNING, error=None, last_failure=Failure(CRASH))
    assert rolled_back.last_failure is not None and rolled_back.error is None
