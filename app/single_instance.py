"""One tray per user and config dir: a later launch hands its command to the running tray and exits.

Who is the tray is decided by `InstanceLock` alone, taken before Qt or the controller exist. The winner then
binds a Unix socket in the same private runtime folder; a loser talks to it with a plain socket, no Qt
imported, so `llm-link-tray status` stays a short-lived process. One JSON line each way:
`{"command": "switch", "args": ["zhipu", "glm-4-air"]}` → `{"ok": true, "message": "…", "status": {…},
"exit_code": 0}`.

Plain asyncio, no Qt: the tray serves it on its qasync loop. POSIX only, like the supervisor's process groups:
CPython on Windows has no AF_UNIX (the lock itself would work there, through msvcrt).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from app.instance_lock import InstanceLock
from app.runtime_dir import InstanceFiles

if TYPE_CHECKING:
    # Imported where the server starts: asyncio alone is ~40% of a `status` launch's import time.
    import asyncio

log = logging.getLogger("llm_link_tray.single_instance")

# A request is `{"command": str, "args": [str, …]}`: short and two levels deep. Anything far bigger or deeper
# is not ours; the caps keep it from costing memory or, nested 100,000 deep, a RecursionError in json.loads.
MAX_LINE: Final = 64 * 1024
MAX_DEPTH: Final = 8
CONNECT_TIMEOUT: Final = 1.0
# A forwarded switch runs the whole restart protocol, rollback included: give it time.
REPLY_TIMEOUT: Final = 90.0
# How long a launch waits for a lock holder that has no socket yet (starting) or any more (quitting: stopping
# llm-link takes up to its 5 s grace plus 5 s for the port to free).
HOLDER_WAIT: Final = 20.0
MALFORMED: Final[dict[str, Any]] = {"ok": False, "message": "malformed request", "exit_code": 2}
NO_ANSWER: Final[dict[str, Any]] = {"ok": False, "message": "the running llm-link-tray did not answer", "exit_code": 1}

Handler = Callable[[str, list[str]], Awaitable[dict[str, Any]]]


def send_command(
    path: Path, command: str, args: list[str] | None = None, timeout: float = REPLY_TIMEOUT
) -> dict[str, Any] | None:
    """Send to the running tray and wait for its answer; None when nothing listens at `path`."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(CONNECT_TIMEOUT)
        try:
            sock.connect(os.fspath(path))
        except (FileNotFoundError, ConnectionRefusedError):
            return None  # no socket, or one left by a tray that died
        except TimeoutError:
            return NO_ANSWER  # a tray whose backlog stays full is wedged
        sock.settimeout(timeout)
        data = bytearray()
        try:
            sock.sendall((json.dumps({"command": command, "args": args or []}) + "\n").encode())
            while not data.endswith(b"\n") and len(data) <= MAX_LINE * 16:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        except (TimeoutError, ConnectionError):  # a wedged or vanished tray: said below
            pass
    try:
        reply = json.loads(data) if data.strip() else None
    except ValueError:
        reply = None
    return reply if isinstance(reply, dict) else NO_ANSWER


def hand_over_or_claim(
    files: InstanceFiles, command: str, args: list[str], wait: float = HOLDER_WAIT
) -> dict[str, Any] | InstanceLock:
    """The running tray's answer to `command`, or the lock when no tray runs (this launch may become it).

    Between taking the lock and binding its socket a starting tray has no socket for a moment, and a quitting
    one has closed it while it stops llm-link: then we retry until the socket answers or the lock is free.
    The kernel offers no portable event for "a socket appeared", so this polls, with backoff and a deadline.
    """
    deadline = time.monotonic() + wait
    delay = 0.005
    while True:
        reply = send_command(files.socket, command, args)
        if reply is not None:
            return reply
        lock = InstanceLock.try_acquire(files.lock)
        if lock is not None:
            return lock
        if time.monotonic() >= deadline:
            holder = InstanceLock.holder(files.lock)
            return {
                "ok": False,
                "message": f"another llm-link-tray (pid {holder}) holds {files.lock} but does not answer on "
                f"{files.socket}",
                "exit_code": 1,
            }
        time.sleep(delay)  # backoff of the bounded poll described above
        delay = min(delay * 2, 0.1)


def listen(path: Path) -> socket.socket:
    """Bind the command socket. Only the lock holder calls this, so a file already there is a dead tray's."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(os.fspath(path))
        # Launches that connect before the tray serves wait in the backlog and are answered once it does.
        sock.listen(socket.SOMAXCONN)
    except OSError:
        sock.close()
        raise
    return sock


def parse_request(line: bytes) -> tuple[str, list[str]] | None:
    """(command, args) from one request line, or None when it is not a well-formed request."""
    if len(line) > MAX_LINE:
        return None
    try:
        text = line.decode()
    except UnicodeDecodeError:
        return None
    if _nesting_exceeds(text, MAX_DEPTH):
        return None  # checked before json.loads, which recurses once per level
    try:
        request = json.loads(text)
    except ValueError:
        return None
    if not isinstance(request, dict):
        return None
    command, args = request.get("command"), request.get("args", [])
    if not isinstance(command, str) or not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        return None
    return command, args


def _nesting_exceeds(text: str, limit: int) -> bool:
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


class CommandServer:
    """Answers commands from later launches through `handler`: one request line per connection."""

    def __init__(self, path: Path, handler: Handler) -> None:
        self.path = path
        self._handler = handler
        self._server: asyncio.AbstractServer | None = None

    @classmethod
    async def start(cls, listener: socket.socket, handler: Handler) -> CommandServer:
        """Serve on the socket `listen` bound (connections made meanwhile are in its backlog)."""
        import asyncio

        server = cls(Path(listener.getsockname()), handler)
        server._server = await asyncio.start_unix_server(server._answer, sock=listener, limit=MAX_LINE)
        return server

    def close(self) -> None:
        """Stop accepting; the socket file goes too (we hold the lock, so it is ours)."""
        if self._server is not None:
            self._server.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            try:
                line = await reader.readline()
            except ValueError:  # longer than MAX_LINE (asyncio's LimitOverrunError, re-raised as ValueError)
                request = None
            else:
                request = parse_request(line) if line.endswith(b"\n") else None
            if request is None:
                log.warning("malformed request on the command socket (too long, too deep or not a command)")
                reply = MALFORMED
            else:
                reply = await self._run(*request)
            writer.write((json.dumps(reply) + "\n").encode())
            await writer.drain()
        except ConnectionError:
            pass  # the launch gave up (timeout, Ctrl+C) before our answer: nobody left to tell
        finally:
            writer.close()

    async def _run(self, command: str, args: list[str]) -> dict[str, Any]:
        log.info("command from another launch: %s %s", command, " ".join(args))
        try:
            return await self._handler(command, args)
        except Exception as exc:  # the answer must go back whatever happened; the traceback goes to the log
            log.exception("command %s failed", command)
            return {"ok": False, "message": f"{command} failed: {type(exc).__name__}", "exit_code": 1}
