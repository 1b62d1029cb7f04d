"""Supervisors on real llm-link builds, with their files under the test's tmp folder."""

from __future__ import annotations

import asyncio
import gc
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path

import psutil
import pytest

from app.llmlink_client import LlmLinkClient
from app.paths import Paths
from app.secret import Secret
from app.supervisor.config import LlmLinkConfig
from app.supervisor.policy import Policy
from app.supervisor.state import Status
from app.supervisor.supervisor import GatewaySetup, Supervisor
from tests.conftest import SESSION_MARKER, builds_dir
from tests.llmlink_harness import free_port

ZHIPU_KEY = "zhipu-test-key-0123456789"
KEYS = {"zhipu": ZHIPU_KEY, "openai": "sk-test-openai-0123456789", "moonshot": "moonshot-key-0123456789"}

# Quick to react, so tests finish fast; the defaults are tested in test_policy.
FAST = Policy(
    backoff_first=0.05,
    backoff_max=0.4,
    crash_loop_window=30,
    start_timeout=10,
    stop_grace=2,
    liveness_interval=0.2,
    status_ttl=0.5,
)

MakeSupervisor = Callable[..., Awaitable[Supervisor]]


async def lookup(provider: str) -> Secret | None:
    key = KEYS.get(provider)
    return Secret(key) if key else None


@pytest.fixture
async def make_supervisor(tmp_path: Path) -> AsyncIterator[MakeSupervisor]:
    """`await make(binary, provider=…, policy=…, open=True)`: a supervisor, opened (started) unless told not."""
    made: list[Supervisor] = []

    async def make(
        binary: Path,
        *,
        policy: Policy = FAST,
        open: bool = True,
        root: Path | None = None,
        autostart: bool = True,
        gateway: bool = False,
        hold_seconds: float = 10.0,
        **config: object,
    ) -> Supervisor:
        cfg = replace(LlmLinkConfig(binary=str(binary), port=free_port()), **config)  # type: ignore[arg-type]
        paths = Paths.under(root or tmp_path)
        setup = gateway_setup(paths, hold_seconds) if gateway else None
        sup = Supervisor(cfg, lookup, paths=paths, policy=policy, gateway=setup)
        made.append(sup)
        if open:
            await sup.open(autostart=autostart)
        return sup

    yield make
    for sup in made:
        await sup.close()


async def wait_for(sup: Supervisor, predicate: Callable[[Status], bool], timeout: float = 15.0) -> Status:
    """Wait until a published status satisfies `predicate` (event-driven: the store's subscription)."""
    try:
        return await sup.store.wait_for(predicate, timeout)
    except TimeoutError as exc:
        raise AssertionError(str(exc)) from None


def served_by(sup: Supervisor) -> LlmLinkClient:
    """A client of the test's own for the port the supervisor's llm-link serves (use it in `async with`):
    behind a gateway, llm-link's private port (the gateway answers no management route)."""
    return LlmLinkClient(f"http://127.0.0.1:{sup.llmlink_port or sup.config.port}")


def gateway_setup(paths: Paths, hold_seconds: float = 10.0) -> GatewaySetup:
    """A gateway's files for a test: the control socket in a short folder of its own (a Unix socket path has
    at most 107 bytes, and pytest's tmp paths can be longer)."""
    folder = Path(tempfile.mkdtemp(prefix="gw-", dir="/tmp"))
    return GatewaySetup(folder / "control.sock", paths.gateway_pid_file, paths.gateway_log, hold_seconds)


def llmlink_processes() -> list[psutil.Process]:
    """Every live llm-link started from the test builds."""
    builds = str(builds_dir())
    found = []
    for proc in psutil.process_iter(["exe", "status", "environ"]):
        ours = (proc.info["environ"] or {}).get(SESSION_MARKER[0]) == SESSION_MARKER[1]
        if (proc.info["exe"] or "").startswith(builds) and ours and proc.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(proc)
    return found


def alive(pid: int) -> bool:
    """`pid` runs: exists and is no zombie (a killed child of someone else's is its parent's to reap)."""
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def open_subprocess_transports() -> list[asyncio.SubprocessTransport]:
    """asyncio's transports of child processes not closed yet: what the garbage collector would warn about."""
    return [t for t in gc.get_objects() if isinstance(t, asyncio.SubprocessTransport) and not t.is_closing()]
