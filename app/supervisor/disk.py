"""Whether a folder can take our files now: checked before llm-link is spawned, never after.

A PID file that cannot be written after the spawn means a llm-link nobody can adopt (the next launch
reports PORT_IN_USE against it), so the state and log folders are tried first, for real: a probe file is
created, written, fsynced and removed. That catches a read-only mount and a full disk alike (a permission
check would not: root may write where the bits say no, and no check sees free space).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Final

from app.errors import AppError, ErrorCode

# One block: the PID file needs that much, and a disk with less free is full for every practical purpose.
PROBE_BYTES: Final = 4096


def unwritable_reason(folder: Path) -> str | None:
    """Why files cannot be written in `folder` now (created if missing), or None when they can."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".write-probe-")
        try:
            os.write(fd, b"\0" * PROBE_BYTES)
            os.fsync(fd)  # a delayed-allocation file system reports a full disk here, not at write()
        finally:
            os.close(fd)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(probe)
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def folder_unusable(folder: Path, what: str, reason: str) -> AppError:
    return AppError(
        ErrorCode.STATE_DIR_UNUSABLE,
        f"cannot write to the {what} folder {folder}: {reason}",
        f"Free some disk space in {folder} or make it writable, then Start.",
    )


def check_folders(folders: dict[str, Path]) -> AppError | None:
    """The first of `folders` ({what: path}) that cannot take files, as the error a user sees."""
    for what, folder in folders.items():
        reason = unwritable_reason(folder)
        if reason is not None:
            return folder_unusable(folder, what, reason)
    return None
