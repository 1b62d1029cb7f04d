"""Which tray-menu items make sense in which state (pure, so every rule has a test)."""

from __future__ import annotations

from typing import Final

from app.supervisor.state import State

# "connect": the Connect dialog only shows snippets; its Test says itself when nothing answers.
ALWAYS: Final = frozenset({"refresh", "auto_refresh", "settings", "connect", "view_logs", "open_log_folder", "quit"})

_BY_STATE: Final[dict[State, frozenset[str]]] = {
    State.UNKNOWN: frozenset({"start", "switch"}),
    State.STOPPED: frozenset({"start", "switch"}),
    State.STARTING: frozenset({"stop"}),
    State.RUNNING: frozenset({"stop", "restart", "switch"}),
    State.DEGRADED: frozenset({"stop", "restart", "switch"}),
    State.ERROR: frozenset({"start", "restart", "switch"}),
}


def enabled_items(state: State, *, busy: bool = False) -> frozenset[str]:
    """Names of the enabled items. `busy`: a start/stop/switch of ours is under way; wait for it."""
    if busy:
        return ALWAYS
    return ALWAYS | _BY_STATE[state]
