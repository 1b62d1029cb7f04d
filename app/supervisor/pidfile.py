"""The PID file: which llm-link we started, so a restarted tray adopts it instead of starting a second one.

A pid alone is not an identity (pids are reused), so the record also holds the process's create time, its
binary and port; a process that does not match all of them is never adopted and never signalled.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

from app.supervisor.probe import Identity

log = logging.getLogger("llm_link_tray.supervisor.pidfile")


@dataclass(frozen=True)
class PidRecord:
    pid: int
    create_time: float
    binary: str
    port: int
    # Hash of provider/model/base URL/app mode: tells whether the adopted process runs the wanted config.
    fingerprint: str

    @property
    def identity(self) -> Identity:
        return Identity(self.pid, self.create_time)


def write(path: Path, record: PidRecord) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".pid-")
    with os.fdopen(fd, "w") as handle:
        json.dump(asdict(record), handle)
    os.replace(tmp, path)


def read(path: Path) -> PidRecord | None:
    try:
        data = json.loads(path.read_text())
        return PidRecord(
            int(data["pid"]),
            float(data["create_time"]),
            str(data["binary"]),
            int(data["port"]),
            str(data["fingerprint"]),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("ignoring unreadable PID file %s: %s", path, exc)
        return None


def remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def is_ours(record: PidRecord) -> bool:
    """The recorded process is alive and still the llm-link we started (same start time, binary, port)."""
    try:
        proc = psutil.Process(record.pid)
        if abs(proc.create_time() - record.create_time) >= 0.5 or proc.status() == psutil.STATUS_ZOMBIE:
            return False
        cmdline = proc.cmdline()
    except psutil.Error:
        return False
    if not cmdline or cmdline[0] != record.binary:
        return False
    return any(a == "--port" and b == str(record.port) for a, b in itertools.pairwise(cmdline))
