"""One llm-link process: spawned by us or adopted from an earlier run, and how it ended.

A spawned child runs in its own session (so a stop reaches everything it started) and its exit is seen at
once through asyncio's child watcher. Its output goes through a pipe of our own (see `pipe`): reading it
never decides when the child has exited, so a wedged or blocked reader cannot hide a crash. An adopted
process is watched through a pidfd on Linux, a short psutil poll elsewhere. Either way the result is an
`Exit`, which says whether the stop was ours: a stop we asked for is never a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import psutil

from app.supervisor.contract import LaunchPlan
from app.supervisor.output_log import OutputLog
from app.supervisor.pipe import PipeReader, open_pipe

log = logging.getLogger("llm_link_tray.supervisor.process")

STOP_GRACE: Final = 5.0
PORT_FREE_TIMEOUT: Final = 5.0
ADOPTED_POLL_INTERVAL: Final = 0.05


@dataclass(frozen=True)
class Exit:
    """How a process ended. `returncode` is None for an adopted process (not our child)."""

    pid: int
    returncode: int | None
    requested: bool
    last_lines: tuple[str, ...] = ()

    @property
    def signal(self) -> int | None:
        return -self.returncode if self.returncode is not None and self.returncode < 0 else None

    def describe(self) -> str:
        if self.signal is not None:
            return f"killed by {signal.Signals(self.signal).name}"
        if self.returncode is None:
            return "exited (exit status unknown: not our child)"
        return f"exited with code {self.returncode}"


class LlmLinkProcess:
    """A running llm-link; `exited` resolves with its `Exit` whenever it ends."""

    def __init__(self, pid: int, create_time: float, output: OutputLog | None) -> None:
        self.pid = pid
        self.create_time = create_time
        self.output = output
        self.exited: asyncio.Future[Exit] = asyncio.get_running_loop().create_future()
        self._stop_requested = False
        self._watcher: asyncio.Task[None] | None = None  # the exit watch of a child, the poll of an adopted one
        self._pidfd: int | None = None
        self._reader: PipeReader | None = None  # a child's output

    @property
    def running(self) -> bool:
        return not self.exited.done()

    @property
    def returncode(self) -> int | None:
        """Its exit status once it has ended (as asyncio's Process says it); None while it runs, and always
        for an adopted process, which is not our child."""
        return self.exited.result().returncode if self.exited.done() else None

    async def stop(self, grace: float = STOP_GRACE) -> Exit:
        """SIGTERM to the process group, SIGKILL after `grace` seconds; returns once it is gone."""
        if self.exited.done():
            return self.exited.result()
        self._stop_requested = True
        self._signal(signal.SIGCONT)  # a stopped process cannot act on SIGTERM
        self._signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(asyncio.shield(self.exited), grace)
        except TimeoutError:
            log.warning("llm-link %d ignored SIGTERM for %.1fs: SIGKILL", self.pid, grace)
            self._signal(signal.SIGKILL)
            return await self.exited

    async def detach(self) -> None:
        """Stop watching but leave the process running (the user keeps llm-link after quitting)."""
        if self._pidfd is not None:
            asyncio.get_running_loop().remove_reader(self._pidfd)
            os.close(self._pidfd)
            self._pidfd = None
        if self._watcher is not None:
            self._watcher.cancel()
            await asyncio.gather(self._watcher, return_exceptions=True)
        if self._reader is not None:
            # What quitting the tray does anyway: llm-link's later output has nowhere to go.
            self._reader.close()

    def _signal(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            # Our children lead their own process group; an adopted one too, if we started it.
            if os.getpgid(self.pid) == self.pid:
                os.killpg(self.pid, sig)
            else:
                os.kill(self.pid, sig)

    def _finish(self, returncode: int | None) -> None:
        if self.exited.done():
            return
        tail = self.output.tail() if self.output else ()
        outcome = Exit(self.pid, returncode, self._stop_requested, tail)
        if self.output:
            self.output.note(
                f"llm-link (pid {self.pid}) {outcome.describe()}{' on request' if outcome.requested else ''}"
            )
        log.info("llm-link %d %s%s", self.pid, outcome.describe(), " (requested)" if outcome.requested else "")
        self.exited.set_result(outcome)


async def spawn(
    binary: Path, plan: LaunchPlan, output: OutputLog, on_line: Callable[[int, str], None] | None = None
) -> LlmLinkProcess:
    """Start llm-link per `plan`; its output streams into `output` until it exits, each line also to
    `on_line(pid, line)`."""
    read_end, write_end = open_pipe()
    try:
        proc = await asyncio.create_subprocess_exec(
            str(binary),
            *plan.argv,
            env=dict(plan.env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=write_end,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
    except BaseException:
        os.close(read_end)
        raise
    finally:
        os.close(write_end)  # the child has its copy; ours would keep the pipe from ever ending
    try:
        create_time = psutil.Process(proc.pid).create_time()
    except psutil.Error:
        create_time = time.time()  # it is already gone; the exit below says so
    child = LlmLinkProcess(proc.pid, create_time, output)
    output.note(f"started {binary.name} (pid {proc.pid}) {' '.join(_masked_argv(plan.argv))}")
    stream = output.stream(_bound(on_line, proc.pid))
    reader = child._reader = PipeReader(read_end, stream.feed)

    async def watch_exit() -> None:
        # asyncio manages none of this child's pipes, so wait() returns at its exit, whatever the pipe does.
        returncode = await proc.wait()
        try:
            # Everything it wrote is in the pipe by now: take it, so the exit carries its last words.
            reader.drain()
            stream.finish()
        finally:
            reader.close()
            child._finish(returncode)  # whatever became of the output, the exit is reported

    child._watcher = asyncio.create_task(watch_exit(), name=f"llm-link-{proc.pid}")
    return child


def adopt(
    pid: int,
    create_time: float,
    output: OutputLog | None = None,
    on_line: Callable[[int, str], None] | None = None,
) -> LlmLinkProcess:
    """Watch a llm-link we did not spawn in this run. The caller has checked its identity. With `output`, its
    output is read again from its stdout pipe (see `reopen_output`)."""
    child = LlmLinkProcess(pid, create_time, None)
    loop = asyncio.get_running_loop()
    if output is not None:
        fd = reopen_output(pid)
        if fd is not None:
            stream = output.stream(_bound(on_line, pid))
            child._reader = PipeReader(fd, stream.feed)
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        child._watcher = loop.create_task(_poll_until_gone(child))
        return child

    def on_exit() -> None:
        if child._pidfd is not None:
            loop.remove_reader(child._pidfd)
            os.close(child._pidfd)
            child._pidfd = None
        child._finish(None)

    # A pidfd becomes readable the moment the process exits: no polling, no delay.
    child._pidfd = pidfd
    loop.add_reader(pidfd, on_exit)
    return child


async def _poll_until_gone(child: LlmLinkProcess) -> None:
    while True:
        try:
            proc = psutil.Process(child.pid)
            if proc.status() == psutil.STATUS_ZOMBIE or proc.create_time() != child.create_time:
                break
        except psutil.NoSuchProcess:
            break
        await asyncio.sleep(ADOPTED_POLL_INTERVAL)
    child._finish(None)


async def wait_port_free(host: str, port: int, timeout: float = PORT_FREE_TIMEOUT) -> bool:
    """True once nothing accepts connections on host:port (polled; the kernel offers no event)."""
    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        if not port_open(host, port):
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.2)


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.settimeout(timeout)
        return sock.connect_ex((host, port)) == 0


def reopen_output(pid: int) -> int | None:
    """A read end of the stdout pipe of `pid`, which a tray that has gone away spawned it with.

    The pipe outlives its reader: llm-link keeps its write end, and its writes fail (EPIPE; Rust ignores
    SIGPIPE) while nobody reads. Opening /proc/PID/fd/1 for reading gives a new read end of that same pipe
    (Linux reopens the pipe object, not a copy), so an adopted llm-link's output, and its config-change lines
    the tamper watch needs, reach the new tray. None where it is not a pipe, or not ours to open."""
    try:
        fd = os.open(f"/proc/{pid}/fd/1", os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    if not stat.S_ISFIFO(os.fstat(fd).st_mode):
        os.close(fd)  # a file or a terminal: someone else started it, or with other plans for its output
        return None
    return fd


def _bound(on_line: Callable[[int, str], None] | None, pid: int) -> Callable[[str], None] | None:
    return None if on_line is None else lambda line: on_line(pid, line)


def _masked_argv(argv: tuple[str, ...]) -> list[str]:
    masked, hide_next = [], False
    for arg in argv:
        flag, equals, _value = arg.partition("=")
        if equals and flag in _KEY_FLAGS:
            masked.append(f"{flag}=***")
        else:
            masked.append("***" if hide_next else arg)
        hide_next = arg in _KEY_FLAGS
    return masked


_KEY_FLAGS: Final = ("--api-key", "--auth-key", "--llm-api-key")
