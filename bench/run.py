"""Benchmarks: the supervisor against its anchors, measured in one run against real llm-link.

    .venv/bin/python -m bench.run [--smoke] [--json bench/results.json] [--binary PATH] [--only switch …]

Every figure is printed next to a reference measured in the same run (these machines are noisy): llm-link's
own cold start for switches and launch, asyncio's own child-exit latency for crash detection. `--smoke` runs
each benchmark with tiny counts so the test suite keeps them working.

One module per benchmark (bench/switch.py, crash.py, hang.py, probe.py, tray.py, soak.py, gateway.py), each with
`async run(binary, counts, cold) -> list[Row]`; what they share is in bench/fixture.py.

`peers` (bench/peers.py, issue 13) runs the tray against supervisord, a systemd-style loop, the Ollama app's
policy and the seed's client, R1 to R5. A full run takes about half an hour, so it runs only when named
(`--only peers`); `--peer-crashes N` (R1 samples, 30), `--peer-switches N` (R4, 100) and `--peer-seconds S`
(R2's window and R5's idle window, 60) shorten it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import replace
from functools import partial
from pathlib import Path

from bench import cold_start, crash, gateway, hang, peers, probe, soak, switch, tray
from bench.fixture import REPO, SMOKE, Counts, Row, default_binary

Benchmark = Callable[[Path, Counts, float], Awaitable[list[Row]]]

# In the order they run and print.
BENCHMARKS: dict[str, Benchmark] = {
    "switch": switch.run,
    "crash": crash.run,
    "hang": hang.run,
    "probe": probe.run,
    "tray": tray.run,
    "soak": soak.run,
    "gateway": gateway.run,
    "peers": peers.run,
}
# Run only when named in --only: long (see above).
ON_REQUEST = {"peers"}


def print_table(rows: list[Row]) -> None:
    width = max(len(r.name) for r in rows)
    print(f"{'benchmark':<{width}}  {'measured':<44} {'reference':<34} {'ratio':<7} target")
    for r in rows:
        verdict = "" if r.met is None else (" ✓" if r.met else " ✗ MISSED")
        print(f"{r.name:<{width}}  {r.value:<44} {r.reference:<34} {r.ratio:<7} {r.target}{verdict}")


def write_json(path: Path, rows: list[Row], *, smoke: bool, binary: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fields = ("name", "value", "reference", "ratio", "target", "met", "data")
    document = {"smoke": smoke, "binary": str(binary), "rows": [{f: getattr(r, f) for f in fields} for r in rows]}
    path.write_text(json.dumps(document, indent=2))


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.run")
    parser.add_argument("--smoke", action="store_true", help="tiny counts: check that every benchmark runs")
    parser.add_argument("--binary", type=Path, default=default_binary())
    parser.add_argument("--json", type=Path, default=REPO / "bench" / "results.json")
    parser.add_argument("--only", nargs="*", choices=list(BENCHMARKS), help="run only these")
    parser.add_argument("--peer-crashes", type=int, help="peers: R1 samples per arrangement (30)")
    parser.add_argument("--peer-switches", type=int, help="peers: R4 switches each (100)")
    parser.add_argument("--peer-seconds", type=float, help="peers: R2 crash-loop window and R5 idle window (60)")
    args = parser.parse_args(argv)
    counts = SMOKE if args.smoke else Counts()
    peer_counts = peers.counts_for(counts)
    for option, fields in (
        ("peer_crashes", ("crashes",)),
        ("peer_switches", ("switches",)),
        ("peer_seconds", ("loop_seconds", "idle_seconds")),
    ):
        if getattr(args, option) is not None:
            peer_counts = replace(peer_counts, **dict.fromkeys(fields, getattr(args, option)))
    benchmarks: dict[str, Benchmark] = {**BENCHMARKS, "peers": partial(peers.run, peer_counts=peer_counts)}
    chosen = set(args.only or set(BENCHMARKS) - ON_REQUEST)
    cold, cold_row = await cold_start.run(args.binary, 3 if args.smoke else 10)
    rows = [cold_row]
    for name, benchmark in benchmarks.items():
        if name in chosen:
            rows += await benchmark(args.binary, counts, cold)
    print_table(rows)
    write_json(args.json, rows, smoke=args.smoke, binary=args.binary)
    print(f"\nwritten: {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
