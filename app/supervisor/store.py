"""The status cache: the last probe for a while, refresh on demand, subscribers hear every change."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable

from app.supervisor.state import HealthDetails, Status

log = logging.getLogger("llm_link_tray.supervisor.store")

Listener = Callable[[Status], None]


class StatusStore:
    """Holds the current `Status`. `get()` answers from cache while it is younger than `ttl` seconds;
    after `invalidate()` (refresh) the next `get()` probes again through `refresher`."""

    def __init__(self, refresher: Callable[[], Awaitable[Status]], *, ttl: float = 5.0, history: int = 10) -> None:
        self._refresher = refresher
        self.ttl = ttl
        self._status = Status()
        self._fresh_until = 0.0
        self._listeners: list[Listener] = []
        self.history: deque[HealthDetails] = deque(maxlen=history)

    @property
    def current(self) -> Status:
        """The last known status, never probing: for renderers."""
        return self._status

    @property
    def fresh(self) -> bool:
        return time.monotonic() < self._fresh_until

    async def get(self) -> Status:
        if time.monotonic() < self._fresh_until:
            return self._status
        return await self._refresher()

    def invalidate(self) -> None:
        """Refresh: the next `get()` probes again. Returns at once."""
        self._fresh_until = 0.0

    def publish(self, status: Status, *, probed: bool = False) -> None:
        if probed:
            self.history.append(status.details)
            self._fresh_until = time.monotonic() + self.ttl
        if status == self._status:
            return
        self._status = status
        for listener in list(self._listeners):
            try:
                listener(status)
            except Exception:
                log.exception("status listener %r failed", listener)

    async def wait_for(self, predicate: Callable[[Status], bool], timeout: float) -> Status:
        """The first status (the current one included) that satisfies `predicate`, as it is published: an event
        to wait on instead of polling. Raises TimeoutError, naming the last status, after `timeout` seconds."""
        if predicate(self._status):
            return self._status
        reached: asyncio.Future[Status] = asyncio.get_running_loop().create_future()

        def listener(status: Status) -> None:
            if predicate(status) and not reached.done():
                reached.set_result(status)

        leave = self.subscribe(listener)
        try:
            return await asyncio.wait_for(reached, timeout)
        except TimeoutError:
            raise TimeoutError(f"no matching status within {timeout:g}s; last: {self._status}") from None
        finally:
            leave()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Hear every change; call the returned function to stop."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)
