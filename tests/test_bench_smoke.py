"""Every benchmark runs (tiny counts), so bench/ cannot rot. The figures themselves live in bench/, not here."""

from __future__ import annotations

import ast
import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MODERN, REPO_ROOT, llmlink_build


async def smoke_run(binary: Path, tmp_path: Path, *args: str) -> dict[str, dict[str, Any]]:
    """`bench.run --smoke` with `args`; its rows by name."""
    out = tmp_path / "results.json"
    proc = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "bench.run", "--smoke", *args, "--binary", str(binary), "--json", str(out)),
        cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(proc.communicate(), 540)
    assert proc.returncode == 0, output.decode()
    return {row["name"]: row for row in json.loads(out.read_text())["rows"]}


@pytest.mark.timeout(600)
async def test_the_benchmarks_run_and_write_their_table(tmp_path: Path) -> None:
    binary = llmlink_build(MODERN)
    rows = await smoke_run(binary, tmp_path)
    for name in (
        "llm-link cold start (reference)",
        "P1 switch (apply→verified)",
        "P1b hot switch (apply→verified)",
        "P2 crash → state (child)",
        "P2 crash → state (adopted)",
        "P3 hang → DEGRADED",
        "P4 full probe",
        "P4 cached status read",
        "P5 idle RSS",
        "P6 launch → RUNNING, minus cold start",
        "Soak: switches back and forth",
        "G1 added latency per request (gateway - direct)",
        "G2 streamed chunk pass-through (gateway - direct)",
        "G3 throughput through the gateway",
        "G4 gateway idle RSS",
        "G5 switches through the gateway",
        "G5 switches without a gateway (before)",
    ):
        assert name in rows, f"{name} missing from {list(rows)}"
    assert rows["Soak: switches back and forth"]["data"]["failures"] == 0
    # bench/gateway.py: through the gateway no editor request fails and every switch is a new llm-link;
    # without it, the same switches fail requests (the "before").
    through = rows["G5 switches through the gateway"]["data"]
    assert through["failed"] == 0 and through["new_pids"] == through["steps"], through
    assert rows["G5 switches without a gateway (before)"]["data"]["failed"] > 0


def private_uses(source: Path) -> set[str]:
    """`obj._name` (other than on `self`/`cls`) and `from app… import _name`: reaching past the public API."""
    found = set()
    for node in ast.walk(ast.parse(source.read_text(), filename=str(source))):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                found.add(f"{source.name}:{node.lineno}: .{node.attr}")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("app"):
            found.update(
                f"{source.name}:{node.lineno}: {a.name}"
                for a in node.names
                if a.name.startswith("_") and not a.name.startswith("__")
            )
    return found


@pytest.mark.parametrize("folder", ["bench", "tests"])
def test_benchmarks_and_tests_use_only_public_api(folder: str, tmp_path: Path) -> None:
    """What they measure and check must hold for the app as shipped, not for its insides of the day. Seams
    they need are public and listed in docs/ARCHITECTURE.md."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", folder],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    sources = [REPO_ROOT / name for name in listed.stdout.split() if name.endswith(".py")]
    sources = [source for source in sources if source.exists()]  # a deletion not yet committed
    reaching = set().union(*(private_uses(source) for source in sources))
    assert not reaching, "\n".join(sorted(reaching))
    planted = tmp_path / "planted.py"
    planted.write_text("from app.x import _y\nsup._probe()\nself._ok = 1\n")
    assert private_uses(planted) == {"planted.py:1: _y", "planted.py:2: ._probe"}


@pytest.mark.timeout(600)
async def test_the_peer_benchmarks_run_side_by_side(tmp_path: Path) -> None:
    """bench/peers.py (issue 13): every arrangement runs on the same real llm-link in one run; only the
    behaviour each peer is known for is checked here, never a time."""
    binary = llmlink_build(MODERN)
    rows = await smoke_run(binary, tmp_path, "--only", "peers")
    peers = (
        "systemd-style loop (emulated)",
        "supervisord startsecs=1 (as shipped)",
        "supervisord startsecs=0 (tuned)",
        "Ollama app policy (1 s, forever)",
    )
    for name in (
        "R1 crash → serving: tray",
        *(f"R1 crash → serving: {peer}" for peer in peers),
        "R1 tray floor (backoff + cold + update-key)",
        "R2 crash loop: tray",
        *(f"R2 crash loop: {peer}" for peer in peers),
        "R3 hang → visible: tray",
        "R3 hang → tray's own restart → serving",
        *(f"R3 hang: {peer}" for peer in peers),
        "R4 switches as an editor sees them: tray",
        "R4 switches as an editor sees them: seed client + restart",
        "R5 our overhead (tray side minus bare tray)",
    ):
        assert name in rows, f"{name} missing from {list(rows)}"
    assert rows["R2 crash loop: systemd-style loop (emulated)"]["data"]["final"] == "failed (start-limit-hit)"
    assert rows["R2 crash loop: systemd-style loop (emulated)"]["data"]["spawns"] == 5
    for name in ("tray", *peers):  # every crash was followed by serving again through the editor's port
        assert len(rows[f"R1 crash → serving: {name}"]["data"]["samples_s"]) == 2
