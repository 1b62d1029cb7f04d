"""The health model, one transition at a time."""

from __future__ import annotations

import pytest

from app.errors import AppError, ErrorCode
from app.supervisor.state import HealthDetails, State, Status, classify

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
