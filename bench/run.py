"""Benchmarks: the supervisor against its anchors, measured in one run against real llm-link.

    .venv/bin/python -m bench.run [--smoke] [--json bench/results.json] [--binary PATH]

Every figure is printed next to a reference measured in the same run (these machines are noisy): llm-link's
own cold start for switches and launch, asyncio's own child-exit latency for crash detection. `--smoke` runs
each benchmark with tiny counts so the test suite keeps them working.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import psutil

from app.llmlink_client import LlmLinkClient, LlmLinkError
from app.paths import Paths
from app.secret import Secret
from app.supervisor.config import LlmLinkConfig
from app.supervisor.contract import LaunchRequest, build_launch, detect_contract
from app.supervisor.policy import Policy
from app.supervisor.state import State, Status
from app.supervisor.supervisor import Supervisor

REPO = Path(__file__).resolve().parent.parent
KEYS = {"zhipu": "zhipu-bench-key-0123456789"}
PAIRS = (("zhipu", "glm-4-air"), ("zhipu", "glm-4-flash"))


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
    name: str
    value: str
    reference: str
    ratio: str
    target: str
    met: bool | None
    data: dict[str, Any] = field(default_factory=dict)


async def lookup(provider: str) -> Secret | None:
    return Secret(KEYS[provider]) if provider in KEYS else None


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --- references -------------------------------------------------------------------------------------


async def cold_start(binary: Path, runs: int) -> list[float]:
    """llm-link's own cold start: spawn → first 200 from /api/health, polled as fast as the loop allows."""
    await detect_contract(binary)  # --help once, outside the timing
    times = []
    for _ in range(runs):
        port = free_port()
        async with httpx.AsyncClient(trust_env=False) as http:
            started = time.perf_counter()
            proc = await spawn_llmlink(binary, port, *PAIRS[0])
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(f"http://127.0.0.1:{port}/api/health", timeout=1)).status_code == 200:
                        break
                await asyncio.sleep(0.0005)
            times.append(time.perf_counter() - started)
            proc.kill()
            await proc.wait()
    return times


async def spawn_llmlink(binary: Path, port: int, provider: str, model: str) -> asyncio.subprocess.Process:
    """A bare llm-link through the launch contract (no supervisor), output discarded."""
    contract = await detect_contract(binary)
    plan = build_launch(contract, LaunchRequest(provider, port, model=model, api_key=Secret(KEYS[provider])))
    return await asyncio.create_subprocess_exec(
        str(binary), *plan.argv, env=dict(plan.env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


async def until_answers(client: LlmLinkClient, tries: int = 200) -> None:
    for _ in range(tries):
        with contextlib.suppress(LlmLinkError):
            await client.health()
            return
        await asyncio.sleep(0.01)


async def llmlink_own_swap(binary: Path, runs: int) -> float:
    """What llm-link itself takes for `/api/config/switch-provider` (it rebuilds its service in place)."""
    port = free_port()
    proc = await spawn_llmlink(binary, port, "zhipu", "glm-4-air")
    times = []
    async with LlmLinkClient(f"http://127.0.0.1:{port}") as client:
        await until_answers(client)
        for i in range(max(runs, 3)):
            started = time.perf_counter()
            await client.switch_provider("zhipu", model=PAIRS[i % 2][1], api_key=Secret(KEYS["zhipu"]))
            times.append(time.perf_counter() - started)
    proc.kill()
    await proc.wait()
    return statistics.median(times)


async def seed_reference_switch(binary: Path, supervisor_port: int) -> float:
    """The seed's client on the same work: update → kill → start → poll every 500 ms (20 tries) until the
    instance id changes and the provider matches."""
    proc = await spawn_llmlink(binary, supervisor_port, *PAIRS[0])
    async with LlmLinkClient(f"http://127.0.0.1:{supervisor_port}") as client:
        await until_answers(client, tries=500)
        started = time.perf_counter()
        update = await client.update(PAIRS[1][0], Secret(KEYS["zhipu"]), model=PAIRS[1][1])
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        proc = await spawn_llmlink(binary, supervisor_port, update.provider, update.model)
        elapsed = float("nan")
        for _ in range(20):
            with contextlib.suppress(LlmLinkError):
                health = await client.health()
                if health.instance_id != update.current_instance_id and health.provider == update.provider:
                    elapsed = time.perf_counter() - started
                    break
            await asyncio.sleep(0.5)
    with contextlib.suppress(ProcessLookupError):
        proc.kill()
    await proc.wait()
    return elapsed


# --- benchmarks -------------------------------------------------------------------------------------


async def with_supervisor(binary: Path, policy: Policy, body: Callable[[Supervisor], Awaitable[Any]]) -> Any:
    with tempfile.TemporaryDirectory() as root:
        sup = Supervisor(
            LlmLinkConfig(provider=PAIRS[0][0], model=PAIRS[0][1], binary=str(binary), port=free_port()),
            lookup,
            paths=Paths.under(Path(root)),
            policy=policy,
        )
        await sup.open()
        try:
            return await body(sup)
        finally:
            await sup.close()


async def bench_switch(binary: Path, counts: Counts, cold: float) -> list[Row]:
    async def body(sup: Supervisor) -> tuple[list[float], list[float]]:
        full, hot = [], []
        for i in range(counts.switches):
            provider, model = PAIRS[(i + 1) % 2]
            marks: dict[str, float] = {}
            result = await sup.switch(provider, model, progress=lambda s, m=marks: m.setdefault(s, time.perf_counter()))
            assert result.ok, result.error
            full.append(time.perf_counter() - marks["updating"])
        for i in range(counts.hot):
            provider, model = PAIRS[(i + 1) % 2]
            marks = {}
            result = await sup.switch(
                provider, model, hot=True, progress=lambda s, m=marks: m.setdefault(s, time.perf_counter())
            )
            assert result.ok, result
            assert result.path == "hot", result
            hot.append(time.perf_counter() - marks["updating"])
        return full, hot

    full, hot = await with_supervisor(binary, Policy(), body)
    switch, hot_median = statistics.median(full), statistics.median(hot)
    swap = await llmlink_own_swap(binary, counts.hot)
    # The floor of a switch: a cold start plus llm-link's own in-place key swap, which the modern contract
    # needs so that the key never enters argv.
    floor = cold + swap
    beyond = switch - floor
    seed = await seed_reference_switch(binary, free_port())
    allowed = max(0.2 * cold, 0.015)
    seed_seen = seed == seed  # NaN when the seed client never saw the restart
    return [
        Row(
            "llm-link's own switch-provider (reference)",
            ms(swap),
            "in-place service rebuild",
            "",
            "",
            None,
            {"median_s": swap},
        ),
        Row(
            "P1 switch (apply→verified)",
            ms(switch),
            f"cold {ms(cold)} + swap {ms(swap)}",
            f"{switch / floor:.2f}x",
            f"beyond floor ≤ {ms(allowed)}",
            beyond <= allowed,
            {"median_s": switch, "beyond_floor_s": beyond, "beyond_cold_s": switch - cold, "samples_s": full},
        ),
        Row(
            "P1 seed reference client",
            ms(seed) if seed_seen else "never saw the restart (same instance_id)",
            f"cold start {ms(cold)}",
            f"{seed / cold:.2f}x" if seed_seen else "",
            "(reference)",
            None,
            {"seconds": seed if seed_seen else None},
        ),
        Row(
            "P1b hot switch (apply→verified)",
            ms(hot_median),
            f"llm-link's own swap {ms(swap)}",
            f"{hot_median / swap:.2f}x",
            "≤ 10 ms",
            hot_median <= 0.010,
            {"median_s": hot_median, "samples_s": hot},
        ),
    ]


async def detect_exit(sup: Supervisor, kill: Callable[[int], None]) -> float:
    loop = asyncio.get_running_loop()
    seen: asyncio.Future[float] = loop.create_future()
    pid = sup.pid
    assert pid is not None

    def listener(status: Status) -> None:
        if status.state is State.ERROR and not seen.done():
            seen.set_result(time.perf_counter())

    leave = sup.store.subscribe(listener)
    started = time.perf_counter()
    kill(pid)
    try:
        return await asyncio.wait_for(seen, 10) - started
    finally:
        leave()


async def wait_running(sup: Supervisor, other_than: int | None = None) -> None:
    for _ in range(2000):
        if sup.status.state is State.RUNNING and sup.pid not in (None, other_than):
            return
        await asyncio.sleep(0.005)
    raise TimeoutError(f"not RUNNING again: {sup.status}")


async def bench_crash(binary: Path, counts: Counts) -> list[Row]:
    policy = Policy(backoff_first=0.01, backoff_max=0.01, crash_loop_starts=10**9)

    async def child(sup: Supervisor) -> list[float]:
        found = []
        for _ in range(counts.crashes):
            pid = sup.pid
            found.append(await detect_exit(sup, lambda p: os.kill(p, signal.SIGKILL)))
            await wait_running(sup, pid)
        return found

    child_times = await with_supervisor(binary, policy, child)
    adopted_times = []
    with tempfile.TemporaryDirectory() as root:
        port = free_port()
        for _ in range(counts.crashes):
            first = Supervisor(
                LlmLinkConfig(binary=str(binary), port=port, provider="zhipu"),
                lookup,
                paths=Paths.under(Path(root)),
                policy=policy,
            )
            await first.open()
            await first.close(stop_llmlink=False)
            sup = Supervisor(
                LlmLinkConfig(binary=str(binary), port=port, provider="zhipu"),
                lookup,
                paths=Paths.under(Path(root)),
                policy=replace(policy, auto_restart=False),
            )
            await sup.open()
            assert sup.status.state is State.RUNNING
            adopted_times.append(await detect_exit(sup, lambda p: os.kill(p, signal.SIGKILL)))
            await sup.close()
    reference = await asyncio_exit_latency(counts.crashes)
    rows = []
    for name, times, target in (
        ("P2 crash → state (child)", child_times, 0.010),
        ("P2 crash → state (adopted)", adopted_times, 0.050),
    ):
        med = statistics.median(times)
        rows.append(
            Row(
                name,
                f"median {ms(med)}, max {ms(max(times))}",
                f"asyncio wait() {ms(reference)}",
                f"{med / reference:.1f}x",
                f"≤ {ms(target)}",
                med <= target,
                {"median_s": med, "max_s": max(times), "samples_s": times},
            )
        )
    return rows


async def asyncio_exit_latency(runs: int) -> float:
    times = []
    for _ in range(runs):
        proc = await asyncio.create_subprocess_exec("sleep", "60")
        started = time.perf_counter()
        proc.kill()
        await proc.wait()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def bench_hang(binary: Path, counts: Counts) -> list[Row]:
    async def body(sup: Supervisor) -> list[float]:
        found = []
        for _ in range(counts.hangs):
            pid = sup.pid
            assert pid is not None
            loop = asyncio.get_running_loop()
            seen: asyncio.Future[float] = loop.create_future()
            leave = sup.store.subscribe(
                lambda s, f=seen: s.state is State.DEGRADED and not f.done() and f.set_result(time.perf_counter())
            )
            started = time.perf_counter()
            os.kill(pid, signal.SIGSTOP)
            try:
                found.append(await asyncio.wait_for(seen, 30) - started)
            finally:
                os.kill(pid, signal.SIGCONT)
                leave()
            await wait_running(sup)
        return found

    times = await with_supervisor(binary, Policy(), body)
    med = statistics.median(times)
    return [
        Row(
            "P3 hang → DEGRADED",
            f"median {ms(med)}, max {ms(max(times))}",
            "default settings",
            "",
            "≤ 3000 ms",
            max(times) <= 3.0,
            {"samples_s": times},
        )
    ]


async def bench_probe(binary: Path, counts: Counts) -> list[Row]:
    async def body(sup: Supervisor) -> tuple[list[float], list[float]]:
        full = []
        for _ in range(counts.probes):
            started = time.perf_counter()
            await sup._probe()
            full.append(time.perf_counter() - started)
        sup.store.ttl = 3600
        await sup.refresh_now()
        cached = []
        for _ in range(counts.cached_reads):
            started = time.perf_counter()
            await sup.store.get()
            cached.append(time.perf_counter() - started)
        return full, cached

    full, cached = await with_supervisor(binary, Policy(poll_enabled=False), body)
    p50, p99, c50 = pct(full, 0.5), pct(full, 0.99), pct(cached, 0.5)
    return [
        Row(
            "P4 full probe",
            f"p50 {ms(p50)}, p99 {ms(p99)}",
            "",
            "",
            "p50 ≤ 5 ms",
            p50 <= 0.005,
            {"p50_s": p50, "p99_s": p99},
        ),
        Row("P4 cached status read", f"p50 {c50 * 1e6:.1f} µs", "", "", "≤ 0.1 ms", c50 <= 0.0001, {"p50_s": c50}),
    ]


async def launch_tray(binary: Path, root: Path, port: int) -> tuple[asyncio.subprocess.Process, float]:
    (root / "config").mkdir(parents=True, exist_ok=True)
    (root / "config" / "settings.json").write_text(
        json.dumps({"llmlink": {"binary": str(binary), "port": port, "provider": "ollama", "model": "llama2"}})
    )
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        "--config-dir",
        str(root),
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    async for raw in proc.stderr:
        if b"supervising: Running" in raw:
            return proc, time.perf_counter() - started
        if b"supervising:" in raw:
            raise RuntimeError(raw.decode())
    raise RuntimeError("tray exited before supervising")


async def quit_tray(proc: asyncio.subprocess.Process, root: Path) -> None:
    quitter = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        "--config-dir",
        str(root),
        "quit",
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    await quitter.wait()
    await asyncio.wait_for(proc.wait(), 30)


async def bench_tray(binary: Path, counts: Counts, cold: float) -> list[Row]:
    launches = []
    idle: dict[str, float] = {}
    for i in range(counts.launches):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            proc, took = await launch_tray(binary, root, free_port())
            launches.append(took)
            if i == counts.launches - 1:
                tray = psutil.Process(proc.pid)
                await asyncio.sleep(1.0)  # let start-up work settle before measuring idle
                before = tray.cpu_times()
                started = time.perf_counter()
                await asyncio.sleep(counts.idle_seconds)
                after = tray.cpu_times()
                wall = time.perf_counter() - started
                idle = {
                    "cpu_percent": 100 * (after.user + after.system - before.user - before.system) / wall,
                    "rss_mb": tray.memory_info().rss / 2**20,
                    "seconds": wall,
                }
            await quit_tray(proc, root)
    launch = statistics.median(launches)
    return [
        Row(
            "P5 idle CPU (tray, llm-link RUNNING)",
            f"{idle['cpu_percent']:.3f} %",
            f"over {idle['seconds']:.0f} s",
            "",
            "≤ 0.2 %",
            idle["cpu_percent"] <= 0.2,
            idle,
        ),
        Row(
            "P5 idle RSS",
            f"{idle['rss_mb']:.1f} MB",
            "bare PySide6 tray ≈ 77 MB",
            f"{idle['rss_mb'] / 77:.2f}x",
            "≤ 90 MB",
            idle["rss_mb"] <= 90,
            idle,
        ),
        Row(
            "P6 launch → RUNNING, minus cold start",
            ms(launch - cold),
            f"launch {ms(launch)}, cold {ms(cold)}",
            "",
            "≤ 600 ms",
            launch - cold <= 0.6,
            {"launch_s": launch, "samples_s": launches},
        ),
    ]


async def bench_soak(binary: Path, counts: Counts) -> list[Row]:
    me = psutil.Process()

    async def body(sup: Supervisor) -> dict[str, Any]:
        failures = 0
        for i in range(min(10, counts.soak)):  # warm up before the baseline
            await sup.switch(*PAIRS[i % 2])
        rss0, fds0 = me.memory_info().rss, me.num_fds()
        for i in range(counts.soak):
            result = await sup.switch(*PAIRS[i % 2])
            failures += not result.ok
        builds = str(binary.resolve().parent)
        live = [
            p
            for p in psutil.process_iter(["exe", "status"])
            if (p.info["exe"] or "").startswith(builds) and p.info["status"] != psutil.STATUS_ZOMBIE
        ]
        return {
            "switches": counts.soak,
            "failures": failures,
            "llmlink_processes": len(live),
            "fd_growth": me.num_fds() - fds0,
            "rss_growth_mb": (me.memory_info().rss - rss0) / 2**20,
        }

    soak = await with_supervisor(binary, Policy(), body)
    ok = (
        soak["failures"] == 0
        and soak["llmlink_processes"] == 1
        and soak["fd_growth"] <= 0
        and soak["rss_growth_mb"] <= 5
    )
    return [
        Row(
            "Soak: switches back and forth",
            f"{soak['switches']} switches, {soak['failures']} failures, {soak['llmlink_processes']} llm-link, "
            f"fds {soak['fd_growth']:+d}, RSS {soak['rss_growth_mb']:+.1f} MB",
            "",
            "",
            "0 failures, 1 process, no fd leak, RSS ≤ +5 MB",
            ok,
            soak,
        )
    ]


def default_binary() -> Path:
    cache = Path(
        os.environ.get("LLM_LINK_TRAY_BUILDS")
        or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "llm-link-tray" / "llm-link"
    )
    return cache / "0.7.0" / "bin" / "llm-link"


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.run")
    parser.add_argument("--smoke", action="store_true", help="tiny counts: check that every benchmark runs")
    parser.add_argument("--binary", type=Path, default=default_binary())
    parser.add_argument("--json", type=Path, default=REPO / "bench" / "results.json")
    parser.add_argument("--only", nargs="*", help="run only these: switch crash hang probe tray soak")
    args = parser.parse_args(argv)
    counts = SMOKE if args.smoke else Counts()
    chosen = set(args.only or ["switch", "crash", "hang", "probe", "tray", "soak"])
    cold_samples = await cold_start(args.binary, 3 if args.smoke else 10)
    cold = statistics.median(cold_samples)
    rows: list[Row] = [
        Row(
            "llm-link cold start (reference)",
            ms(cold),
            f"{len(cold_samples)} runs",
            "",
            "",
            None,
            {"median_s": cold, "samples_s": cold_samples},
        )
    ]
    for name, run in (
        ("switch", lambda: bench_switch(args.binary, counts, cold)),
        ("crash", lambda: bench_crash(args.binary, counts)),
        ("hang", lambda: bench_hang(args.binary, counts)),
        ("probe", lambda: bench_probe(args.binary, counts)),
        ("tray", lambda: bench_tray(args.binary, counts, cold)),
        ("soak", lambda: bench_soak(args.binary, counts)),
    ):
        if name in chosen:
            rows += await run()
    width = max(len(r.name) for r in rows)
    print(f"{'benchmark':<{width}}  {'measured':<44} {'reference':<34} {'ratio':<7} target")
    for r in rows:
        verdict = "" if r.met is None else (" ✓" if r.met else " ✗ MISSED")
        print(f"{r.name:<{width}}  {r.value:<44} {r.reference:<34} {r.ratio:<7} {r.target}{verdict}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "smoke": args.smoke,
                "binary": str(args.binary),
                "rows": [
                    {
                        "name": r.name,
                        "value": r.value,
                        "reference": r.reference,
                        "ratio": r.ratio,
                        "target": r.target,
                        "met": r.met,
                        "data": r.data,
                    }
                    for r in rows
                ],
            },
            indent=2,
        )
    )
    print(f"\nwritten: {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
