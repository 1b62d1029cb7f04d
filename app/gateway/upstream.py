"""Which llm-link serves new requests, its connection pool, and the blue/green flip with a bounded drain.

A `Target` is one `set_upstream`: port + the auth llm-link wants on it + a label for health. Each request
binds to the target that is current when it starts and stays on it to the end, so a flip never moves a
stream; the old target's `Exchange`s are what the drain waits for. No timers run while idle.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Final

import h11

POOL_MAX_IDLE: Final = 16  # idle keep-alive connections kept per llm-link port
CONNECT_TIMEOUT: Final = 5.0  # a loopback connect that takes longer means a wedged llm-link


@dataclass(eq=False)
class Target:
    host: str
    port: int
    auth: str | None  # replaces the editor's Authorization towards llm-link (its own throwaway key)
    label: str | None
    since: float = field(default_factory=time.time)
    exchanges: set[Exchange] = field(default_factory=set)
    _idle: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    def describe(self) -> dict[str, object]:
        return {
            "host": self.host,
            "port": self.port,
            "label": self.label,
            "since": self.since,
            "in_flight": len(self.exchanges),
            "auth": self.auth is not None,
        }


@dataclass(eq=False)
class UpstreamConn:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    address: tuple[str, int]
    h11: h11.Connection = field(default_factory=lambda: h11.Connection(h11.CLIENT))
    reused: bool = False

    def abort(self) -> None:
        self.writer.transport.abort()


@dataclass(eq=False)
class Exchange:
    """One request in flight on a target; `cut` is set when a drain timed out and aborted it."""

    target: Target
    conn: UpstreamConn | None = None
    cut: bool = False


@dataclass(frozen=True)
class DrainResult:
    previous_port: int | None
    in_flight_at_flip: int
    drained: bool
    cut: int
    seconds: float

    def as_dict(self) -> dict[str, object]:
        return {
            "previous_port": self.previous_port,
            "in_flight_at_flip": self.in_flight_at_flip,
            "drained": self.drained,
            "cut": self.cut,
            "drain_seconds": round(self.seconds, 3),
        }


class Upstreams:
    def __init__(self, stopped_reason: str) -> None:
        self.current: Target | None = None
        self.reason = stopped_reason  # said in the 503 while no target is set
        self._changed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pools: dict[tuple[str, int], list[UpstreamConn]] = {}
        self._retired: set[Target] = set()  # flipped away from, still draining
        self.opened = 0  # connections opened to llm-link since start (the pool keeps this low)
        self.shutting_down = False

    # --- which target ---

    def _announce(self) -> None:
        if not self._changed.done():
            self._changed.set_result(None)
        self._changed = asyncio.get_running_loop().create_future()

    async def wait_change(self, deadline: float) -> bool:
        """Wait for the next set/clear until `deadline` (loop time); False when it did not come in time."""
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            return False
        try:
            await asyncio.wait_for(asyncio.shield(self._changed), remaining)
        except TimeoutError:
            return False
        return True

    async def wait_target(self, deadline: float) -> Target | None:
        """The current target, waiting for one until `deadline` while none is set."""
        while self.current is None:
            if self.shutting_down or not await self.wait_change(deadline):
                return None
        return self.current

    def shut_down(self, reason: str) -> None:
        """The gateway is going away: requests held for an llm-link get their 503 now, not at the deadline."""
        self.shutting_down = True
        self.reason = reason
        self._announce()

    def set(self, host: str, port: int, auth: str | None, label: str | None) -> Target | None:
        """Make a new target current at once; returns the one it replaces (to be drained)."""
        previous = self.current
        self.current = Target(host, port, auth, label)
        if previous is not None:
            self._retired.add(previous)
        self._announce()
        return previous

    def clear(self, reason: str) -> Target | None:
        """No llm-link serves: new requests are held, then refused with `reason`. In-flight ones go on."""
        previous = self.current
        self.current = None
        self.reason = reason
        if previous is not None:
            if previous.exchanges:
                self._retired.add(previous)  # `end` closes its pool when its last request is done
            else:
                self._close_pool_unless_current(previous.address)
        self._announce()
        return previous

    def in_flight(self) -> int:
        targets = [*self._retired, *([self.current] if self.current else [])]
        return sum(len(t.exchanges) for t in targets)

    # --- exchanges and drain ---

    def begin(self, target: Target) -> Exchange:
        exchange = Exchange(target)
        target.exchanges.add(exchange)
        target._idle.clear()
        return exchange

    def end(self, exchange: Exchange) -> None:
        target = exchange.target
        target.exchanges.discard(exchange)
        if not target.exchanges:
            target._idle.set()
            if target in self._retired and target is not self.current:
                self._retired.discard(target)
                self._close_pool_unless_current(target.address)

    async def drain(self, previous: Target | None, timeout: float) -> DrainResult:
        """Wait until `previous` has no request in flight, or abort what is left after `timeout` seconds."""
        started = time.monotonic()
        if previous is None:
            return DrainResult(None, 0, True, 0, 0.0)
        at_flip = len(previous.exchanges)
        drained = True
        cut = 0
        if previous.exchanges:
            try:
                await asyncio.wait_for(previous._idle.wait(), timeout)
            except TimeoutError:
                drained = False
                for exchange in list(previous.exchanges):
                    exchange.cut = True
                    cut += 1
                    if exchange.conn is not None:
                        exchange.conn.abort()  # its handler sees the upstream break and breaks the stream
        self._retired.discard(previous)
        self._close_pool_unless_current(previous.address)
        return DrainResult(previous.port, at_flip, drained, cut, time.monotonic() - started)

    # --- connections ---

    async def connect(self, target: Target, *, fresh: bool = False) -> UpstreamConn:
        """An idle pooled connection to `target` (unless `fresh`), else a new one. Raises OSError."""
        pool = self._pools.get(target.address)
        while pool and not fresh:
            conn = pool.pop()
            # An upstream that closed an idle connection shows EOF here; the rest is caught by one retry.
            if conn.reader.at_eof() or conn.writer.is_closing():
                conn.abort()
                continue
            conn.reused = True
            return conn
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(target.host, target.port, limit=1 << 16), CONNECT_TIMEOUT
        )
        self.opened += 1
        return UpstreamConn(reader, writer, target.address)

    def release(self, conn: UpstreamConn) -> None:
        """Back to the pool if the exchange ended cleanly and both sides keep the connection open."""
        reusable = (
            conn.h11.our_state is h11.DONE
            and conn.h11.their_state is h11.DONE
            and not conn.writer.is_closing()
            and not conn.reader.at_eof()
        )
        pool = self._pools.setdefault(conn.address, [])
        if not reusable or len(pool) >= POOL_MAX_IDLE or not self._serves(conn.address):
            conn.abort()
            return
        conn.h11.start_next_cycle()
        pool.append(conn)

    def _serves(self, address: tuple[str, int]) -> bool:
        return (self.current is not None and self.current.address == address) or any(
            t.address == address for t in self._retired
        )

    def _close_pool_unless_current(self, address: tuple[str, int]) -> None:
        if self.current is not None and self.current.address == address:
            return
        for conn in self._pools.pop(address, []):
            conn.abort()

    def close_all(self) -> None:
        for pool in self._pools.values():
            for conn in pool:
                with contextlib.suppress(RuntimeError):  # the loop may already be closing
                    conn.abort()
        self._pools.clear()
