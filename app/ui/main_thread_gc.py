"""Garbage collection on the GUI thread only.

Why: CPython's cyclic collector runs in whichever thread happens to allocate past its threshold. In the tray
those are, besides the GUI thread, the keyring's worker threads, asyncio's child-watcher threads, qasync's
executor threads and (in tests) the upstream stand-in's request threads: measured, 15 of 507 collections of
one test run ran there. A Qt object that sits in a reference cycle (qasync's per-loop timer object with its
pending callbacks, a dropped dialog) is then destroyed in that thread. Qt requires a QObject to be destroyed
in the thread it lives in: its destructor unregisters timers and socket notifiers from the GUI thread's
event dispatcher, and doing that from another thread races the GUI thread, which crashes later inside event
processing. That is the segfault the test suite showed (in `QEventLoop.run_forever`, 4 of 6 whole-suite runs
under load, with a worker thread alive each time).

So automatic collection is switched off, and a timer on the GUI thread runs the collector whenever the
allocation counts say it would have run by itself (the generation thresholds stay CPython's own).
"""

from __future__ import annotations

import gc
import logging
from typing import Final

from PySide6.QtCore import QObject, QTimer

log = logging.getLogger("llm_link_tray.ui.gc")

CHECK_INTERVAL_MS: Final = 1000


def collect_due() -> int:
    """Run the collection CPython's own thresholds call for now, here; the generation collected, or -1."""
    counts, thresholds = gc.get_count(), gc.get_threshold()
    generation = -1
    for gen in range(3):
        if counts[gen] > thresholds[gen]:
            generation = gen
        else:
            break
    if generation >= 0:
        gc.collect(generation)
    return generation


class MainThreadGc(QObject):
    """While installed, cyclic garbage is collected only on the thread that created this object."""

    def __init__(self, interval_ms: int = CHECK_INTERVAL_MS) -> None:
        super().__init__()
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(collect_due)
        self._timer.start()

    def uninstall(self) -> None:
        """Back to automatic collection (the GUI is gone or about to be)."""
        self._timer.stop()
        gc.collect()
        if self._was_enabled:
            gc.enable()
