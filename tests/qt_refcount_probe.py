"""Does the installed PySide6 drop references to None? Run by tests/test_qt_runtime.py, or by hand before
changing the PySide6 pin: `python tests/qt_refcount_probe.py` prints one JSON line.

PySide6-Essentials 6.12.0 under CPython 3.11 loses one reference to None on every void Qt setter and on
qasync's timer path; CPython aborts ("Fatal Python error: none_dealloc") once None's count reaches zero, which
killed an idle tray after about 20 minutes. On CPython >= 3.12 None is immortal and the count never moves.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

CALLS = 1000


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import qasync
    from PySide6 import __version__ as pyside_version
    from PySide6.QtWidgets import QApplication, QMenu

    app = QApplication([])
    menu = QMenu()
    action = menu.addAction("probe")
    action.setCheckable(True)

    before = sys.getrefcount(None)
    for i in range(CALLS):
        action.setEnabled(bool(i % 2))
    for i in range(CALLS):
        action.setChecked(bool(i % 2))
    for i in range(CALLS):
        action.setText(f"probe {i % 2}")
    setters = sys.getrefcount(None) - before

    async def sleeps() -> int:
        start = sys.getrefcount(None)
        for _ in range(CALLS):
            await asyncio.sleep(0)  # noqa: sleep-ok - the timer path under test, not a wait
        return sys.getrefcount(None) - start

    timer_path = qasync.run(sleeps())
    print(
        json.dumps(
            {
                "pyside6": pyside_version,
                "python": sys.version.split()[0],
                "calls": CALLS,
                "setters_delta": setters,
                "qasync_sleep_delta": timer_path,
            }
        ),
        flush=True,
    )
    del action, menu, app
    # Leave through the interpreter's ordinary teardown: a leaky PySide6 aborts there too.


if __name__ == "__main__":
    main()
