"""What every benchmark shares: counts, the result row, a supervisor on real llm-link, waits and formatting.

Public API only (bench must keep working whatever the supervisor's insides become): a Supervisor is built
and driven as the controller does, and observed through its store.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.paths import Paths, llmlink_builds_dir
from app.secret import Secret
from app.supervisor.config import LlmLinkConfig
from app.supervisor.contract import LaunchRequest, build_launch, detect_contract
from app.supervisor.instance import Instance, launch
from app.supervisor.output_log import OutputLog
from app.supervisor.policy import Policy
from app.supervisor.state import Status
from app.supervisor.supervisor import Supervisor

REPO = Path(__file__).resolve().parent.parent
KEYS = {"zhipu": "zhipu-bench-key-0123456789"}
# A switch goes back and forth between these two (same provider, so the key check stays local).
PAIRS = (("zhipu", "glm-4-air"), ("zhipu", "glm-4-flash"))
DEFAULT_VERSION = "0.7.0"


@dataclass
class Counts:
    switches: int = 10
    hot: int = 20
    crashes: int = 50
    hangs: int = 3
    probes: int = 200
    cached_reads: int = 10_000
    idle_seconds: float = 60.0
    launches: int = 3
    soak: int = 1000


SMOKE = Counts(switches=2, hot=2, crashes=2, hangs=1, probes=5, cached_reads=100, idle_seconds=2.0, launches=1, soak=4)


@dataclass
class Row:
    """One line of the table (and of results.json)."""

    name: str
    value: str
    reference: str
    ratio: str
    target: str
    met: bool | None  # None: a reference, no target
    data: dict[str, Any] = field(default_factory=dict)


def default_binary() -> Path:
    return llmlink_builds_dir() / DEFAULT_VERSION / "bin" / "llm-link"


async def lookup(provider: str) -> Secret | None:
    """The supervisor's key lookup: fixed keys instead of the keyring."""
    return Secret(KEYS[provider]) if provider in KEYS else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --- the supervisor -----------------------------------------------------------------------------------


def new_supervisor(binary: Path, root: Path, policy: Policy, *, port: int | None = None, **config: Any) -> Supervisor:
    """A supervisor for `binary` with its files under `root`, as the app builds one (first of PAIRS by default)."""
    wanted = {"provider": PAIRS[0][0], "model": PAIRS[0][1], **config}
    llmlink = LlmLinkConfig(binary=str(binary), port=port or free_port(), **wanted)
    return Supervisor(llmlink, lookup, paths=Paths.under(root), policy=policy)


@contextlib.asynccontextmanager
async def opened_supervisor(binary: Path, policy: Policy) -> AsyncIterator[Supervisor]:
    """An opened (started) supervisor on a free port, closed (llm-link stopped) on the way out."""
    with tempfile.TemporaryDirectory() as root:
        sup = new_supervisor(binary, Path(root), policy)
        await sup.open()
        try:
            yield sup
        finally:
            await sup.close()


async def status_where(sup: Supervisor, predicate: Callable[[Status], bool], timeout: float = 10.0) -> Status:
    """The first published status (the current one included) that satisfies `predicate`."""
    return await sup.store.wait_for(predicate, timeout)


async def time_until(sup: Supervisor, predicate: Callable[[Status], bool], act: Callable[[], None]) -> float:
    """Seconds from `act()` to the first published status satisfying `predicate` (timed in the listener)."""
    seen: asyncio.Future[float] = asyncio.get_running_loop().create_future()

    def listener(status: Status) -> None:
        if predicate(status) and not seen.done():
            seen.set_result(time.perf_counter())

    leave = sup.store.subscribe(listener)
    started = time.perf_counter()
    act()
    try:
        return await asyncio.wait_for(seen, 30) - started
    finally:
        leave()


# --- llm-link without a supervisor, for the references -------------------------------------------------


@contextlib.asynccontextmanager
async def launched(binary: Path, port: int, provider: str, model: str) -> AsyncIterator[Instance]:
    """A verified llm-link on `port` through the app's one launch path (`instance.launch`), stopped on the
    way out: for references that need llm-link answering before they start their clock."""
    with tempfile.TemporaryDirectory() as root:
        output = OutputLog(Path(root) / "llm-link.log")
        config = LlmLinkConfig(provider=provider, model=model, port=port, binary=str(binary))
        instance = await launch(config, Secret(KEYS[provider]), output=output)
        try:
            yield instance
        finally:
            await instance.stop()
            output.close()


async def spawn_llmlink(binary: Path, port: int, provider: str, model: str) -> asyncio.subprocess.Process:
    """A bare llm-link process: the launch contract's argv and env, no readiness wait, no key swap, no
    verification, output discarded. Only for what measures llm-link itself (its cold start) or a client
    that spawns its own (the seed's)."""
    contract = await detect_contract(binary)
    plan = build_launch(contract, LaunchRequest(provider, port, model=model, api_key=Secret(KEYS[provider])))
    return await asyncio.create_subprocess_exec(
        str(binary), *plan.argv, env=dict(plan.env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


async def kill(proc: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        proc.kill()
    await proc.wait()
