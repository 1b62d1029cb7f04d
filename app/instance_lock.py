"""The one-tray-per-config-dir lock: an exclusive OS lock on a file, held for the tray's whole life.

The kernel releases it when the process ends, however it ends (quit, crash, SIGKILL), so there is no stale
lock to detect. The file itself stays: unlinking a lock file lets two processes lock two different inodes.
Its content (our pid) is only for messages. The descriptor is not inherited (PEP 446, and O_CLOEXEC), so an
llm-link we started, which may outlive us, never holds the lock.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from types import TracebackType
from typing import Self

if sys.platform == "win32":
    import msvcrt
else:
    import fcntl


class InstanceLock:
    def __init__(self, fd: int, path: Path) -> None:
        self._fd: int | None = fd
        self.path = path

    @classmethod
    def try_acquire(cls, path: Path) -> InstanceLock | None:
        """Take the lock without waiting; None when another process holds it."""
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(path, flags, 0o600)
        try:
            if sys.platform == "win32":
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            else:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # BlockingIOError (flock) / PermissionError (msvcrt): held by another process
            os.close(fd)
            return None
        with contextlib.suppress(OSError):  # the pid is informative only
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        return cls(fd, path)

    @staticmethod
    def holder(path: Path) -> int | None:
        """The pid written by the current (or last) holder, for messages."""
        try:
            return int(path.read_text().strip())
        except (OSError, ValueError):
            return None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the only descriptor releases flock and msvcrt locks alike
            self._fd = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
