"""llm-link's output pipe is always drained, whatever it prints, and its exit is seen whatever the pipe does.

Issue 9, item 2: an editor request with a 100 KB header makes llm-link log a 100 KB line; a line reader with
a 64 KiB limit stopped reading, llm-link blocked on its full stdout and stopped answering, and its SIGKILL
went unnoticed because the exit was only looked at once the reader had finished.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from pathlib import Path

import httpx

from app.errors import ErrorCode
from app.secret import Secret
from app.supervisor.contract import LaunchPlan
from app.supervisor.output_log import MAX_LINE, OutputLog
from app.supervisor.process import spawn
from app.supervisor.state import State
from tests.supervisor.conftest import MakeSupervisor, llmlink_processes, wait_for

BIG_HEADER = "a" * 100_000
REQUESTS = 200


async def test_requests_with_huge_headers_never_wedge_llmlink_and_a_kill_is_still_seen(
    llmlink_binary: Path, make_supervisor: MakeSupervisor
) -> None:
    sup = await make_supervisor(llmlink_binary, provider="zhipu", model="glm-4-air")
    assert sup.status.state is State.RUNNING, sup.status
    first = sup.pid
    assert first is not None
    url = f"http://127.0.0.1:{sup.config.port}/api/tags"  # the editor route Zed calls
    # Each request makes llm-link print one ~100 KB line: 200 of them are ~20 MB through the pipe, far beyond
    # what a pipe holds if nobody reads it (64 KiB).
    async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
        for i in range(REQUESTS):
            response = await client.get(url, headers={"X-Big": BIG_HEADER})
            assert response.status_code == 200, f"request {i}: {response.status_code} {response.text[:200]}"

    os.kill(first, signal.SIGKILL)
    crashed = await wait_for(sup, lambda s: s.state is State.ERROR, timeout=5)
    assert crashed.error is not None and crashed.error.code is ErrorCode.CRASHED
    assert "SIGKILL" in crashed.error.message
    back = await wait_for(sup, lambda s: s.state is State.RUNNING and s.pid not in (None, first), timeout=10)
    assert [p.pid for p in llmlink_processes()] == [back.pid]

    logged = "".join(p.read_text() for p in sup.log_path.parent.glob("llm-link.log*"))
    assert "[cut: line of" in logged
    assert BIG_HEADER[: MAX_LINE + 1] not in logged  # cut, not kept whole


async def test_an_exit_is_seen_while_a_grandchild_still_holds_the_output_pipe(tmp_path: Path) -> None:
    """The pipe never ends while anything holds its write end; the exit must not wait for that."""
    script = tmp_path / "leaves-a-child"
    script.write_text("#!/bin/sh\nsleep 1000 &\necho 'last words'\nexit 3\n")
    script.chmod(0o755)
    output = OutputLog(tmp_path / "out.log")
    proc = await spawn(script, LaunchPlan((), {"PATH": os.environ["PATH"]}, None, "127.0.0.1", 1), output)
    try:
        outcome = await asyncio.wait_for(asyncio.shield(proc.exited), 5)
    finally:
        # The grandchild is in the script's process group (its own session).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        output.close()
    assert outcome.returncode == 3 and not outcome.requested
    assert "last words" in outcome.last_lines


def test_lines_of_any_length_are_split_from_chunks_and_cut_with_a_marker(tmp_path: Path) -> None:
    key = Secret("sk-live-straddle-0123456789abcdef")
    log = OutputLog(tmp_path / "llm-link.log")
    # A key that straddles the cut is masked, not half shown.
    long_line = b"x" * (MAX_LINE - 27) + f"Bearer {key.reveal()} ".encode() + b"y" * 300_000 + b"\n"
    stream = b"first li" + b"ne\nsecond\r\n" + long_line + b"after the long one\nno newline at the end"
    for start in range(0, len(stream), 65536):
        log.feed(stream[start : start + 65536])
    log.finish()
    log.close()
    lines = (tmp_path / "llm-link.log").read_text().splitlines()
    assert lines[:2] == ["first line", "second"]
    assert lines[2].endswith(f"… [cut: line of {len(long_line) - 1} bytes]")
    assert len(lines[2]) < MAX_LINE + 100
    assert key.reveal()[:12] not in lines[2]
    assert lines[3:] == ["after the long one", "no newline at the end"]
