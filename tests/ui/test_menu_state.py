"""Which menu items are enabled in which state."""

from __future__ import annotations

import pytest

from app.supervisor.state import State
from app.ui.menu_state import ALWAYS, enabled_items


@pytest.mark.parametrize(
    ("state", "extra"),
    [
        (State.UNKNOWN, {"start", "switch"}),
        (State.STOPPED, {"start", "switch"}),
        (State.STARTING, {"stop"}),
        (State.RUNNING, {"stop", "restart", "switch"}),
        (State.DEGRADED, {"stop", "restart", "switch"}),
        (State.ERROR, {"start", "restart", "switch"}),
    ],
)
def test_items_per_state(state: State, extra: set[str]) -> None:
    assert enabled_items(state) == ALWAYS | extra


def test_while_an_intent_runs_only_the_harmless_items_stay() -> None:
    assert enabled_items(State.RUNNING, busy=True) == ALWAYS
    assert {"quit", "view_logs", "settings"} <= ALWAYS
