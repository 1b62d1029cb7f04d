"""The PID file: which llm-link we started, so a restarted tray adopts it instead of starting a second one.

A pid alone is not an identity (pids are reused), so the record also holds the process's create time and its
binary; a process whose start time or executable differs is never adopted and never signalled. The executable
is what the kernel says the process runs (`/proc/PID/exe`), never its argv: any process can claim any argv
(`exec -a`, a script), but not which file it was started from.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final

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
    # The same without the model, for settings that leave the model to llm-link ("" in older PID files).
    fingerprint_without_model: str = ""
    # The throwaway access key llm-link was started with behind the gateway ("" when none): a later tray that
    # adopts it must tell a new gateway what to send. The file is 0600 (mkstemp).
    auth: str = ""

    @property
    def identity(self) -> Identity:
        return Identity(self.pid, self.create_time)


def write(path: Path, record: PidRecord) -> None:
    """Atomically, and durably: a full disk surfaces here as OSError (fsync), never as an empty file later.
    A failed write leaves no temporary file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".pid-")
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(asdict(record), handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def rewrite(path: Path, record: PidRecord) -> None:
    """Update the record of a process that keeps running (a hot switch changed its config). Never raises: the
    old record still identifies it (pid, start time, binary); only its config fingerprint is out of date."""
    try:
        write(path, record)
    except OSError as exc:
        log.warning("could not update the PID file %s: %s", path, exc)


def read(path: Path) -> PidRecord | None:
    try:
        data = json.loads(path.read_text())
        return PidRecord(
            int(data["pid"]),
            float(data["create_time"]),
            str(data["binary"]),
            int(data["port"]),
            str(data["fingerprint"]),
            str(data.get("fingerprint_without_model", "")),
            str(data.get("auth", "")),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("ignoring unreadable PID file %s: %s", path, exc)
        return None


def remove(path: Path) -> None:
    """Never raises. A file that cannot be removed (a state dir remounted read-only answers EROFS even when the
    file is absent) must not break a stop or a crash's handling; a stale record left behind is harmless, since
    adoption checks the recorded pid's start time and executable (`is_ours`) before trusting it."""
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.warning("could not remove the PID file %s: %s", path, exc)


def adoptable(path: Path) -> PidRecord | None:
    """The record of the llm-link a PID file names, if that process is still ours; a stale file is removed."""
    record = read(path)
    if record is None:
        return None
    if not is_ours(record):
        log.info("PID file names pid %d, which is not our llm-link any more: ignoring it", record.pid)
        remove(path)
        return None
    return record


# What Linux appends to /proc/PID/exe once the file the process runs has been deleted or replaced.
DELETED: Final = " (deleted)"


def is_ours(record: PidRecord) -> bool:
    """The recorded process is alive and still the llm-link we started: same start time, same executable."""
    try:
        proc = psutil.Process(record.pid)
        if abs(proc.create_time() - record.create_time) >= 0.5 or proc.status() == psutil.STATUS_ZOMBIE:
            return False
        exe = _executable(proc)
    except psutil.Error:
        return False
    # The kernel names the file with symlinks resolved; the record holds the path we ran it by.
    ours = {record.binary, os.path.realpath(record.binary)}
    if exe in ours:
        return True
    if exe.endswith(DELETED) and exe.removesuffix(DELETED) in ours:
        # The file it was started from has been replaced since (an upgrade: `cargo install` renames a new
        # binary over the old one). Still ours: our own record names this pid and start time, and the kernel
        # says it was started from our binary's path, which only someone able to write our binary could
        # arrange. Adopted as is; it runs the old version until the next restart.
        log.info("llm-link %d runs %s, replaced since it started (an upgrade?): adopting it", record.pid, exe)
        return True
    log.info("pid %d runs %s, not %s: not our llm-link", record.pid, exe or "no executable", record.binary)
    return False


def _executable(proc: psutil.Process) -> str:
    """The file `proc` was started from, as the kernel names it.

    Read from /proc directly: psutil's `exe()` silently drops the " (deleted)" of a replaced binary, which
    `is_ours` handles explicitly. Raises psutil.Error when the process is gone or not ours to inspect.
    """
    try:
        # Everything after a NUL is garbage on some kernels (psutil issue 717).
        return os.readlink(f"/proc/{proc.pid}/exe").split("\x00")[0]
    except PermissionError:
        raise psutil.AccessDenied(proc.pid) from None  # another user's process: never ours
    except FileNotFoundError:
        # No procfs (macOS), a kernel thread, or the process has just gone: psutil tells which.
        return str(proc.exe())
