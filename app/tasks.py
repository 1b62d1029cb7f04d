"""Fire-and-forget coroutines that neither vanish nor fail silently.

asyncio keeps only a weak reference to a task: one nobody holds can be garbage-collected mid-flight. And a
task whose exception nobody retrieves is reported only when it is collected, if ever, without saying who
started it. `BackgroundTasks` holds each task until it is done and logs an unexpected failure at once, with
its cause and its name. No Qt here: the UI, the controller and the supervisor all use it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

log = logging.getLogger("llm_link_tray.tasks")

T = TypeVar("T")


class BackgroundTasks:
    def __init__(self, owner: str = "") -> None:
        self._owner = owner  # who runs them, for the log line of a failure
        self._running: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, T], *, name: str | None = None) -> asyncio.Task[T]:
        """Run `coro` in the background; it is held until done. The task is returned for those who await it.
        `name` (default: the coroutine's own, e.g. `SettingsDialog.apply`) is what a failure is logged as."""
        task = asyncio.ensure_future(coro)
        task.set_name(name or getattr(coro, "__qualname__", task.get_name()))
        self._running.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._running.discard(task)
        if task.cancelled():
            return
        error = task.exception()  # retrieved here, so asyncio does not report it a second time at collection
        if error is not None:
            where = f"{self._owner}: " if self._owner else ""
            log.error("%sbackground task %s failed: %r", where, task.get_name(), error, exc_info=error)

    def __len__(self) -> int:
        """How many are still running."""
        return len(self._running)

    async def cancel_all(self) -> None:
        """Cancel every running task and wait until each has ended (their failures are logged as usual)."""
        tasks = list(self._running)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
