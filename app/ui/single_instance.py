"""One tray per user and config dir: a second launch hands its command to the running one and exits.

The channel is a QLocalServer (a Unix socket, a named pipe on Windows). One JSON line each way:
`{"command": "switch", "args": ["zhipu", "glm-4-air"]}` → `{"ok": true, "message": "…", "status": {…},
"exit_code": 0}`.
"""

from __future__ import annotations

import asyncio
import getpass
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Final

from PySide6.QtCore import QObject
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger("llm_link_tray.ui.single_instance")

CONNECT_TIMEOUT_MS: Final = 1000
# A forwarded switch runs the whole restart protocol, rollback included: give it time.
REPLY_TIMEOUT_MS: Final = 90_000

Handler = Callable[[str, list[str]], Awaitable[dict[str, Any]]]


def server_name(config_dir: Path) -> str:
    """Per user and per config dir, so `--config-dir` instances (portable use, tests) stay apart."""
    digest = hashlib.sha256(str(config_dir.resolve()).encode()).hexdigest()[:12]
    return f"llm-link-tray-{getpass.getuser()}-{digest}"


def send_command(
    name: str, command: str, args: list[str] | None = None, timeout_ms: int = REPLY_TIMEOUT_MS
) -> dict[str, Any] | None:
    """Send to the running instance and wait for its answer; None when no instance listens."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
        return None
    socket.write((json.dumps({"command": command, "args": args or []}) + "\n").encode())
    socket.waitForBytesWritten(CONNECT_TIMEOUT_MS)
    data = b""
    while not data.endswith(b"\n"):
        if not socket.waitForReadyRead(timeout_ms):
            break
        data += bytes(socket.readAll().data())
    socket.disconnectFromServer()
    if not data.strip():
        return {"ok": False, "message": "the running llm-link-tray did not answer", "exit_code": 1}
    reply: dict[str, Any] = json.loads(data)
    return reply


class InstanceServer(QObject):
    """Listens for commands from later launches and answers each through `handler`."""

    def __init__(self, name: str, handler: Handler) -> None:
        super().__init__()
        self.name = name
        self._handler = handler
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)
        self._tasks: set[asyncio.Task[None]] = set()

    def listen(self) -> bool:
        """Take the name. False when another live instance holds it."""
        if self._server.listen(self.name):
            return True
        probe = QLocalSocket()
        probe.connectToServer(self.name)
        if probe.waitForConnected(CONNECT_TIMEOUT_MS):
            probe.disconnectFromServer()
            return False
        # A socket file left by a crashed instance: nobody answers, so it is ours to take over.
        QLocalServer.removeServer(self.name)
        return self._server.listen(self.name)

    def close(self) -> None:
        self._server.close()

    def _accept(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            buffer = bytearray()

            def on_ready(sock: QLocalSocket = socket, buf: bytearray = buffer) -> None:
                buf.extend(bytes(sock.readAll().data()))
                if buf.endswith(b"\n"):
                    task = asyncio.ensure_future(self._answer(sock, bytes(buf)))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)

            socket.readyRead.connect(on_ready)
            socket.disconnected.connect(socket.deleteLater)

    async def _answer(self, socket: QLocalSocket, data: bytes) -> None:
        try:
            request = json.loads(data)
            command, args = str(request["command"]), [str(a) for a in request.get("args", [])]
        except (ValueError, KeyError, TypeError):
            reply: dict[str, Any] = {"ok": False, "message": "malformed request", "exit_code": 2}
        else:
            log.info("command from another launch: %s %s", command, " ".join(args))
            try:
                reply = await self._handler(command, args)
            except Exception as exc:  # the answer must go back whatever happened
                log.exception("command %s failed", command)
                reply = {"ok": False, "message": f"{command} failed: {type(exc).__name__}", "exit_code": 1}
        if socket.state() == QLocalSocket.LocalSocketState.ConnectedState:
            socket.write((json.dumps(reply) + "\n").encode())
            socket.flush()
            socket.disconnectFromServer()
