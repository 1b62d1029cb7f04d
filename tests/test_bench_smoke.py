"""Every benchmark runs (tiny counts), so bench/ cannot rot. The figures themselves live in bench/, not here."""

from __future__ import annotations

import ast
import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import MODERN, REPO_ROOT, llmlink_build


@pytest.mark.timeout(600)
async def test_the_benchmarks_run_and_write_their_table(tmp_path: Path) -> None:
    binary = llmlink_build(MODERN)
    out = tmp_path / "results.json"
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.run",
        "--smoke",
        "--binary",
        str(binary),
        "--json",
        str(out),
        cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(proc.communicate(), 540)
    assert proc.returncode == 0, output.decode()
    rows = {row["name"]: row for row in json.loads(out.read_text())["rows"]}
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
    ):
        assert name in rows, f"{name} missing from {list(rows)}"
    assert rows["Soak: switches back and forth"]["data"]["failures"] == 0


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
