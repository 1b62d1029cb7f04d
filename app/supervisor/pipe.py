"""A child's output pipe that we own, read in bounded chunks and never tied to the child's exit.

Why not asyncio's own subprocess pipes: its StreamReader gives up on a line over 64 KiB (the reader stops,
the pipe fills and the child blocks on its next write), and `Process.wait()` only returns once every pipe
it manages has reached EOF, so a grandchild holding the pipe keeps a dead child "running". With our own
pipe, asyncio watches only the exit, and this reader only moves bytes.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from typing import Final

log = logging.getLogger("llm_link_tray.supervisor.pipe")

CHUNK: Final = 65536
# After the writer exited, what is left is at most the pipe's buffer (64 KiB by default, 1 MiB at most);
# a grandchild still writing must not keep us reading for ever.
DRAIN_LIMIT: Final = 1 << 20


def open_pipe() -> tuple[int, int]:
    """(read end, write end), both close-on-exec: the child gets the write end as its stdout only."""
    return os.pipe()


class PipeReader:
    """Hands every chunk read from `fd` to `on_data` as soon as it arrives; `close()` ends it."""

    def __init__(self, fd: int, on_data: Callable[[bytes], None]) -> None:
        self._fd: int | None = fd
        self._on_data = on_data
        self._loop = asyncio.get_running_loop()
        os.set_blocking(fd, False)
        self._loop.add_reader(fd, self._read_once)

    @property
    def closed(self) -> bool:
        return self._fd is None

    def drain(self) -> None:
        """Read what is in the pipe right now without waiting for more (the writer has exited)."""
        taken = 0
        while taken < DRAIN_LIMIT:
            got = self._read_once()
            if got == 0:
                return
            taken += got

    def close(self) -> None:
        if self._fd is None:
            return
        self._loop.remove_reader(self._fd)
        os.close(self._fd)
        self._fd = None

    def _read_once(self) -> int:
        """One bounded read; the byte count, 0 when nothing is there now or the pipe has ended."""
        if self._fd is None:
            return 0
        try:
            data = os.read(self._fd, CHUNK)
        except BlockingIOError:
            return 0
        except OSError as exc:  # not expected from a pipe; end reading rather than spin on the error
            log.warning("reading a child's output failed: %s", exc)
            self.close()
            return 0
        if not data:  # EOF: every writer has closed its end
            self.close()
            return 0
        self._on_data(data)
        return len(data)
