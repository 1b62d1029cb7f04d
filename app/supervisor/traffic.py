"""What real editor traffic says, from the gateway's `stats`: who used llm-link, and whether the provider fails.

Nothing here sends a request to the provider: provider health comes from answers editors already got. The
rule for DEGRADED: of the last `WINDOW` answers from llm-link, at least `FAILED` were 5xx and the latest was
one of them; the next success ends it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

WINDOW: Final = 5
FAILED: Final = 3
HOUR: Final = 60


@dataclass(frozen=True)
class ClientActivity:
    """One editor or client (by User-Agent) as the gateway counted it."""

    client: str  # the User-Agent as sent
    name: str  # what a person calls it: "Zed", "ollama-python", "curl"
    requests: int  # since the gateway started
    last_hour: int
    in_flight: int
    errors: int
    blocked: int  # refused by the gateway's browser/host/route/key policy
    last_seen: float  # wall clock
    ttfb_ms_p50: float | None
    per_minute: tuple[int, ...]  # the last hour, oldest first


@dataclass(frozen=True)
class Traffic:
    clients: tuple[ClientActivity, ...]
    per_minute: tuple[int, ...]  # all clients, the last hour, oldest first
    in_flight: int
    upstream_failing: str | None  # the DEGRADED reason, or None
    # A chat through this instance got a 2xx: the provider took its key (False with none yet).
    chat_succeeded: bool

    @property
    def last_hour(self) -> int:
        return sum(self.per_minute)


def client_name(user_agent: str) -> str:
    """`Zed/0.160.7 (linux; x86_64)` → `Zed`; `ollama-python/0.4.4 (…)` → `ollama-python`."""
    first = user_agent.split()[0] if user_agent.split() else user_agent
    return first.split("/")[0] or user_agent


def upstream_problem(health: dict[str, Any], provider_name: str) -> str | None:
    """`OpenAI: 3 of the last 5 requests failed: upstream said 401 …`, or None while the provider answers."""
    statuses = [s for s in health.get("recent_statuses", []) if isinstance(s, int)][-WINDOW:]
    failed = sum(1 for s in statuses if s >= 500)
    if not statuses or statuses[-1] < 500 or failed < FAILED:
        return None
    last = health.get("last_failure") or {}
    reason = f": {last.get('text')}" if isinstance(last, dict) and last.get("text") else ""
    return f"{provider_name}: {failed} of the last {len(statuses)} requests failed{reason}"


def parse(stats: dict[str, Any], provider_name: str) -> Traffic:
    """The gateway's `stats` answer as typed activity; missing or odd fields count as nothing."""
    clients = []
    for raw in stats.get("clients", []):
        if not isinstance(raw, dict):
            continue
        per_minute = tuple(int(n) for n in raw.get("per_minute", []) if isinstance(n, int))
        agent = str(raw.get("client", ""))
        clients.append(
            ClientActivity(
                client=agent,
                name=client_name(agent),
                requests=int(raw.get("requests") or 0),
                last_hour=sum(per_minute),
                in_flight=int(raw.get("in_flight") or 0),
                errors=int(raw.get("errors") or 0),
                blocked=int(raw.get("blocked") or 0),
                last_seen=float(raw.get("last_seen") or 0.0),
                ttfb_ms_p50=raw.get("ttfb_ms_p50") if isinstance(raw.get("ttfb_ms_p50"), int | float) else None,
                per_minute=per_minute,
            )
        )
    health = stats.get("health") if isinstance(stats.get("health"), dict) else {}
    assert isinstance(health, dict)
    return Traffic(
        clients=tuple(clients),
        per_minute=tuple(int(n) for n in stats.get("per_minute", []) if isinstance(n, int)),
        in_flight=int(stats.get("in_flight") or 0),
        upstream_failing=upstream_problem(health, provider_name),
        chat_succeeded=health.get("chat_ok_at") is not None,
    )


def as_json(traffic: Traffic) -> dict[str, Any]:
    """For `status --json` (English, stable names)."""
    return {
        "requests_last_hour": traffic.last_hour,
        "in_flight": traffic.in_flight,
        "upstream_failing": traffic.upstream_failing,
        "clients": [
            {
                "client": c.client,
                "name": c.name,
                "requests": c.requests,
                "last_hour": c.last_hour,
                "in_flight": c.in_flight,
                "errors": c.errors,
                "blocked": c.blocked,
                "last_seen": c.last_seen,
                "ttfb_ms_p50": c.ttfb_ms_p50,
            }
            for c in traffic.clients
        ],
        "per_minute": list(traffic.per_minute),
    }
