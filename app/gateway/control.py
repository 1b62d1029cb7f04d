"""The private control channel: a Unix socket (mode 0600) speaking JSON lines, one command per line.

Request:  {"cmd": "set_upstream", "id": 7, "port": 40123, "auth": "…", "label": "OpenAI", "drain_timeout": 60}
Answer:   {"id": 7, "ok": true, …fields…}   or   {"id": 7, "ok": false, "error": "why"}

Each line runs as its own task, so a `set_upstream` waiting for a drain does not hold up `stats`; answers
carry the request's `id` and may come out of order. Commands take effect in the order they were sent
(the flip itself happens before the first await).

    hello                      → token, pid, listen {host, port}, started, upstream {serving, port, label, …}
    set_upstream port [host="127.0.0.1"] [auth] [label] [drain_timeout=60]
                               new requests go to `port` at once; answered once the previous instance has no
                               request left, or after drain_timeout (what was left is cut: the editor sees a
                               broken stream, never a complete-looking one) → previous_port, in_flight_at_flip,
                               drained, cut, drain_seconds. `auth` replaces the editor's Authorization towards
                               llm-link; a new `label` (e.g. the provider's name) starts a fresh health window.
    clear_upstream [reason]    no llm-link serves: new requests wait up to --hold-seconds for a set_upstream,
                               then get 503 {"error": reason} → in_flight (those go on where they are)
    set_policy [allowed_origins=null (defaults)] [access_key=null (off)]   replaces the whole policy
    stats                      → clients [{client, requests, in_flight, errors, blocked, last_seen, ttfb_ms_last,
                               ttfb_ms_p50, per_minute[60]}], per_minute[60], health {label, recent_statuses,
                               recent, failed, last_failure {status, text, at}}, upstream, in_flight,
                               connections {open, accepted, upstream_opened}, policy
    shutdown [drain_timeout=5] → in_flight; then stops listening, lets requests finish, exits 0

Who may talk: the socket file is 0600 in the tray's private runtime folder, and each connection's peer
uid (SO_PEERCRED) must be ours; `hello` returns the token the process was started with, so a supervisor
that finds a gateway from an old PID file can tell it is the one it started (the exe is just python).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import os
import socket
import stat
import struct
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Final

from app.gateway.server import Gateway, log

LINE_LIMIT: Final = 1 << 20
MAX_DRAIN: Final = 600.0


class ControlError(Exception):
    """A command the gateway cannot take: its message is sent back as `error`."""


class ControlSocketBusy(Exception):
    """Another process is listening on the control socket path."""


def _number(args: dict[str, Any], name: str, default: float, low: float, high: float) -> float:
    value = args.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ControlError(f"{name} must be a number from {low:g} to {high:g}")
    return float(value)


def _text(args: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = args.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise ControlError(f"{name} must be a non-empty string")
    return value


def _loopback_host(value: object) -> str:
    if not isinstance(value, str):
        raise ControlError("host must be a string")
    try:
        if ipaddress.ip_address(value).is_loopback:
            return value
    except ValueError:
        pass
    raise ControlError(f"host {value!r} is not a loopback address: llm-link's private port stays on this machine")


async def _set_upstream(gw: Gateway, args: dict[str, Any]) -> dict[str, Any]:
    port = args.get("port")
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ControlError("port must be a whole number from 1 to 65535")
    if port == gw.port and args.get("host", "127.0.0.1") in ("127.0.0.1", gw.config.listen_host):
        raise ControlError(f"port {port} is the gateway's own: requests would loop")
    return await gw.set_upstream(
        _loopback_host(args.get("host", "127.0.0.1")),
        port,
        _text(args, "auth"),
        _text(args, "label"),
        _number(args, "drain_timeout", 60.0, 0.0, MAX_DRAIN),
    )


async def _clear_upstream(gw: Gateway, args: dict[str, Any]) -> dict[str, Any]:
    return gw.clear_upstream(_text(args, "reason") or gw.config.stopped_reason)


async def _set_policy(gw: Gateway, args: dict[str, Any]) -> dict[str, Any]:
    origins = args.get("allowed_origins")
    if origins is not None and (not isinstance(origins, list) or not all(isinstance(o, str) for o in origins)):
        raise ControlError("allowed_origins must be a list of strings, or null for the defaults")
    try:
        return gw.set_policy(origins, _text(args, "access_key"))
    except ValueError as exc:
        raise ControlError(str(exc)) from None


async def _shutdown(gw: Gateway, args: dict[str, Any]) -> dict[str, Any]:
    drain = _number(args, "drain_timeout", 5.0, 0.0, MAX_DRAIN)
    in_flight = gw.upstreams.in_flight()
    # Answered first, then the process winds down: the caller waits for its exit.
    asyncio.get_running_loop().call_soon(gw.request_shutdown, drain)
    return {"in_flight": in_flight}


async def _hello(gw: Gateway, args: dict[str, Any]) -> dict[str, Any]:
    return gw.hello()


async def _stats(gw: Gateway, args: dict[str, Any]) -> dict[str, Any]:
    return gw.stats()


_COMMANDS: Final[dict[str, Callable[[Gateway, dict[str, Any]], Awaitable[dict[str, Any]]]]] = {
    "hello": _hello,
    "set_upstream": _set_upstream,
    "clear_upstream": _clear_upstream,
    "set_policy": _set_policy,
    "stats": _stats,
    "shutdown": _shutdown,
}


async def run_command(gw: Gateway, line: bytes) -> dict[str, Any]:
    try:
        request = json.loads(line)
    except ValueError:
        return {"id": None, "ok": False, "error": "not a JSON line"}
    if not isinstance(request, dict):
        return {"id": None, "ok": False, "error": "a command is a JSON object"}
    ident = request.get("id")
    handler = _COMMANDS.get(request.get("cmd"))  # type: ignore[arg-type]
    if handler is None:
        return {"id": ident, "ok": False, "error": f"unknown cmd {request.get('cmd')!r}; known: {', '.join(_COMMANDS)}"}
    try:
        result = await handler(gw, request)
    except ControlError as exc:
        return {"id": ident, "ok": False, "error": str(exc)}
    return {"id": ident, "ok": True, **result}


class ControlServer:
    def __init__(self, gateway: Gateway, path: Path) -> None:
        self.gateway = gateway
        self.path = path
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()  # open control connections

    async def start(self) -> None:
        """Listen at `path` (mode 0600 from the first instant). Raises ControlSocketBusy or OSError."""
        _remove_stale(self.path)
        old_umask = os.umask(0o177)  # the socket is born 0600: no window in which others could connect
        try:
            self._server = await asyncio.start_unix_server(self._client, path=str(self.path), limit=LINE_LIMIT)
        finally:
            os.umask(old_umask)
        os.chmod(self.path, 0o600)

    async def close(self) -> None:
        """Stop listening and end the open connections, letting their handlers return by themselves: a
        handler still in readline() when asyncio.run() cancels it makes Python 3.11's StreamReaderProtocol
        log a CancelledError traceback (its done-callback calls task.exception() on a cancelled task)."""
        if self._server is not None:
            self._server.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        for writer in list(self._writers):
            writer.close()
        handlers = {task for task in self._tasks if not task.done()}
        if handlers:
            await asyncio.wait(handlers, timeout=1.0)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        if not _peer_is_us(sock):
            log("refused a control connection from another user")
            writer.close()
            return
        lock = asyncio.Lock()
        pending: set[asyncio.Task[None]] = set()
        handler = asyncio.current_task()
        if handler is not None:
            self._tasks.add(handler)
            handler.add_done_callback(self._tasks.discard)
        self._writers.add(writer)

        async def answer(line: bytes) -> None:
            reply = await run_command(self.gateway, line)
            async with lock:
                writer.write(json.dumps(reply).encode() + b"\n")
                with contextlib.suppress(OSError):
                    await writer.drain()

        try:
            while line := await reader.readline():
                if line.strip():
                    task = asyncio.create_task(answer(line))
                    pending.add(task)
                    task.add_done_callback(pending.discard)
        except (OSError, ValueError):  # ValueError: a line over LINE_LIMIT; the connection is dropped
            pass
        finally:
            if pending:  # answers still owed (a drain in progress) are sent before closing
                await asyncio.wait(pending)
            self._writers.discard(writer)
            writer.close()


def _peer_is_us(sock: socket.socket | None) -> bool:
    if sock is None:
        return False
    if not hasattr(socket, "SO_PEERCRED"):
        return True  # macOS: the 0600 mode on the socket file is the guard
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return bool(uid == os.getuid())


def _remove_stale(path: Path) -> None:
    """Unlink a socket left by a gateway that died; refuse if one still answers there."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(info.st_mode):
        raise ControlSocketBusy(f"{path} exists and is not a socket")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(str(path))
    except (ConnectionRefusedError, FileNotFoundError):
        os.unlink(path)
        return
    finally:
        probe.close()
    raise ControlSocketBusy(f"another process listens on {path}")
