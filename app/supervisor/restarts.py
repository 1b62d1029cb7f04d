"""After a crash or a failed start: whether llm-link is started again, when, and when to give up.

`Backoff` spaces the restarts out; `Restarter` owns the scheduled restart and the user's stop, which suspends
automatic restarts until the next start. The supervisor tells it what happened and runs the restart it asks for.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable

from app.errors import AppError, ErrorCode, human_duration
from app.supervisor.policy import Policy
from app.supervisor.process import Exit

log = logging.getLogger("llm_link_tray.supervisor.restarts")


class Backoff:
    """0.1 s, 0.2 s, 0.4 s, … up to 30 s between restarts; gives up after N failed starts in a window.

    `policy` may be replaced at any time; the next delay and the next crash-loop check follow it."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._attempt = 0
        self._failures: deque[float] = deque()

    def next_delay(self) -> float:
        delay: float = min(self.policy.backoff_first * 2.0**self._attempt, self.policy.backoff_max)
        self._attempt += 1
        return delay

    def record_failure(self, now: float) -> bool:
        """Note a failed start or crash; True when that makes a crash loop."""
        self._failures.append(now)
        while self._failures and now - self._failures[0] > self.policy.crash_loop_window:
            self._failures.popleft()
        return len(self._failures) >= self.policy.crash_loop_starts

    def reset(self) -> None:
        self._attempt = 0
        self._failures.clear()


class Restarter:
    """The automatic restart: at most one scheduled at a time; `restart` is the supervisor's start, run
    after the backoff's delay (it takes the supervisor's lock and checks that nothing runs by then)."""

    def __init__(self, policy: Policy, restart: Callable[[], Awaitable[None]]) -> None:
        self._backoff = Backoff(policy)
        self._restart = restart
        self._task: asyncio.Task[None] | None = None
        # The user stopped llm-link: no automatic restart until they start it again.
        self.user_stopped = False

    @property
    def policy(self) -> Policy:
        return self._backoff.policy

    @policy.setter
    def policy(self, policy: Policy) -> None:
        self._backoff.policy = policy

    @property
    def pending(self) -> bool:
        """A restart is scheduled and has not run yet."""
        return self._task is not None and not self._task.done()

    def started_by_user(self, *, reset: bool = False) -> None:
        """A user's start, restart or switch: automatic restarts are back on and the scheduled one is moot;
        with `reset` (Start) the backoff begins again from its first delay."""
        self.user_stopped = False
        self.cancel()
        if reset:
            self._backoff.reset()

    def stopped_by_user(self) -> None:
        """A user's stop: no automatic restart until the next start."""
        self.user_stopped = True
        self.cancel()

    def crashed(self, outcome: Exit, ran_for: float) -> AppError:
        """The error a crash after `ran_for` seconds of running is shown as."""
        if ran_for >= self.policy.backoff_reset_after:
            self._backoff.reset()  # it ran long enough: this crash is not part of a loop
        return AppError(
            ErrorCode.CRASHED,
            f"llm-link (pid {outcome.pid}) {outcome.describe()}",
            "It will be restarted automatically; View logs shows its last words."
            if self.policy.auto_restart and not self.user_stopped
            else "Start it again from the tray menu.",
            outcome.last_lines,
        )

    def schedule(self, details: tuple[str, ...]) -> AppError | None:
        """Start again after the next delay, if the policy and the user allow it. Returns the CRASH_LOOP error
        (with `details`, the last words) instead when that would be one failure too many."""
        if not self.policy.auto_restart or self.user_stopped:
            return None
        if self._backoff.record_failure(time.monotonic()):
            return AppError(
                ErrorCode.CRASH_LOOP,
                f"llm-link failed {self.policy.crash_loop_starts} times within "
                f"{human_duration(self.policy.crash_loop_window)}; not restarting it any more",
                "View logs for the cause, fix it in Settings, then Start.",
                details,
            )
        delay = self._backoff.next_delay()
        log.info("restarting llm-link in %.2fs", delay)
        self._task = asyncio.get_running_loop().create_task(self._after(delay), name="llm-link-restart")
        return None

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def close(self) -> None:
        """Cancel a scheduled restart and wait until it has let go (it may be starting llm-link right now)."""
        task = self._task
        self.cancel()
        if task is not None:
            await asyncio.gather(task, return_exceptions=True)

    async def _after(self, delay: float) -> None:
        await asyncio.sleep(delay)
        await self._restart()
