"""Benchmarks: the supervisor against its anchors, measured in one run against real llm-link.

    .venv/bin/python -m bench.run [--smoke] [--json bench/results.json] [--binary PATH] [--only switch …]

Every figure is printed next to a reference measured in the same run (these machines are noisy): llm-link's
own cold start for switches and launch, asyncio's own child-exit latency for crash detection. `--smoke` runs
each benchmark with tiny counts so the test suite keeps them working.

One module per benchmark (bench/switch.py, crash.py, hang.py, probe.py, tray.py, soak.py), each with
`async run(binary, counts, cold) -> list[Row]`; what they share is in bench/fixture.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench import cold_start, crash, hang, probe, soak, switch, tray
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
}


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
    args = parser.parse_args(argv)
    counts = SMOKE if args.smoke else Counts()
    chosen = set(args.only or BENCHMARKS)
    cold, cold_row = await cold_start.run(args.binary, 3 if args.smoke else 10)
    rows = [cold_row]
    for name, benchmark in BENCHMARKS.items():
        if name in chosen:
            rows += await benchmark(args.binary, counts, cold)
    print_table(rows)
    write_json(args.json, rows, smoke=args.smoke, binary=args.binary)
    print(f"\nwritten: {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
