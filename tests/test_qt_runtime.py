"""The installed PySide6 must not leak references to None: this decides the pin in pyproject.toml.

PySide6-Essentials 6.12.0 under CPython 3.11 drops one reference to None per void Qt setter and on qasync's
timer path; the tray then aborted with "none_dealloc" after ~20 idle minutes, and at interpreter exit. The
probe runs in a fresh interpreter so that an abort shows as an exit status instead of killing the test run.
Before raising the pin, run this file against the candidate version.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROBE = Path(__file__).with_name("qt_refcount_probe.py")
# Noise from objects that happen to hold None at the moment of reading; the 6.12.0 leak is -1000 per 1000.
TOLERANCE = 20


def run_probe() -> tuple[subprocess.CompletedProcess[str], dict[str, object]]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, str(PROBE)], capture_output=True, text=True, env=env, timeout=120)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, f"the probe printed no result (exit {done.returncode}): {done.stderr[-2000:]}"
    return done, json.loads(lines[-1])


def test_qt_setters_and_qasync_timers_keep_none_alive() -> None:
    done, result = run_probe()
    assert isinstance(result["setters_delta"], int) and isinstance(result["qasync_sleep_delta"], int)
    assert result["setters_delta"] >= -TOLERANCE, (
        f"PySide6 {result['pyside6']} loses {-result['setters_delta']} references to None in "
        f"{3 * int(result['calls'])} Qt setter calls: a long-running tray will abort (none_dealloc)"
    )
    assert result["qasync_sleep_delta"] >= -TOLERANCE, (
        f"PySide6 {result['pyside6']} with qasync loses {-result['qasync_sleep_delta']} references to None in "
        f"{result['calls']} zero-delay asyncio sleeps: an idle tray will abort (none_dealloc)"
    )
    # And the interpreter's own teardown, which os._exit used to skip, ends cleanly.
    assert done.returncode == 0, f"the probe exited {done.returncode}: {done.stderr[-2000:]}"
