"""Every benchmark runs (tiny counts), so bench/ cannot rot. The figures themselves live in bench/, not here."""

from __future__ import annotations

import asyncio
import json
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
