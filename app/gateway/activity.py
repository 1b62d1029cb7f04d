"""Activity and provider health, counted from the editor traffic that passes the gateway.

Nothing here sends a request: the tray's "Zed · 14 requests in the last hour" and its DEGRADED state
("OpenAI: 3 of the last 5 requests failed: …") come from what editors already asked. Counting is O(1) per
request and runs no timer, so an idle gateway stays at zero CPU; per-minute series are built when asked.
"""

from __future__ import annotations

import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Final

MINUTES: Final = 60  # the per-minute series cover the last hour
MAX_CLIENTS: Final = 64  # distinct User-Agents kept; the least recently seen idle one makes room
TTFB_SAMPLES: Final = 64
UA_MAX: Final = 160
FAILURE_TEXT_MAX: Final = 300
NO_USER_AGENT: Final = "(no User-Agent)"


class MinuteCounts:
    """Counts per wall-clock minute for the last hour, in a ring indexed by minute number."""

    __slots__ = ("_counts", "_stamps")

    def __init__(self) -> None:
        self._counts = [0] * MINUTES
        self._stamps = [-1] * MINUTES

    def add(self, minute: int) -> None:
        slot = minute % MINUTES
        if self._stamps[slot] != minute:
            self._stamps[slot], self._counts[slot] = minute, 0
        self._counts[slot] += 1

    def series(self, now_minute: int) -> list[int]:
        """Oldest first; the last entry is the current minute."""
        out = []
        for minute in range(now_minute - MINUTES + 1, now_minute + 1):
            slot = minute % MINUTES
            out.append(self._counts[slot] if self._stamps[slot] == minute else 0)
        return out


@dataclass
class ClientStats:
    name: str
    requests: int = 0
    in_flight: int = 0
    errors: int = 0  # answered 4xx/5xx, or broken off
    blocked: int = 0  # refused by the gateway's policy (Host, Origin, route, key): never reached llm-link
    last_seen: float = 0.0  # wall clock, seconds since the epoch
    ttfb: deque[float] = field(default_factory=lambda: deque(maxlen=TTFB_SAMPLES))
    minutes: MinuteCounts = field(default_factory=MinuteCounts)

    def snapshot(self, now_minute: int) -> dict[str, Any]:
        samples = sorted(self.ttfb)
        return {
            "client": self.name,
            "requests": self.requests,
            "in_flight": self.in_flight,
            "errors": self.errors,
            "blocked": self.blocked,
            "last_seen": self.last_seen,
            "ttfb_ms_last": round(self.ttfb[-1] * 1000, 2) if self.ttfb else None,
            "ttfb_ms_p50": round(samples[len(samples) // 2] * 1000, 2) if samples else None,
            "per_minute": self.minutes.series(now_minute),
        }


@dataclass
class Health:
    """The outcome of the last `window` requests llm-link answered (5xx = failed), for one upstream label."""

    window: int
    label: str | None = None
    statuses: deque[int] = field(init=False)
    last_failure: dict[str, Any] | None = None
    # When a chat (a POST, which reaches the provider with its key) last got a 2xx: the key works.
    chat_ok_at: float | None = None

    def __post_init__(self) -> None:
        self.statuses = deque(maxlen=self.window)

    def snapshot(self) -> dict[str, Any]:
        statuses = list(self.statuses)
        return {
            "label": self.label,
            "recent_statuses": statuses,  # oldest first
            "recent": len(statuses),
            "failed": sum(1 for s in statuses if s >= 500),
            "last_failure": self.last_failure,
            "chat_ok_at": self.chat_ok_at,
        }


class Activity:
    def __init__(self, health_window: int = 20) -> None:
        self.clients: dict[str, ClientStats] = {}
        self.total = MinuteCounts()
        self.health = Health(health_window)
        self.started = time.time()

    def client(self, user_agent: bytes | None) -> ClientStats:
        name = user_agent.decode("utf-8", "replace").strip()[:UA_MAX] if user_agent else ""
        name = name or NO_USER_AGENT
        stats = self.clients.get(name)
        if stats is None:
            if len(self.clients) >= MAX_CLIENTS:
                self._evict()
            stats = self.clients[name] = ClientStats(name)
        return stats

    def _evict(self) -> None:
        idle = [c for c in self.clients.values() if c.in_flight == 0]
        if idle:
            del self.clients[min(idle, key=lambda c: c.last_seen).name]

    def blocked(self, client: ClientStats) -> None:
        client.blocked += 1
        client.last_seen = time.time()

    def started_request(self, client: ClientStats) -> None:
        now = time.time()
        client.requests += 1
        client.in_flight += 1
        client.last_seen = now
        minute = int(now // 60)
        client.minutes.add(minute)
        self.total.add(minute)

    def first_byte(self, client: ClientStats, seconds: float) -> None:
        client.ttfb.append(seconds)

    def finished_request(self, client: ClientStats, status: int | None, broken: bool) -> None:
        client.in_flight -= 1
        client.last_seen = time.time()
        if broken or status is None or status >= 400:
            client.errors += 1

    def reset_health(self, label: str | None) -> None:
        """A new provider (label) starts a fresh window: the old one's failures say nothing about it."""
        if label != self.health.label:
            self.health = Health(self.health.window, label)

    def upstream_answered(self, label: str | None, status: int, body_head: bytes, *, chat: bool = False) -> None:
        """One response from llm-link; `body_head` is the start of its body (kept for 5xx only); `chat` when
        the request was one that reaches the provider."""
        if label != self.health.label:
            return  # a request still finishing on the instance we switched away from
        self.health.statuses.append(status)
        if chat and 200 <= status < 300:
            self.health.chat_ok_at = time.time()
        if status >= 500:
            self.health.last_failure = {"status": status, "text": failure_text(body_head), "at": time.time()}

    def snapshot(self) -> dict[str, Any]:
        now = time.time()
        minute = int(now // 60)
        clients = sorted(self.clients.values(), key=lambda c: c.last_seen, reverse=True)
        return {
            "now": now,
            "started": self.started,
            "clients": [c.snapshot(minute) for c in clients],
            "per_minute": self.total.series(minute),
            "health": self.health.snapshot(),
        }


def failure_text(body: bytes) -> str:
    """A one-line reason from an error body: the JSON `error.message`/`error`/`message` if there is one."""
    text = body.decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        inner = data.get("error", data.get("message"))
        if isinstance(inner, dict):
            inner = inner.get("message", inner)
        if inner is not None:
            text = inner if isinstance(inner, str) else json.dumps(inner)
    line = " ".join(text.split())
    return line[:FAILURE_TEXT_MAX] or "(empty response body)"
