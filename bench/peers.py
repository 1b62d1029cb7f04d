"""R1 to R5: the tray against the peers a user would pick instead, side by side in one run on the same llm-link
build (issue 13). Arrangements are in bench/peer_arrangements.py; every figure is taken through the
user-facing port (`sup.config.port` for the tray: the gateway's once it lands) with editor requests
(`GET /api/tags`, Zed's first call).

- R1 crash → serving again: SIGKILL llm-link, then editor requests 1 ms apart until one succeeds; a fresh
  arrangement per sample (a first crash after a healthy run: no backoff or start limit carried over), killed
  0 to 1 s after it settled (supervisord's tick is 1 s), while an editor client fires 20 req/s (a new
  connection each) and counts what failed.
- R2 crash loop: the real llm-link told a flag it does not know (it exits at once with status 2); spawns within
  `loop_seconds` of the first, and the time from the first spawn to a clear final state.
- R3 hang: SIGSTOP; time to a visible state, recovery after SIGCONT, and the tray's own restart of a hung one.
- R4 switches as an editor sees them: the tray's `switch` against the seed's client (update → kill → start →
  poll `/api/health` every 500 ms until `instance_id` changes), while the 20 req/s editor client runs.
- R5 idle cost: the real tray (`python -m app`) with everything it owns, supervisord + llm-link, and a bare
  PySide6 tray (bench/peer_tray.py), in one idle window.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import psutil

from app.llmlink_client import LlmLinkClient, LlmLinkError
from app.paths import Paths
from app.secret import Secret
from app.supervisor.policy import Policy
from app.supervisor.state import State, Status
from bench import cold_start
from bench import tray as tray_bench
from bench.fixture import KEYS, PAIRS, REPO, SMOKE, Counts, Row, free_port, kill, launched, ms
from bench.peer_arrangements import (
    EDITOR_ROUTE,
    Arrangement,
    Supervisord,
    Tray,
    ollama_loop,
    peer_command,
    pidfile_pids,
    systemd_loop,
    terminate,
    until_serving,
)

EDITOR_RATE = 20.0  # requests per second from the looping editor client
EDITOR_TIMEOUT = 30.0  # an editor waits this long for an answer (longer than the gateway's 10 s hold)
SEED_POLL, SEED_TRIES = 0.5, 20  # the seed client: /api/health every 500 ms, 20 times
RESTART_SEC = 0.1
# supervisord notices a dead child on its 1 s tick: R1 kills at a random moment of it, the same draws each run.
PHASE = random.Random(13)  # noqa: S311 - moments, not secrets


@dataclass
class PeerCounts:
    crashes: int = 30
    loop_seconds: float = 60.0
    hangs: int = 3
    hang_restarts: int = 1
    switches: int = 100
    idle_seconds: float = 60.0
    # None: the policy's own (10 s); the smoke run shortens it so the tray's restart of a hang fits.
    degraded_restart_after: float | None = None


PEER_SMOKE = PeerCounts(
    crashes=2, loop_seconds=3.0, hangs=1, hang_restarts=1, switches=2, idle_seconds=2.0, degraded_restart_after=1.0
)


def counts_for(counts: Counts) -> PeerCounts:
    """The peer counts that go with bench.run's: smoke when it is a smoke run."""
    return PEER_SMOKE if counts == SMOKE else PeerCounts()


# --- the looping editor -------------------------------------------------------------------------------


@dataclass
class EditorLoop:
    """An editor firing `EDITOR_RATE` requests per second at the user-facing port, each on a new connection, each
    waiting up to `EDITOR_TIMEOUT`; what came back is counted."""

    port: int
    outcomes: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)

    async def __aenter__(self) -> EditorLoop:
        self.http = httpx.AsyncClient(trust_env=False, limits=httpx.Limits(max_keepalive_connections=0))
        self.pending: set[asyncio.Task[None]] = set()
        self.stopping = False
        self.firing = asyncio.create_task(self.fire())
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.stopping = True
        await self.firing
        await asyncio.gather(*self.pending)
        await self.http.aclose()

    async def fire(self) -> None:
        started, sent = time.perf_counter(), 0
        while not self.stopping:
            task = asyncio.create_task(self.one())
            self.pending.add(task)
            task.add_done_callback(self.pending.discard)
            sent += 1
            await asyncio.sleep(max(0.0, started + sent / EDITOR_RATE - time.perf_counter()))

    async def one(self) -> None:
        began = time.perf_counter()
        try:
            answer = await self.http.get(f"http://127.0.0.1:{self.port}{EDITOR_ROUTE}", timeout=EDITOR_TIMEOUT)
            outcome = "ok" if answer.status_code == 200 else f"HTTP {answer.status_code}"
        except httpx.ConnectError:
            outcome = "refused"
        except httpx.TimeoutException:
            outcome = "timeout"
        except httpx.HTTPError as exc:
            outcome = type(exc).__name__
        self.latencies.append(time.perf_counter() - began)
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    @property
    def sent(self) -> int:
        return sum(self.outcomes.values())

    @property
    def failed(self) -> int:
        return self.sent - self.outcomes.get("ok", 0)


def merge(outcomes: list[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for one in outcomes:
        for k, v in one.items():
            total[k] = total.get(k, 0) + v
    return total


# --- the arrangements compared ------------------------------------------------------------------------

Factory = Callable[[Path], Arrangement]


def supervising_peers() -> list[Factory]:
    """Every peer that restarts llm-link after a crash, the systemd-style loop first (R1's yardstick)."""
    return [
        systemd_loop,
        lambda b: Supervisord(b, startsecs=1),
        lambda b: Supervisord(b, startsecs=0),
        ollama_loop,
    ]


# --- R1 -----------------------------------------------------------------------------------------------


@dataclass
class CrashResult:
    label: str
    key_note: str
    times: list[float]
    outcomes: dict[str, int]

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def failed(self) -> int:
        return sum(v for k, v in self.outcomes.items() if k != "ok")

    @property
    def sent(self) -> int:
        return sum(self.outcomes.values())


async def crash_samples(make: Callable[[], Arrangement], n: int) -> CrashResult:
    times, outcomes, label, note = [], [], "", ""
    for _ in range(n):
        async with make() as arr:
            label, note = arr.label, arr.key_note
            await arr.start()
            pid = await arr.current_pid()
            await asyncio.sleep(PHASE.uniform(0.0, 1.0))  # a crash comes at any moment of a peer's own cycle
            async with EditorLoop(arr.port) as editor:
                started = time.perf_counter()
                os.kill(pid, signal.SIGKILL)
                times.append(await until_serving(arr.port) - started)
            outcomes.append(editor.outcomes)
            await arr.settled()
            await arr.current_pid()  # the new one, so that leftovers are found
    return CrashResult(label, note, times, merge(outcomes))


async def update_key_time(binary: Path, runs: int) -> float:
    """llm-link's own `update-key` (the tray's key swap after every start on 0.5.1+)."""
    port, times = free_port(), []
    async with launched(binary, port, *PAIRS[0]), LlmLinkClient(f"http://127.0.0.1:{port}") as client:
        for _ in range(runs):
            started = time.perf_counter()
            await client.update_key(PAIRS[0][0], Secret(KEYS[PAIRS[0][0]]))
            times.append(time.perf_counter() - started)
    return statistics.median(times)


async def r1(binary: Path, pc: PeerCounts, run_cold: float) -> list[Row]:
    # The cold start again, right before and after the samples: the run's own reference (`run_cold`) was taken
    # minutes earlier, and on a shared machine the moment matters.
    colds = await cold_start.cold_start(binary, max(3, pc.crashes // 2))
    peers = [await crash_samples(partial(make, binary), pc.crashes) for make in supervising_peers()]
    # (A "what-if" row with backoff_first = 0.1 s measured the change before it was made; the policy has it now.)
    ours = await crash_samples(lambda: Tray(binary), pc.crashes)
    swap = await update_key_time(binary, max(3, pc.crashes // 3))
    colds += await cold_start.cold_start(binary, max(3, pc.crashes // 2))
    cold = statistics.median(colds)
    systemd = peers[0]
    backoff = Policy().backoff_first
    floor = backoff + cold + swap
    rows = []
    for result in [ours, *peers]:
        ratio = result.median / systemd.median
        per_crash = result.failed / len(result.times)
        value = (
            f"median {ms(result.median)}, max {ms(max(result.times))}; failed {result.failed}/{result.sent} "
            f"({per_crash:.1f}/crash)"
        )
        data: dict[str, Any] = {
            "median_s": result.median,
            "max_s": max(result.times),
            "samples_s": result.times,
            "outcomes": result.outcomes,
            "failed_per_crash": per_crash,
            "start": result.key_note,
        }
        if result is ours:
            met = ratio <= 1.2 and result.failed == 0
            reference = f"systemd-style {ms(systemd.median)}; floor {ms(floor)}"
            target = "≤ 1.2x systemd-style, 0 failed"
            data |= {"floor_s": floor, "backoff_first_s": backoff, "cold_s": cold, "update_key_s": swap}
            data |= {"cold_samples_s": colds, "run_cold_s": run_cold}
        elif result is systemd:
            met, target = None, "(yardstick)"
            reference = f"RestartSec {ms(RESTART_SEC)} + cold {ms(cold)} = {ms(RESTART_SEC + cold)}"
            ratio = result.median / (RESTART_SEC + cold)
        else:
            met, target, reference = None, "(peer)", f"systemd-style {ms(systemd.median)}"
        rows.append(Row(f"R1 crash → serving: {result.label}", value, reference, f"{ratio:.2f}x", target, met, data))
    rows.append(
        Row(
            "R1 tray floor (backoff + cold + update-key)",
            ms(floor),
            f"backoff_first {ms(backoff)} + cold {ms(cold)} + update-key {ms(swap)}",
            f"{floor / systemd.median:.2f}x",
            "(floor)",
            None,
            {"floor_s": floor, "backoff_first_s": backoff, "cold_s": cold, "update_key_s": swap},
        )
    )
    rows.append(
        Row(
            "R1 seed client",
            "no restart after a crash (it restarts only for a switch)",
            "",
            "",
            "(peer)",
            None,
        )
    )
    return rows


# --- R2 -----------------------------------------------------------------------------------------------


def exits_at_once(binary: Path, folder: Path) -> tuple[Path, Path]:
    """The real llm-link, told a flag it does not know: it exits at once with status 2. `--help` (the contract
    check) passes through. Every other start appends `pid unix-time` to the counter file."""
    counter = folder / "starts"
    wrapper = folder / "llm-link"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'for a in "$@"; do [ "$a" = "--help" ] && exec "{binary}" "$@"; done\n'
        f'echo "$$ $(date +%s.%N)" >> "{counter}"\n'
        f'exec "{binary}" "$@" --no-such-flag\n'
    )
    wrapper.chmod(0o755)
    counter.touch()
    return wrapper, counter


async def crash_loop(make: Callable[[Path], Arrangement], binary: Path, seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        wrapper, counter = exits_at_once(binary, Path(tmp))
        async with make(wrapper) as arr:
            launched_at = time.time()
            await arr.start(serve=False)
            final, final_at = None, None
            while time.time() < launched_at + seconds + 1:
                final = await arr.final_state()
                if final is not None:
                    final_at = time.time()
                    break
                await asyncio.sleep(0.02)
            label = arr.label
        starts = [float(line.split()[1]) for line in counter.read_text().splitlines() if line.strip()]
    first = starts[0] if starts else launched_at
    within = [s for s in starts if s <= first + seconds]
    return {
        "label": label,
        "spawns": len(within),
        "final": final,
        "to_final_s": None if final_at is None else final_at - first,
        "window_s": seconds,
    }


async def r2(binary: Path, pc: PeerCounts) -> list[Row]:
    rows = []
    makers: list[Callable[[Path], Arrangement]] = [Tray, *supervising_peers()]
    for make in makers:
        found = await crash_loop(make, binary, pc.loop_seconds)
        if found["final"] is not None:
            value = f"{found['spawns']} spawns; {found['final']} after {ms(found['to_final_s'])}"
        else:
            value = f"{found['spawns']} spawns in {pc.loop_seconds:g} s; no final state (restarts forever)"
        is_tray = make is Tray
        rows.append(
            Row(
                f"R2 crash loop: {found['label']}",
                value,
                "exits at once (status 2)",
                "",
                "clear final state, no busy loop" if is_tray else "(peer)",
                (found["final"] is not None and found["spawns"] <= 10) if is_tray else None,
                found,
            )
        )
    rows.append(Row("R2 crash loop: seed client", "no restart after an exit", "", "", "(peer)", None))
    return rows


# --- R3 -----------------------------------------------------------------------------------------------


def running_anew(old: int, status: Status) -> bool:
    return status.state is State.RUNNING and status.pid not in (None, old)


async def hang_tray(binary: Path, pc: PeerCounts) -> dict[str, Any]:
    visible, cont_serving, cont_running, own = [], [], [], []
    async with Tray(binary) as arr:
        await arr.start()
        sup = arr.supervisor
        for _ in range(pc.hangs):
            pid = await arr.current_pid()
            stopped = time.perf_counter()
            os.kill(pid, signal.SIGSTOP)
            try:
                await sup.store.wait_for(lambda s: s.state is State.DEGRADED, 30)
                visible.append(time.perf_counter() - stopped)
            finally:
                resumed = time.perf_counter()
                os.kill(pid, signal.SIGCONT)
            cont_serving.append(await until_serving(arr.port) - resumed)
            await sup.store.wait_for(lambda s: s.state is State.RUNNING, 30)
            cont_running.append(time.perf_counter() - resumed)
    policy = Policy()
    if pc.degraded_restart_after is not None:
        policy = replace(policy, degraded_restart_after=pc.degraded_restart_after)
    for _ in range(pc.hang_restarts):
        async with Tray(binary, policy) as arr:
            await arr.start()
            sup = arr.supervisor
            pid = await arr.current_pid()
            stopped = time.perf_counter()
            os.kill(pid, signal.SIGSTOP)
            await sup.store.wait_for(partial(running_anew, pid), 180)
            own.append(await until_serving(arr.port) - stopped)
            await arr.current_pid()
    return {
        "visible_s": visible,
        "sigcont_serving_s": cont_serving,
        "sigcont_running_s": cont_running,
        "own_restart_s": own,
        "degraded_restart_after_s": policy.degraded_restart_after,
    }


async def hang_peer(make: Factory, binary: Path, pc: PeerCounts, hold: float) -> dict[str, Any]:
    states, cont = [], []
    label = ""
    for _ in range(pc.hangs):
        async with make(binary) as arr:
            label = arr.label
            await arr.start()
            pid = await arr.current_pid()
            os.kill(pid, signal.SIGSTOP)
            try:
                await asyncio.sleep(hold)  # as long as the tray took to show it, and more
                states.append(await arr.state_text())
                still = await arr.llmlink_pid()
            finally:
                resumed = time.perf_counter()
                os.kill(pid, signal.SIGCONT)
            cont.append(await until_serving(arr.port) - resumed)
            if still != pid:
                states[-1] += f" (llm-link {pid} replaced by {still})"
    return {"label": label, "states_during_hang": states, "sigcont_serving_s": cont, "hold_s": hold}


async def r3(binary: Path, pc: PeerCounts) -> list[Row]:
    ours = await hang_tray(binary, pc)
    hold = max(3.0, 1.5 * max(ours["visible_s"]))
    vis, own = ours["visible_s"], ours["own_restart_s"]
    rows = [
        Row(
            "R3 hang → visible: tray",
            f"DEGRADED after median {ms(statistics.median(vis))}, max {ms(max(vis))}",
            "default policy",
            "",
            "visible",
            True,
            ours,
        ),
        Row(
            "R3 hang, SIGCONT → serving: tray",
            f"median {ms(statistics.median(ours['sigcont_serving_s']))}; RUNNING shown after "
            f"{ms(statistics.median(ours['sigcont_running_s']))}",
            "",
            "",
            "",
            None,
            ours,
        ),
        Row(
            "R3 hang → tray's own restart → serving",
            f"median {ms(statistics.median(own))}, max {ms(max(own))}",
            f"degraded_restart_after {ours['degraded_restart_after_s']:g} s",
            f"{statistics.median(own) / ours['degraded_restart_after_s']:.2f}x",
            "",
            None,
            ours,
        ),
    ]
    for make in supervising_peers():
        found = await hang_peer(make, binary, pc, hold)
        cont = found["sigcont_serving_s"]
        rows.append(
            Row(
                f"R3 hang: {found['label']}",
                f"cannot see hangs: still '{found['states_during_hang'][0]}' after {hold:.1f} s; SIGCONT → serving "
                f"{ms(statistics.median(cont))}",
                "",
                "",
                "(peer)",
                None,
                found,
            )
        )
    rows.append(Row("R3 hang: seed client", "cannot see hangs (it polls only during a switch)", "", "", "(peer)", None))
    return rows


# --- R4 -----------------------------------------------------------------------------------------------


async def switches_tray(binary: Path, n: int) -> dict[str, Any]:
    async with Tray(binary) as arr:
        await arr.start()
        ctl, failed_switches = arr.controller, 0
        async with EditorLoop(arr.port) as editor:
            started = time.perf_counter()
            for i in range(n):
                result = await ctl.switch(*PAIRS[(i + 1) % 2])
                failed_switches += not result.ok
            took = time.perf_counter() - started
            await arr.current_pid()
    return editor_figures("tray", editor, n, took, {"switches_failed": failed_switches})


async def switches_seed(binary: Path, n: int) -> dict[str, Any]:
    """The seed's client: update → SIGKILL → start its own llm-link (key in argv) → poll `/api/health` every
    500 ms (20 times) until the instance id changed and the provider matches."""
    port = free_port()
    argv, env = await peer_command(binary, port, *PAIRS[0])
    proc = await asyncio.create_subprocess_exec(*argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    unconfirmed, started = 0, time.perf_counter()
    try:
        await until_serving(port)
        async with LlmLinkClient(f"http://127.0.0.1:{port}") as client, EditorLoop(port) as editor:
            started = time.perf_counter()
            for i in range(n):
                provider, model = PAIRS[(i + 1) % 2]
                update = await client.update(provider, Secret(KEYS[provider]), model=model)
                await kill(proc)
                argv, env = await peer_command(binary, port, update.provider, update.model)
                proc = await asyncio.create_subprocess_exec(
                    *argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
                for _ in range(SEED_TRIES):
                    with contextlib.suppress(LlmLinkError):
                        health = await client.health()
                        if health.instance_id != update.current_instance_id and health.provider == update.provider:
                            break
                    await asyncio.sleep(SEED_POLL)  # the seed client's own poll interval: part of what it does
                else:
                    unconfirmed += 1
            took = time.perf_counter() - started
    finally:
        await kill(proc)
    return editor_figures("seed client + restart", editor, n, took, {"switches_unconfirmed": unconfirmed})


def editor_figures(label: str, editor: EditorLoop, n: int, took: float, extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "label": label,
        "switches": n,
        "seconds": took,
        "per_switch_s": took / n,
        "sent": editor.sent,
        "failed": editor.failed,
        "outcomes": editor.outcomes,
        "longest_s": max(editor.latencies, default=0.0),
        **extra,
    }


async def r4(binary: Path, pc: PeerCounts) -> list[Row]:
    ours = await switches_tray(binary, pc.switches)
    seed = await switches_seed(binary, pc.switches)
    rows = []
    for found in (ours, seed):
        is_tray = found is ours
        note = (
            f"; {found['switches_failed']} switches failed"
            if is_tray
            else f"; {found['switches_unconfirmed']} never confirmed (same instance_id)"
        )
        rows.append(
            Row(
                f"R4 switches as an editor sees them: {found['label']}",
                f"failed {found['failed']}/{found['sent']}, longest {ms(found['longest_s'])}; "
                f"{ms(found['per_switch_s'])}/switch{note}",
                f"seed: failed {seed['failed']}/{seed['sent']}" if is_tray else "key in argv, no key swap",
                f"{found['longest_s'] / seed['longest_s']:.2f}x" if is_tray and seed["longest_s"] else "",
                "0 failed" if is_tray else "(peer)",
                found["failed"] == 0 if is_tray else None,
                found,
            )
        )
    return rows


# --- R5 -----------------------------------------------------------------------------------------------


def tray_owned(tray_pid: int, state_dir: Path) -> list[psutil.Process]:
    """The tray, its descendants and whatever its PID files name (the gateway, llm-link)."""
    procs = {tray_pid: psutil.Process(tray_pid)}
    with contextlib.suppress(psutil.Error):
        procs |= {c.pid: c for c in procs[tray_pid].children(recursive=True)}
    for pid in pidfile_pids(state_dir):
        with contextlib.suppress(psutil.Error):
            procs.setdefault(pid, psutil.Process(pid))
    return list(procs.values())


def is_llmlink(proc: psutil.Process, binary: Path) -> bool:
    with contextlib.suppress(psutil.Error, OSError):
        return Path(proc.exe()).resolve() == binary.resolve()
    return False


def describe(proc: psutil.Process) -> dict[str, Any]:
    """pid, what it runs (argv without values that could be keys) and its RSS: which process costs what."""
    with contextlib.suppress(psutil.Error):
        argv = proc.cmdline()
        return {"pid": proc.pid, "argv": [a for a in argv[:4] if not a.startswith("-")], "rss_mb": rss_mb([proc])}
    return {"pid": proc.pid}


def cpu_seconds(procs: list[psutil.Process]) -> float:
    total = 0.0
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            t = proc.cpu_times()
            total += t.user + t.system
    return total


def rss_mb(procs: list[psutil.Process]) -> float:
    total = 0
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            total += proc.memory_info().rss
    return total / 2**20


async def start_bare_tray() -> asyncio.subprocess.Process:
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.peer_tray", cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 60)
    if not line.startswith(b"BARE_TRAY_READY"):
        raise RuntimeError("the bare tray did not start")
    return proc


async def start_bare_python() -> asyncio.subprocess.Process:
    """The floor of any Python supervisor process: the interpreter with asyncio imported, idle in its loop."""
    program = "import asyncio\nprint('READY', flush=True)\nasyncio.run(asyncio.Event().wait())\n"
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", program, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    await asyncio.wait_for(proc.stdout.readline(), 30)
    return proc


async def r5(binary: Path, pc: PeerCounts) -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        tray_proc, _ = await tray_bench.launch_tray(binary, root, free_port())
        bare = await start_bare_tray()
        python = await start_bare_python()
        peer = Supervisord(binary, startsecs=1, provider="ollama", model="llama2")
        try:
            await peer.start()
            await asyncio.sleep(tray_bench.SETTLE)  # start-up work (first poll, imports) finishes
            ours = tray_owned(tray_proc.pid, Paths.under(root).state_dir)
            ours_llmlink = [p for p in ours if is_llmlink(p, binary)]
            ours_side = [p for p in ours if not is_llmlink(p, binary)]
            assert peer.proc is not None
            supervisord = [psutil.Process(peer.proc.pid)]
            peer_llmlink = [p for p in supervisord[0].children(recursive=True) if is_llmlink(p, binary)]
            bare_tray = [psutil.Process(bare.pid)]
            groups = {p.pid: [p] for p in [*ours, *supervisord, *peer_llmlink, *bare_tray]} | {
                "bare_python": [psutil.Process(python.pid)],
                "tray_side": ours_side,
                "tray_llmlink": ours_llmlink,
                "supervisord": supervisord,
                "supervisord_llmlink": peer_llmlink,
                "bare_tray": bare_tray,
            }
            before = {k: cpu_seconds(v) for k, v in groups.items()}
            started = time.perf_counter()
            await asyncio.sleep(pc.idle_seconds)  # the idle window itself
            wall = time.perf_counter() - started
            cpu = {k: 100 * (cpu_seconds(v) - before[k]) / wall for k, v in groups.items()}
            rss = {k: rss_mb(v) for k, v in groups.items()}
            names = sorted({p.name() for p in ours_side})
            each = [describe(p) | {"cpu_percent": cpu[p.pid]} for p in [*ours, *supervisord, *peer_llmlink, *bare_tray]]
            cpu = {k: v for k, v in cpu.items() if isinstance(k, str)}
            rss = {k: v for k, v in rss.items() if isinstance(k, str)}
        finally:
            await peer.stop()
            await terminate(bare)
            await terminate(python)
            await tray_bench.quit_tray(tray_proc, root)
    data = {"cpu_percent": cpu, "rss_mb": rss, "seconds": wall, "tray_side_processes": names, "processes": each}
    over_rss = rss["tray_side"] - rss["bare_tray"]
    over_cpu = cpu["tray_side"] - cpu["bare_tray"]
    met = over_rss <= rss["supervisord"] and over_cpu <= cpu["supervisord"]
    python_side = [p for p in each if p["pid"] in {q.pid for q in ours_side}]
    floor = len(python_side) * rss["bare_python"]
    return [
        Row(
            "R5 idle: tray side (tray, gateway, all it owns but llm-link)",
            f"RSS {rss['tray_side']:.1f} MB, CPU {cpu['tray_side']:.3f} % ({len(ours_side)} processes)",
            f"+ llm-link {rss['tray_llmlink']:.1f} MB, {cpu['tray_llmlink']:.3f} %",
            "",
            "",
            None,
            data,
        ),
        Row(
            "R5 idle: bare PySide6 tray (reference)",
            f"RSS {rss['bare_tray']:.1f} MB, CPU {cpu['bare_tray']:.3f} %",
            "bench/peer_tray.py",
            "",
            "",
            None,
            data,
        ),
        Row(
            "R5 idle: supervisord's own",
            f"RSS {rss['supervisord']:.1f} MB, CPU {cpu['supervisord']:.3f} %",
            f"+ llm-link {rss['supervisord_llmlink']:.1f} MB, {cpu['supervisord_llmlink']:.3f} %",
            "",
            "(peer)",
            None,
            data,
        ),
        Row(
            "R5 our overhead (tray side minus bare tray)",
            f"RSS {over_rss:.1f} MB, CPU {over_cpu:.3f} %",
            f"supervisord {rss['supervisord']:.1f} MB, {cpu['supervisord']:.3f} %",
            f"{over_rss / rss['supervisord']:.2f}x RSS",
            "≤ supervisord's RSS and CPU",
            met,
            data | {"overhead_rss_mb": over_rss, "overhead_cpu_percent": over_cpu},
        ),
        Row(
            "R5 floor: an idle asyncio Python process",
            f"RSS {rss['bare_python']:.1f} MB, CPU {cpu['bare_python']:.3f} %",
            f"x {len(python_side)} tray-side processes = {floor:.1f} MB",
            "",
            "(floor)",
            None,
            data | {"floor_rss_mb": floor},
        ),
    ]


# --- all ----------------------------------------------------------------------------------------------


async def run(binary: Path, counts: Counts, cold: float, peer_counts: PeerCounts | None = None) -> list[Row]:
    pc = peer_counts or counts_for(counts)
    rows = await r1(binary, pc, cold)
    rows += await r2(binary, pc)
    rows += await r3(binary, pc)
    rows += await r4(binary, pc)
    rows += await r5(binary, pc)
    return rows
