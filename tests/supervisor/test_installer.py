"""`cargo install llm-link`, as the first-run dialog runs it: given up midway, the build stops.

cargo here is a stand-in on PATH (a real build takes minutes and needs crates.io): a script that prints what
cargo prints first and runs a child the way cargo runs its compilers, both holding the output pipe."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from app.supervisor.installer import cargo_install
from tests.supervisor.conftest import alive, open_subprocess_transports


async def test_an_install_given_up_midway_stops_cargo_and_what_it_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A quit (or the dialog closed) during the build: cargo went on building unseen for minutes, and asyncio,
    never told of its end, kept its transport open until the garbage collector warned."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    said = tmp_path / "pids.fifo"
    os.mkfifo(said)  # the stand-in says its pid and its child's here; reading waits for that
    cargo = bin_dir / "cargo"
    cargo.write_text(f"#!/bin/sh\necho '    Updating crates.io index'\nsleep 1000 &\necho $$ $! > {said}\nwait\n")
    cargo.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    lines: list[str] = []
    install = asyncio.ensure_future(cargo_install(lines.append, root=tmp_path / "root"))
    pids = [int(pid) for pid in (await asyncio.wait_for(asyncio.to_thread(said.read_text), 10)).split()]
    install.cancel()
    with pytest.raises(asyncio.CancelledError):
        await install
    assert lines[0].startswith("$ install llm-link --locked")
    assert [pid for pid in pids if alive(pid)] == []
    assert not open_subprocess_transports()
