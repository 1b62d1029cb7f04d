"""The gateway process (`app/gateway`), from the supervisor's side: started, adopted, kept running, told what to do.

The gateway owns the editor's port and forwards to whichever llm-link the supervisor names. It is ours to
start and keep, like llm-link, but its exe is python, so its PID file also holds an identity token that only
the process we started can repeat back (`hello` on its control socket). It outlives the tray: its output goes
to a log file, never a pipe of ours, and a later tray adopts it with whatever it is serving.

`GatewayKeeper` holds the *wanted* state (policy, upstream or the reason there is none) and sends it again to
every gateway it starts, so a gateway restarted after a crash serves the same llm-link at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

import psutil

from app.errors import AppError, ErrorCode
from app.secret import Secret
from app.supervisor import pidfile
from app.supervisor.contract import LOOPBACK_HOST
from app.supervisor.policy import Policy
from app.supervisor.ports import port_in_use_error
from app.supervisor.process import LlmLinkProcess, adopt, port_open
from app.supervisor.restarts import Backoff

log = logging.getLogger("llm_link_tray.supervisor.gateway")

TOKEN_ENV: Final = "LLM_LINK_TRAY_GATEWAY_TOKEN"  # noqa: S105 - the variable's name (app/gateway/__main__.py)
COMMAND_TIMEOUT: Final = 5.0
START_TIMEOUT: Final = 10.0
# A drain longer than this cuts what is left: the editor sees a broken stream, never a complete-looking one.
DRAIN_TIMEOUT: Final = 60.0
STOPPED_REASON: Final = "llm-link is stopped: start it from the tray"
RESTARTING_REASON: Final = "llm-link stopped unexpectedly; the tray is restarting it"
LOG_TAIL_BYTES: Final = 4096


class GatewayUnreachable(Exception):
    """The control socket did not answer (no gateway, a dead or wedged one) or answered nonsense."""


class GatewayRefused(Exception):
    """The gateway answered `ok: false`: the command was wrong (a bug of ours, since we build them)."""


async def command(control: Path, cmd: str, *, timeout: float = COMMAND_TIMEOUT, **args: Any) -> dict[str, Any]:
    """One command on its own connection to the control socket (see app/gateway/control.py); its answer."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_unix_connection(str(control), limit=1 << 20), timeout)
    except (OSError, TimeoutError) as exc:
        raise GatewayUnreachable(f"{control}: {exc}") from None
    try:
        writer.write(json.dumps({"cmd": cmd, "id": 1, **args}).encode() + b"\n")
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), timeout)
        reply = json.loads(line)
    except (OSError, TimeoutError, ValueError) as exc:
        raise GatewayUnreachable(f"{cmd}: {exc or type(exc).__name__}") from None
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    if not isinstance(reply, dict):
        raise GatewayUnreachable(f"{cmd}: an answer that is not a JSON object")
    if not reply.get("ok"):
        raise GatewayRefused(f"{cmd}: {reply.get('error')}")
    return reply


def launch_command() -> list[str]:
    """How to run the gateway with the Python (or bundle) the tray runs on: it imports only asyncio and h11."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "--gateway"]  # packaging/entry.py dispatches it
    return [sys.executable, "-m", "app.gateway"]


@dataclass(frozen=True)
class GatewayRecord:
    pid: int
    create_time: float
    token: str
    port: int
    control: str


@dataclass(frozen=True)
class Upstream:
    """The llm-link the gateway should forward to: its private port and the throwaway key it wants."""

    port: int
    auth: Secret | None
    label: str | None


@dataclass(frozen=True)
class GatewaySetup:
    """Where a gateway keeps its files, and how long it holds requests while no llm-link serves."""

    control: Path  # the control socket, in the tray's private runtime folder
    pid_file: Path
    log: Path  # its stdout/stderr, appended; outlives the tray
    hold_seconds: float = 10.0


class GatewayKeeper:
    """One gateway on the editor's port: `open` adopts or starts it, a crash starts it again (with backoff),
    and every command goes to whichever gateway runs now. `on_change` is told when it died or came back."""

    def __init__(self, files: GatewaySetup, policy: Policy, on_change: Callable[[], None]) -> None:
        self.files = files
        self.policy = policy
        self._on_change = on_change
        self._process: LlmLinkProcess | None = None
        self._record: GatewayRecord | None = None
        self._backoff = Backoff(policy)
        self._restart: asyncio.Task[None] | None = None
        self._closing = False
        self.error: AppError | None = None  # why no gateway runs (a failed start, a crash loop)
        # The wanted state, sent again to every gateway we start or adopt.
        self.port: int | None = None
        self._upstream: Upstream | None = None
        self._reason = STOPPED_REASON
        self.origins: list[str] | None = None
        self.access_key: Secret | None = None

    def follow(self, policy: Policy) -> None:
        """A new timing policy: stop grace and the restart backoff follow it."""
        self.policy = self._backoff.policy = policy

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process and self._process.running else None

    @property
    def running(self) -> bool:
        return self.pid is not None

    async def open(self, port: int) -> AppError | None:
        """The gateway of our PID file if it is ours and listens on `port`, else a new one there."""
        if self.running and self.port == port:
            return None  # opened already (an intent before the supervisor's own open)
        self.port = port
        adopted = await self._adopt()
        if adopted is not None and adopted.port != port:
            log.info("the gateway (pid %d) listens on %d, not %d: replacing it", adopted.pid, adopted.port, port)
            await self._shutdown()
        if self._process is None:
            return await self._start(port)
        await self._send_wanted()
        return None

    async def move(self, port: int) -> AppError | None:
        """Listen on `port` instead: the new gateway starts first, so a taken port leaves the old one serving."""
        if port == self.port and self.running:
            return None
        old_process, old_record = self._process, self._record
        self._process = self._record = None
        # Both run for a moment: the new one listens on the other of our two control paths.
        control = self.files.control
        if old_record is not None and Path(old_record.control) == control:
            control = spare_control(control)
        error = await self._start(port, control)
        if error is not None:
            self._process, self._record = old_process, old_record
            return error
        if old_process is not None and old_record is not None:
            await self._shutdown_process(old_process, Path(old_record.control))
        self.port = port
        return None

    async def set_upstream(self, upstream: Upstream) -> asyncio.Task[dict[str, Any] | None]:
        """New requests go to `upstream` at once (confirmed before this returns); the returned task ends when
        the previous llm-link has no request left (or the drain timed out): then it may be stopped."""
        self._upstream = upstream
        if not self.running:
            return _done(None)
        args = _upstream_args(upstream)
        sent = asyncio.ensure_future(self._command("set_upstream", timeout=DRAIN_TIMEOUT + 5, **args))
        await self._confirm_flip(upstream.port, sent)
        return asyncio.ensure_future(_answer_or_none(sent))

    async def clear_upstream(self, reason: str) -> None:
        """No llm-link serves: requests wait (up to 10 s) for the next one, then get 503 with `reason`."""
        self._upstream, self._reason = None, reason
        if self.running:
            with contextlib.suppress(GatewayUnreachable, GatewayRefused):
                await self._command("clear_upstream", reason=reason)

    async def set_policy(self, origins: list[str] | None, access_key: Secret | None) -> AppError | None:
        """The browser allow-list (None: the defaults) and the editor-facing access key (None: off)."""
        self.origins, self.access_key = origins, access_key
        if not self.running:
            return None
        try:
            await self._command("set_policy", **_policy_args(origins, access_key))
        except GatewayRefused as exc:
            return AppError(ErrorCode.CONFIG_ERROR, f"the gateway refused the settings: {exc}", "Check Settings.")
        except GatewayUnreachable:
            pass  # a dead gateway gets the policy when it is started again
        return None

    async def stats(self) -> dict[str, Any] | None:
        """Activity and upstream health from real traffic; None without a gateway that answers."""
        if not self.running:
            return None
        try:
            return await self._command("stats")
        except (GatewayUnreachable, GatewayRefused):
            return None

    async def close(self, *, stop: bool) -> None:
        """Stop watching; with `stop` shut it down (it finishes what is in flight), else leave it serving."""
        self._closing = True
        if self._restart is not None:
            self._restart.cancel()
            await asyncio.gather(self._restart, return_exceptions=True)
        if stop:
            await self._shutdown()
        elif self._process is not None:
            await self._process.detach()

    # --- starting, adopting, stopping ---------------------------------------------------------------

    async def _adopt(self) -> GatewayRecord | None:
        record = _read_record(self.files.pid_file)
        if record is None:
            return None
        if not _same_process(record):
            pidfile.remove(self.files.pid_file)
            return None
        try:
            hello = await command(Path(record.control), "hello", timeout=2.0)
        except (GatewayUnreachable, GatewayRefused):
            hello = {}
        if hello.get("token") != record.token or hello.get("pid") != record.pid:
            # Our process by pid and start time, but it does not answer as ours: wedged. Replace it.
            log.warning("the gateway (pid %d) does not answer on its control socket: killing it", record.pid)
            with contextlib.suppress(psutil.Error):
                psutil.Process(record.pid).kill()
            pidfile.remove(self.files.pid_file)
            return None
        self._record, self._process = record, adopt(record.pid, record.create_time)
        self._watch(self._process)
        log.info("adopted the gateway (pid %d) on port %d", record.pid, record.port)
        return record

    async def _start(self, port: int, control: Path | None = None) -> AppError | None:
        """Spawn a gateway on `port` (its control socket at `control`, default ours), wait until it answers as
        ours, record it, send it the wanted state."""
        control = control or self.files.control
        if port_open(LOOPBACK_HOST, port):
            self.error = port_in_use_error(port)
            return self.error
        token = secrets.token_urlsafe(32)
        env = dict(os.environ)
        env[TOKEN_ENV] = token
        # `python -m app.gateway` must find this very package, installed or not.
        package_root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        argv = [*launch_command(), "--listen", f"{LOOPBACK_HOST}:{port}", "--control", str(control)]
        argv += ["--hold-seconds", f"{self.files.hold_seconds:g}"]
        pid = spawn_detached(argv, env, self.files.log)
        try:
            create_time = psutil.Process(pid).create_time()
        except psutil.Error:
            create_time = time.time()
        # Watched like an adopted process (a pidfd): it is meant to outlive us, so no asyncio Process object
        # owns it (one garbage-collected while the gateway runs warns "subprocess is still running").
        process = adopt(pid, create_time)
        process.exited.add_done_callback(lambda _: _reap(pid))
        error = await self._wait_ready(process, token, port, control)
        if error is not None:
            await process.stop(1.0)
            self.error = error
            return error
        record = GatewayRecord(pid, create_time, token, port, str(control))
        try:
            _write_record(self.files.pid_file, record)
        except OSError as exc:
            await self._shutdown_process(process, control)
            self.error = AppError(
                ErrorCode.STATE_DIR_UNUSABLE,
                f"cannot record the gateway in {self.files.pid_file.parent} ({exc.strerror})",
                "Free some disk space or make the folder writable, then start again.",
            )
            return self.error
        self._process, self._record, self.error = process, record, None
        self._watch(process)
        log.info("gateway (pid %d) listens on %s:%d", pid, LOOPBACK_HOST, port)
        await self._send_wanted()
        return None

    async def _wait_ready(self, process: LlmLinkProcess, token: str, port: int, control: Path) -> AppError | None:
        deadline, delay = time.monotonic() + START_TIMEOUT, 0.01
        while time.monotonic() < deadline:
            if process.exited.done():
                return self._failed_start(f"the gateway exited while starting on port {port}")
            try:
                hello = await command(control, "hello", timeout=1.0)
            except (GatewayUnreachable, GatewayRefused):
                hello = {}
            if hello.get("token") == token:
                return None
            await asyncio.wait({process.exited}, timeout=delay)
            delay = min(delay * 1.5, 0.2)
        return self._failed_start(f"the gateway did not answer within {START_TIMEOUT:g} seconds")

    def _failed_start(self, message: str) -> AppError:
        return AppError(
            ErrorCode.GATEWAY_FAILED,
            message,
            "View the gateway's log; if another program holds the port, choose another port in Settings.",
            tuple(_log_tail(self.files.log)),
        )

    async def _shutdown(self) -> None:
        process, record = self._process, self._record
        self._process = self._record = None
        if process is not None and record is not None:
            await self._shutdown_process(process, Path(record.control))
        pidfile.remove(self.files.pid_file)

    async def _shutdown_process(self, process: LlmLinkProcess, control: Path) -> None:
        """`shutdown` (it lets what is in flight finish, briefly), SIGTERM/SIGKILL if it does not go."""
        with contextlib.suppress(GatewayUnreachable, GatewayRefused):
            await command(control, "shutdown", timeout=1.0, drain_timeout=2.0)
        try:
            await asyncio.wait_for(asyncio.shield(process.exited), 4.0)
        except TimeoutError:
            await process.stop(self.policy.stop_grace)
        await process.stop(0.1)  # marks it stopped by us, whatever it did (a no-op once it is gone)

    def _watch(self, process: LlmLinkProcess) -> None:
        def exited(_: object) -> None:
            if self._process is process and not self._closing:
                self._process = None
                pidfile.remove(self.files.pid_file)
                self._on_change()
                self._schedule_restart()

        process.exited.add_done_callback(exited)

    def _schedule_restart(self) -> None:
        port = self.port
        if port is None or (self._restart is not None and not self._restart.done()):
            return
        if self._backoff.record_failure(time.monotonic()):
            self.error = AppError(
                ErrorCode.GATEWAY_FAILED,
                "the gateway keeps crashing; it was not started again",
                "View the gateway's log, then use Restart in the tray menu.",
                tuple(_log_tail(self.files.log)),
            )
            log.error("the gateway crashed %d times: giving up", self.policy.crash_loop_starts)
            self._on_change()
            return
        delay = self._backoff.next_delay()
        log.warning("the gateway exited unexpectedly: starting it again in %.1fs", delay)

        async def restart() -> None:
            await asyncio.sleep(delay)
            if not self._closing and self._process is None:
                await self._start(port)
                self._on_change()

        self._restart = asyncio.ensure_future(restart())

    async def restart_if_down(self) -> AppError | None:
        """A user's Start/Restart: a gateway that gave up (crash loop, failed start) is tried again."""
        if self.running or self.port is None:
            return None
        self._backoff.reset()
        return await self._start(self.port)

    async def _send_wanted(self) -> None:
        with contextlib.suppress(GatewayUnreachable, GatewayRefused):
            await self._command("set_policy", **_policy_args(self.origins, self.access_key))
            if self._upstream is not None:  # nothing to drain: a new gateway has no requests yet
                await self._command("set_upstream", **{**_upstream_args(self._upstream), "drain_timeout": 0})
            else:
                await self._command("clear_upstream", reason=self._reason)

    async def _confirm_flip(self, port: int, sent: asyncio.Future[dict[str, Any]]) -> None:
        """The flip happens as the gateway reads the line; `hello` (another connection) shows when it has."""
        for _ in range(100):
            if sent.done():
                return
            with contextlib.suppress(GatewayUnreachable, GatewayRefused):
                hello = await self._command("hello", timeout=1.0)
                if hello.get("upstream", {}).get("port") == port:
                    return
            await asyncio.wait({sent}, timeout=0.005)

    async def _command(self, cmd: str, *, timeout: float = COMMAND_TIMEOUT, **args: Any) -> dict[str, Any]:
        if self._record is None:
            raise GatewayUnreachable("no gateway")
        return await command(Path(self._record.control), cmd, timeout=timeout, **args)


def spare_control(control: Path) -> Path:
    """The second control path, for a gateway started while another still listens on the first (a move)."""
    return control.with_name(control.name + "2")


def spawn_detached(argv: list[str], env: dict[str, str], log_path: Path) -> int:
    """Start `argv` in a session of its own (a Ctrl+C or SIGHUP aimed at the tray's group does not reach it),
    stdin from /dev/null, stdout and stderr appended to `log_path`; its pid."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, str(log_path), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600),
        (os.POSIX_SPAWN_DUP2, 1, 2),
    ]
    return os.posix_spawn(argv[0], argv, env, file_actions=actions, setsid=True)


def _reap(pid: int) -> None:
    """Collect the exit status of a gateway we spawned (adopted ones are not our children)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _upstream_args(upstream: Upstream) -> dict[str, Any]:
    args: dict[str, Any] = {"port": upstream.port, "drain_timeout": DRAIN_TIMEOUT}
    if upstream.auth is not None:
        args["auth"] = upstream.auth.reveal()
    if upstream.label:
        args["label"] = upstream.label
    return args


def _policy_args(origins: list[str] | None, access_key: Secret | None) -> dict[str, Any]:
    return {"allowed_origins": origins, "access_key": access_key.reveal() if access_key else None}


async def _answer_or_none(sent: asyncio.Future[dict[str, Any]]) -> dict[str, Any] | None:
    try:
        return await sent
    except (GatewayUnreachable, GatewayRefused) as exc:
        log.info("no drain report from the gateway: %s", exc)
        return None


def _done(value: dict[str, Any] | None) -> asyncio.Task[dict[str, Any] | None]:
    async def now() -> dict[str, Any] | None:
        return value

    return asyncio.ensure_future(now())


def _read_record(path: Path) -> GatewayRecord | None:
    try:
        data = json.loads(path.read_text())
        return GatewayRecord(
            int(data["pid"]), float(data["create_time"]), str(data["token"]), int(data["port"]), str(data["control"])
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_record(path: Path, record: GatewayRecord) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it holds the identity token
    with os.fdopen(fd, "w") as handle:
        json.dump(asdict(record), handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _same_process(record: GatewayRecord) -> bool:
    try:
        return bool(abs(psutil.Process(record.pid).create_time() - record.create_time) < 0.01)
    except psutil.Error:
        return False


def _log_tail(path: Path) -> list[str]:
    try:
        with path.open("rb") as handle:
            handle.seek(max(path.stat().st_size - LOG_TAIL_BYTES, 0))
            return handle.read().decode("utf-8", "replace").splitlines()[-10:]
    except OSError:
        return []
