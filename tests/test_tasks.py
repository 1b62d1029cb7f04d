"""Background work started from a click or a notification: it runs to the end, and a failure is said once."""

from __future__ import annotations

import asyncio
import gc
import logging
import weakref

import pytest

from app.tasks import BackgroundTasks


async def test_a_spawned_task_nobody_holds_still_runs_to_the_end() -> None:
    """asyncio holds tasks weakly: a task waiting on a future only it knows is garbage to the collector."""
    tasks = BackgroundTasks()
    loop = asyncio.get_running_loop()
    waiting: list[weakref.ref[asyncio.Future[None]]] = []
    finished: asyncio.Future[str] = loop.create_future()

    async def work() -> None:
        inner: asyncio.Future[None] = loop.create_future()
        waiting.append(weakref.ref(inner))
        await inner
        finished.set_result("done")

    tasks.spawn(work(), name="work")  # the returned task is dropped on purpose
    await asyncio.sleep(0)  # noqa: sleep-ok - one loop turn so the task starts; not a wait on time
    gc.collect()
    inner = waiting[0]()
    assert inner is not None, "the task was garbage-collected while it waited"
    inner.set_result(None)
    assert await asyncio.wait_for(finished, 5) == "done"
    await asyncio.sleep(0)  # noqa: sleep-ok - one loop turn so the done callback runs; not a wait on time
    assert len(tasks) == 0


async def test_a_failure_is_logged_once_with_its_cause_and_the_tasks_name(caplog: pytest.LogCaptureFixture) -> None:
    tasks = BackgroundTasks("tray")

    async def broken() -> None:
        raise RuntimeError("the cause")

    task = tasks.spawn(broken(), name="switch to zhipu")
    await asyncio.wait({task})
    del task
    gc.collect()  # asyncio's own "exception was never retrieved" would come now, if it were not retrieved
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(failures) == 1, [r.getMessage() for r in failures]
    message = failures[0].getMessage()
    assert "tray" in message and "switch to zhipu" in message and "the cause" in message
    assert failures[0].exc_info is not None


async def test_cancel_all_ends_every_running_task_and_waits_for_it(caplog: pytest.LogCaptureFixture) -> None:
    tasks = BackgroundTasks()
    cleaned: list[int] = []

    async def long(i: int) -> None:
        try:
            await asyncio.Event().wait()
        finally:
            cleaned.append(i)

    for i in range(3):
        tasks.spawn(long(i))
    await asyncio.sleep(0)  # noqa: sleep-ok - one loop turn so the tasks start; not a wait on time
    await tasks.cancel_all()
    assert sorted(cleaned) == [0, 1, 2]
    assert len(tasks) == 0
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # a cancel is no failure
