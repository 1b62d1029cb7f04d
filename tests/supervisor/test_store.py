"""The status cache: TTL, refresh, subscribers and history."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

from app.supervisor.state import HealthDetails, State, Status
from app.supervisor.store import StatusStore
from tests.supervisor.conftest import FAST, MakeSupervisor


def _store(ttl: float = 60.0) -> tuple[StatusStore, list[int]]:
    probes: list[int] = []

    async def refresher() -> Status:
        probes.append(1)
        status = Status(State.RUNNING, HealthDetails(pid=len(probes)))
        store.publish(status, probed=True)
        return status

    store = StatusStore(refresher, ttl=ttl, history=10)
    return store, probes


async def test_reads_within_the_ttl_come_from_the_cache() -> None:
    store, probes = _store()
    await store.get()
    await store.get()
    assert len(probes) == 1


async def test_invalidate_makes_the_next_read_probe_again() -> None:
    store, probes = _store()
    await store.get()
    store.invalidate()
    assert not store.fresh
    status = await store.get()
    assert len(probes) == 2 and status.details.pid == 2


async def test_an_expired_entry_is_probed_again() -> None:
    store, probes = _store(ttl=0.0)
    await store.get()
    await store.get()
    assert len(probes) == 2


async def test_subscribers_hear_every_change_once_and_can_leave() -> None:
    store, _ = _store()
    heard: list[State] = []
    leave = store.subscribe(lambda s: heard.append(s.state))
    starting = Status(State.STARTING, since=1.0)
    store.publish(starting)
    store.publish(starting)  # no change: no news
    store.publish(Status(State.RUNNING, since=2.0))
    leave()
    store.publish(Status(State.ERROR, since=3.0))
    assert heard == [State.STARTING, State.RUNNING]


async def test_a_failing_subscriber_does_not_silence_the_others() -> None:
    store, _ = _store()
    heard: list[State] = []

    def broken(_status: Status) -> None:
        raise RuntimeError("listener bug")

    store.subscribe(broken)
    store.subscribe(lambda s: heard.append(s.state))
    store.publish(Status(State.RUNNING))
    assert heard == [State.RUNNING]


async def test_history_keeps_the_last_ten_probes() -> None:
    store, _ = _store(ttl=0.0)
    for _ in range(13):
        await store.get()
    assert [d.pid for d in store.history] == list(range(4, 14))


async def test_the_supervisors_cached_read_is_cheap_and_refresh_probes_again(
    modern_binary: Path, make_supervisor: MakeSupervisor
) -> None:
    sup = await make_supervisor(modern_binary, policy=replace(FAST, status_ttl=60))
    await sup.refresh_now()
    probes = len(sup.store.history)
    assert (await sup.store.get()).state is State.RUNNING
    assert len(sup.store.history) == probes
    sup.store.invalidate()
    await sup.store.get()
    assert len(sup.store.history) == probes + 1


async def test_wait_for_answers_with_the_first_matching_status_as_it_is_published() -> None:
    store, _ = _store()
    waiting = asyncio.ensure_future(store.wait_for(lambda s: s.state is State.ERROR, timeout=5))
    store.publish(Status(State.STARTING))
    store.publish(Status(State.ERROR, pid=7))
    assert (await waiting).pid == 7
    assert (await store.wait_for(lambda s: s.state is State.ERROR, timeout=0.01)).pid == 7  # already so
    with pytest.raises(TimeoutError, match="last: Status"):
        await store.wait_for(lambda s: s.state is State.RUNNING, timeout=0.05)
