"""Timing policy in one place: restart backoff, crash-loop limit, polling by state, degraded patience.

The numbers only; `restarts.Backoff` and `monitor.Monitor` act on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.supervisor.state import State


@dataclass(frozen=True)
class Policy:
    auto_restart: bool = True
    # systemd's RestartSec=100ms: the gateway holds editors' requests meanwhile, so a crash costs them only
    # the wait. bench/peers.py measured 0.5 s as 76 % of the time to serving again (issue 13's R1); the
    # crash-loop limit below, not a slow first delay, is what stops a binary that dies at once.
    backoff_first: float = 0.1
    backoff_max: float = 30.0
    # This long RUNNING and the next crash starts the backoff from the beginning again.
    backoff_reset_after: float = 30.0
    crash_loop_starts: int = 5
    crash_loop_window: float = 60.0
    # DEGRADED this long (after the start grace) → restart: 5 failed probes at DEGRADED's 2 s interval. Behind
    # the gateway the new llm-link starts beside the stuck one, which keeps its streams until they drain, so a
    # restart costs editors nothing, while a hung llm-link holds every request they send. At 30 s the tray's
    # own recovery from a hang took 32.3 s (issue 13's R3).
    degraded_restart_after: float = 10.0
    start_timeout: float = 15.0
    stop_grace: float = 5.0
    poll_enabled: bool = True
    poll_intervals: dict[State, float] = field(
        default_factory=lambda: {State.RUNNING: 10.0, State.STARTING: 2.0, State.DEGRADED: 2.0, State.ERROR: 30.0}
    )
    # Between full probes: a cheap check of the process (alive? stopped by a signal?) to spot hangs fast.
    liveness_interval: float = 1.0
    status_ttl: float = 5.0
    history_size: int = 10

    def poll_interval(self, state: State) -> float | None:
        return self.poll_intervals.get(state) if self.poll_enabled else None
