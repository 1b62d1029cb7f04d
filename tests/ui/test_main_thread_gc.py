"""Cyclic garbage, Qt objects included, is collected on the GUI thread only (app/ui/main_thread_gc.py).

The cause this guards against: CPython collects in whichever thread allocates past the threshold, so a Qt
object in a reference cycle could be destroyed in a worker thread, which Qt does not allow.
"""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication

from app.ui.main_thread_gc import MainThreadGc, collect_due


class Cyclic(QObject):
    """A Qt object kept alive only by a reference cycle, as qasync's timer object is after its loop closes."""

    def __init__(self, finalized_in: list[str], on_finalized: Callable[[], object] = lambda: None) -> None:
        super().__init__()
        self.me = self
        self.finalized_in = finalized_in
        self.on_finalized = on_finalized

    def __del__(self) -> None:
        self.finalized_in.append(threading.current_thread().name)
        self.on_finalized()


def allocate_in_a_worker(count: int) -> list[list[int]]:
    """What a keyring thread or an upstream stand-in's request thread does: allocate a lot. The objects are
    returned, kept alive, so the allocation count stays past the collector's threshold until collected."""
    kept: list[list[int]] = []

    def work() -> None:
        kept.extend([i] for i in range(count))

    worker = threading.Thread(target=work, name="worker")
    worker.start()
    worker.join()
    return kept


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


@pytest.fixture
def automatic_gc() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_without_the_guard_a_worker_thread_destroys_qt_objects(qapp: QApplication, automatic_gc: None) -> None:
    """The cause itself, shown: this is what the guard exists for."""
    finalized_in: list[str] = []
    gc.collect()
    Cyclic(finalized_in)
    allocate_in_a_worker(50_000)  # well past the 700-allocation threshold: the worker runs the collector
    assert finalized_in == ["worker"]


async def test_with_the_guard_only_the_gui_thread_collects(qapp: QApplication) -> None:
    runs: list[str] = []

    def note(phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            runs.append(threading.current_thread().name)

    loop = asyncio.get_running_loop()
    freed: asyncio.Future[None] = loop.create_future()
    finalized_in: list[str] = []
    collector = MainThreadGc(interval_ms=20)
    gc.callbacks.append(note)
    try:
        Cyclic(finalized_in, on_finalized=lambda: loop.call_soon_threadsafe(_settle, freed))
        kept = allocate_in_a_worker(50_000)
        assert finalized_in == [] and "worker" not in runs  # the worker allocated, but did not collect
        await asyncio.wait_for(freed, 5)  # the GUI thread's timer collects it
        del kept
    finally:
        gc.callbacks.remove(note)
        collector.uninstall()
    assert finalized_in == [threading.current_thread().name]
    assert runs and set(runs) == {threading.current_thread().name}


def test_collect_due_follows_cpythons_own_thresholds() -> None:
    was = gc.isenabled()
    gc.disable()
    try:
        gc.collect()
        assert collect_due() == -1  # nothing allocated since: nothing due
        junk = [[i] for i in range(gc.get_threshold()[0] * 2)]
        assert collect_due() == 0
        del junk
    finally:
        if was:
            gc.enable()
