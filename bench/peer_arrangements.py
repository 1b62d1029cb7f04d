"""The arrangements bench/peers.py compares: the tray's supervisor and the peers a user would pick instead, each
keeping one real llm-link serving an editor on a user-facing port.

- `Tray`: the app's `Controller` (public API only), built as the tray builds it: with the gateway in front when
  the app has one. The editor's port is `config.port` (the gateway's, or llm-link's own without one); llm-link
  is `supervisor.pid` either way.
- `Supervisord`: supervisord 4 (PyPI `supervisor`), `autorestart=true`, `startsecs` 1 (as shipped) or 0.
- `Loop`: bench/peer_loop.py, a systemd-style `Restart=always` + `RestartSec=100ms` loop with systemd's default
  start limit, or the Ollama desktop app's policy (restart after 1 s, forever).

Peers start llm-link as their users would (`peer_command`): for 0.5.1+ the provider key in argv (`--api-key`),
no key swap; for 0.3.x in its env var.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import xmlrpc.client
from pathlib import Path
from typing import Any, Self

import httpx
import psutil

from app.controller import Controller
from app.keys import KeyStore
from app.paths import Paths
from app.secret import Secret
from app.supervisor.contract import KEY_PLACEHOLDER, LaunchRequest, build_launch, detect_contract
from app.supervisor.policy import Policy
from app.supervisor.state import State, Status
from app.supervisor.supervisor import Supervisor
from bench.fixture import KEYS, PAIRS, REPO, free_port

EDITOR_ROUTE = "/api/tags"  # what Zed asks first (ollama protocol)
STOP_GRACE = 10.0


async def peer_command(binary: Path, port: int, provider: str, model: str | None) -> tuple[list[str], dict[str, str]]:
    """argv (binary first) and env as a peer's user writes them: the launch contract's flags, and the provider
    key where that version reads it at launch: argv for 0.5.1+ (no key swap afterwards), env for 0.3.x."""
    contract = await detect_contract(binary)
    key = Secret(KEYS[provider]) if provider in KEYS else None
    plan = build_launch(contract, LaunchRequest(provider, port, model=model, api_key=key))
    argv = [key.reveal() if key is not None and arg == KEY_PLACEHOLDER else arg for arg in plan.argv]
    return [str(binary), *argv], dict(plan.env)


async def editor_answers(http: httpx.AsyncClient, port: int, timeout: float = 5.0) -> bool:
    try:
        return (await http.get(f"http://127.0.0.1:{port}{EDITOR_ROUTE}", timeout=timeout)).status_code == 200
    except httpx.HTTPError:
        return False


async def until_serving(port: int, timeout: float = 30.0, request_timeout: float = 5.0) -> float:
    """perf_counter() of the first editor request that succeeds, asking again at once (1 ms apart) after each
    refusal, as bench/cold_start.py does for the reference."""
    deadline = time.perf_counter() + timeout
    async with httpx.AsyncClient(trust_env=False) as http:
        while time.perf_counter() < deadline:
            if await editor_answers(http, port, request_timeout):
                return time.perf_counter()
            await asyncio.sleep(0.001)
    raise TimeoutError(f"nothing served {EDITOR_ROUTE} on port {port} within {timeout:g}s")


def pidfile_pids(state_dir: Path) -> set[int]:
    """Pids named by the PID files in a tray's state folder (JSON with "pid", or a bare number)."""
    found = set()
    for path in state_dir.glob("*") if state_dir.is_dir() else []:
        with contextlib.suppress(OSError, ValueError, json.JSONDecodeError, TypeError, KeyError):
            text = path.read_text().strip()
            found.add(int(text) if text.isdigit() else int(json.loads(text)["pid"]))
    return found


def alive(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


async def terminate(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), STOP_GRACE)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()


def identity(pid: int) -> tuple[int, float] | None:
    """(pid, start time): a pid alone may be another process by the time we clean up."""
    with contextlib.suppress(psutil.Error):
        return pid, psutil.Process(pid).create_time()
    return None


def sigkill_leftovers(seen: set[tuple[int, float]]) -> None:
    """SIGKILL (after SIGCONT: it may be stopped) what we saw start and still runs: the very same processes."""
    for pid, started in seen:
        with contextlib.suppress(psutil.Error):
            proc = psutil.Process(pid)
            if proc.create_time() == started and proc.status() != psutil.STATUS_ZOMBIE:
                proc.resume()
                proc.kill()


class Arrangement:
    """One supervisor keeping llm-link serving on `port`. `start(serve=True)` returns once an editor request
    succeeds; `settled()` once the supervisor itself calls it running (supervisord waits `startsecs`)."""

    label = ""
    sees_hangs = False
    key_note = "key in argv, no key swap"

    def __init__(self, binary: Path, provider: str = PAIRS[0][0], model: str | None = PAIRS[0][1]) -> None:
        self.binary, self.provider, self.model = binary, provider, model
        self.port = free_port()
        self.tmp = Path(tempfile.mkdtemp(prefix="peer-"))
        self.seen: set[tuple[int, float]] = set()  # processes of this arrangement, killed if left over

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self.stop()
        finally:
            sigkill_leftovers(self.seen)
            shutil.rmtree(self.tmp, ignore_errors=True)

    async def start(self, *, serve: bool = True) -> None:
        await self.launch()
        if serve:
            await until_serving(self.port)
            await self.settled()

    async def launch(self) -> None:
        raise NotImplementedError

    async def llmlink_pid(self) -> int | None:
        raise NotImplementedError

    async def settled(self) -> None:
        """The supervisor's own view: llm-link RUNNING (the default: serving is all it knows)."""

    async def final_state(self) -> str | None:
        """A clear final state after a crash loop ("FATAL", "failed (start-limit-hit)", …), None while it goes on."""
        return None

    async def state_text(self) -> str:
        """What the supervisor shows now (for R3: does it see a hang?)."""
        return "running (no health check)"

    async def stop(self) -> None:
        raise NotImplementedError

    def remember(self, pid: int) -> None:
        if (found := identity(pid)) is not None:
            self.seen.add(found)

    async def current_pid(self) -> int:
        pid = await self.llmlink_pid()
        if pid is None:
            raise RuntimeError(f"{self.label}: no llm-link runs")
        self.remember(pid)
        return pid


class BenchKeys(KeyStore):
    """The keyring, as the bench has it: fixed keys (bench.fixture.KEYS), nothing stored."""

    async def get(self, provider_id: str) -> Secret | None:
        return Secret(KEYS[provider_id]) if provider_id in KEYS else None

    async def set(self, provider_id: str, key: Secret) -> None:
        pass

    async def delete(self, provider_id: str) -> None:
        pass


class Tray(Arrangement):
    """The app's own arrangement: a `Controller` on a settings file, as the tray builds one (the gateway in front
    when the app has one), with keys from `BenchKeys`."""

    sees_hangs = True
    key_note = "key out of argv (placeholder + update-key)"

    def __init__(self, binary: Path, policy: Policy | None = None, label: str = "tray", **kw: Any) -> None:
        super().__init__(binary, **kw)
        self.label, self.policy = label, policy or Policy()
        self.paths = Paths.under(self.tmp)
        self.ctl: Controller | None = None

    async def launch(self) -> None:
        self.paths.config_dir.mkdir(parents=True, exist_ok=True)
        wanted = {"binary": str(self.binary), "port": free_port(), "provider": self.provider, "model": self.model}
        (self.paths.config_dir / "settings.json").write_text(json.dumps({"llmlink": wanted}))
        self.ctl = Controller(self.paths, keys=BenchKeys(), policy=self.policy)
        await self.ctl.open()
        self.port = self.ctl.config.port  # the user-facing port, whoever serves it

    @property
    def controller(self) -> Controller:
        assert self.ctl is not None
        return self.ctl

    @property
    def supervisor(self) -> Supervisor:
        return self.controller.supervisor

    async def llmlink_pid(self) -> int | None:
        return self.supervisor.pid

    async def settled(self) -> None:
        await self.supervisor.store.wait_for(lambda s: s.state is State.RUNNING and s.pid is not None, 30)
        assert self.supervisor.pid is not None

    async def final_state(self) -> str | None:
        status: Status = self.supervisor.status
        if status.state is State.ERROR and not self.supervisor.restart_pending:
            return f"ERROR {status.error.code if status.error else ''}".strip()
        return None

    async def state_text(self) -> str:
        return str(self.supervisor.status.state)

    async def stop(self) -> None:
        if self.ctl is not None:
            for pid in pidfile_pids(self.paths.state_dir):
                self.remember(pid)
            await self.ctl.close()


class Supervisord(Arrangement):
    """supervisord in the foreground with one program, its XML-RPC on a loopback port for our questions."""

    def __init__(self, binary: Path, startsecs: int, **kw: Any) -> None:
        super().__init__(binary, **kw)
        self.startsecs = startsecs
        self.label = f"supervisord startsecs={startsecs}" + (" (as shipped)" if startsecs == 1 else " (tuned)")
        self.rpc_port = free_port()
        self.proc: asyncio.subprocess.Process | None = None
        self.rpc = xmlrpc.client.ServerProxy(f"http://127.0.0.1:{self.rpc_port}/RPC2")

    async def launch(self) -> None:
        argv, env = await peer_command(self.binary, self.port, self.provider, self.model)
        conf = self.tmp / "supervisord.conf"
        conf.write_text(
            "[supervisord]\nnodaemon=true\nlogfile=%(here)s/supervisord.log\npidfile=%(here)s/supervisord.pid\n"
            "childlogdir=%(here)s\n\n"
            f"[inet_http_server]\nport=127.0.0.1:{self.rpc_port}\n\n"
            "[rpcinterface:supervisor]\n"
            "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n"
            f"[program:llmlink]\ncommand={shlex.join(argv)}\nautostart=true\nautorestart=true\n"
            f"startsecs={self.startsecs}\n"
        )
        supervisord = Path(sys.executable).parent / "supervisord"
        self.proc = await asyncio.create_subprocess_exec(
            str(supervisord), "-n", "-c", str(conf), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    async def info(self) -> dict[str, Any] | None:
        try:
            return await asyncio.to_thread(self.process_info)
        except (OSError, xmlrpc.client.Error):
            return None

    def process_info(self) -> dict[str, Any]:
        found: dict[str, Any] = self.rpc.supervisor.getProcessInfo("llmlink")  # type: ignore[assignment]
        return found

    async def llmlink_pid(self) -> int | None:
        info = await self.info()
        return int(info["pid"]) if info and info["pid"] else None

    async def settled(self) -> None:
        while True:
            info = await self.info()
            if info is not None and info["statename"] == "RUNNING":
                return
            await asyncio.sleep(0.02)  # supervisord has no event we could wait on from here

    async def final_state(self) -> str | None:
        info = await self.info()
        return "FATAL" if info is not None and info["statename"] == "FATAL" else None

    async def state_text(self) -> str:
        info = await self.info()
        return str(info["statename"]) if info else "?"

    async def stop(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(psutil.Error):
                for child in psutil.Process(self.proc.pid).children(recursive=True):
                    self.remember(child.pid)
            await terminate(self.proc)


class Loop(Arrangement):
    """bench/peer_loop.py around llm-link."""

    def __init__(self, binary: Path, label: str, delay: float, burst: int = 0, interval: float = 10.0, **kw: Any):
        super().__init__(binary, **kw)
        self.label, self.delay, self.burst, self.interval = label, delay, burst, interval
        self.proc: asyncio.subprocess.Process | None = None
        self.pid: int | None = None
        self.failed: str | None = None
        self.reader: asyncio.Task[None] | None = None

    async def launch(self) -> None:
        argv, env = await peer_command(self.binary, self.port, self.provider, self.model)
        limit = ["--burst", str(self.burst), "--interval", str(self.interval)] if self.burst else []
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.peer_loop",
            "--delay",
            str(self.delay),
            *limit,
            "--",
            *argv,
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.reader = asyncio.create_task(self.read_events())

    async def read_events(self) -> None:
        assert self.proc is not None
        assert self.proc.stdout is not None
        async for raw in self.proc.stdout:
            words = raw.decode().split()
            if words[:1] == ["START"]:
                self.pid = int(words[1])
                self.remember(self.pid)
            elif words[:1] == ["FAILED"]:
                self.failed = f"failed ({words[1]})"

    async def llmlink_pid(self) -> int | None:
        return self.pid if self.pid is not None and alive(self.pid) else None

    async def final_state(self) -> str | None:
        return self.failed

    async def state_text(self) -> str:
        return self.failed or "active (no health check)"

    async def stop(self) -> None:
        if self.proc is not None:
            await terminate(self.proc)
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.reader


def systemd_loop(binary: Path, **kw: Any) -> Loop:
    return Loop(binary, "systemd-style loop (emulated)", 0.1, burst=5, interval=10.0, **kw)


def ollama_loop(binary: Path, **kw: Any) -> Loop:
    return Loop(binary, "Ollama app policy (1 s, forever)", 1.0, **kw)
