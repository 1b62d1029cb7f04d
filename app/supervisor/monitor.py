"""The poll loop: probes as often as the state asks, at once when woken, and checks for hangs in between.

Every `liveness_interval` it wakes for a cheap look at the process (a SIGSTOPped llm-link cannot answer: probe
now rather than at the next full poll), and an llm-link DEGRADED for longer than the policy allows is
restarted. While an intent holds the supervisor (`busy`) it only watches: that intent publishes its own states.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

import psutil

from app.supervisor.policy import Policy
from app.supervisor.state import State, Status

log = logging.getLogger("llm_link_tray.supervisor.monitor")


def looks_hung(pid: int | None, state: State) -> bool:
    """Cheap check between full probes: a RUNNING process stopped by a signal cannot answer."""
    if pid is None or state is not State.RUNNING:
        return False
    try:
        return bool(psutil.Process(pid).status() == psutil.STATUS_STOPPED)
    except psutil.Error:
        return False


def degraded_too_long(status: Status, policy: Policy, *, managed: bool, now: float) -> bool:
    """DEGRADED for `degraded_restart_after` seconds, with a process of ours to restart and restarts allowed,
    and llm-link itself the part that fails: a down gateway or a failing provider is not llm-link's fault."""
    return (
        status.state is State.DEGRADED
        and not status.details.llmlink_serving
        and managed
        and policy.auto_restart
        and now - status.since >= policy.degraded_restart_after
    )


class Watched(Protocol):
    """What the monitor reads of the supervisor."""

    @property
    def status(self) -> Status: ...
    @property
    def policy(self) -> Policy: ...
    @property
    def pid(self) -> int | None: ...
    @property
    def busy(self) -> bool: ...
    async def refresh_now(self) -> Status: ...


class Monitor:
    """Runs from `start()` to `stop()`; `restart_degraded` is the supervisor's restart for a DEGRADED llm-link
    (which checks again, under its lock, that it still is)."""

    def __init__(self, watched: Watched, restart_degraded: Callable[[], Awaitable[None]]) -> None:
        self._watched = watched
        self._restart_degraded = restart_degraded
        self._task: asyncio.Task[None] | None = None
        self._waker: asyncio.Future[None] | None = None  # the loop's nap; settle it to wake the loop
        self._refresh_requested = False

    def start(self) -> None:
        # Always running: with polling off it still serves refreshes and restarts after DEGRADED.
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="llm-link-poll")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def wake(self) -> None:
        """End the current nap: a new state may have a new interval."""
        if self._waker is not None:
            _settle(self._waker)

    def refresh_soon(self) -> None:
        """Probe at the next turn of the loop (a refresh from the UI), whatever the interval says."""
        self._refresh_requested = True
        self.wake()

    async def _loop(self) -> None:
        watched, last_probe = self._watched, time.monotonic()
        while True:
            await self._nap(watched.policy.liveness_interval)
            if watched.busy:
                continue
            policy, now = watched.policy, time.monotonic()
            interval = policy.poll_interval(watched.status.state)
            due = interval is not None and now - last_probe >= interval
            hung = policy.poll_enabled and looks_hung(watched.pid, watched.status.state)
            if due or hung or self._refresh_requested:
                self._refresh_requested = False
                last_probe = now
                await watched.refresh_now()
            status = watched.status
            if degraded_too_long(status, policy, managed=watched.pid is not None, now=time.time()):
                log.warning("llm-link DEGRADED for %.0fs: restarting it", time.time() - status.since)
                await self._restart_degraded()

    async def _nap(self, seconds: float) -> None:
        """Sleep up to `seconds`; `wake()` ends it early."""
        loop = asyncio.get_running_loop()
        waker = self._waker = loop.create_future()
        handle = loop.call_later(seconds, _settle, waker)
        try:
            await waker
        finally:
            handle.cancel()
            self._waker = None


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
