"""A full or read-only disk under the tray's folders: a clear error, no orphan, no flood of logging errors.

Issue 9, item 6. The disk is real: a tiny tmpfs mounted for the test (we run as root in CI, where a chmod
stops nobody), remounted read-only or filled to the last byte.
"""

from __future__ import annotations

import contextlib
import logging
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.errors import AppError, ErrorCode
from app.supervisor.state import State
from tests.conftest import missing
from tests.supervisor.conftest import MakeSupervisor, llmlink_processes

OUTPUT_LOG = "llm_link_tray.supervisor.output_log"


class SmallDisk:
    """A 1 MiB tmpfs at `root`: Paths.under(root) puts config, logs and state on it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._filler = root / "filler"

    def read_only(self) -> None:
        remounted = _run("mount", "-o", "remount,ro", str(self.root))
        assert remounted.returncode == 0, remounted.stderr

    def fill(self) -> None:
        """Write until the file system refuses (ENOSPC): nothing more fits, not even one byte."""
        with self._filler.open("ab", buffering=0) as handle:
            for size in (4096, 1):  # whole pages, then the odd bytes left in the last one
                with contextlib.suppress(OSError):
                    while handle.write(b"\0" * size):
                        pass
        with self._filler.open("ab", buffering=0) as handle, pytest.raises(OSError, match="No space left"):
            handle.write(b"\0")

    def free(self) -> None:
        self._filler.unlink()


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=False, timeout=30)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    """Request it before `make_supervisor`, so the supervisors close (files closed) before the unmount."""
    root = tmp_path / "disk"
    root.mkdir()
    mounted = _run("mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(root))
    if mounted.returncode != 0:
        missing(f"a tmpfs cannot be mounted here (needs root or CAP_SYS_ADMIN): {mounted.stderr.strip()}")
    yield SmallDisk(root)
    if _run("umount", str(root)).returncode != 0:
        _run("umount", "-l", str(root))  # something still holds a file open: detach it anyway


def _assert_unusable(error: AppError | None, reason: str) -> None:
    assert error is not None
    assert error.code is ErrorCode.STATE_DIR_UNUSABLE, error
    assert reason in error.message, error.message
    assert "Free some disk space" in error.suggestion and "writable" in error.suggestion


@pytest.mark.parametrize("fault", ["read-only", "full"])
async def test_an_unusable_disk_is_a_clear_error_before_anything_is_spawned(
    small_disk: SmallDisk,
    make_supervisor: MakeSupervisor,
    modern_binary: Path,
    fault: str,
    capfd: pytest.CaptureFixture[str],
) -> None:
    if fault == "read-only":
        small_disk.read_only()
    else:
        small_disk.fill()
    sup = await make_supervisor(modern_binary, root=small_disk.root, provider="zhipu")
    assert sup.status.state is State.ERROR, sup.status
    _assert_unusable(sup.status.error, "Read-only file system" if fault == "read-only" else "No space left")
    assert sup.status.pid is None
    assert llmlink_processes() == []
    assert "--- Logging error ---" not in capfd.readouterr().err


async def test_a_disk_that_fills_while_running_makes_restart_a_clear_error_not_an_orphan(
    small_disk: SmallDisk,
    make_supervisor: MakeSupervisor,
    modern_binary: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.WARNING, logger=OUTPUT_LOG)
    sup = await make_supervisor(modern_binary, root=small_disk.root, provider="zhipu")
    assert sup.status.state is State.RUNNING, sup.status
    small_disk.fill()
    # The editor keeps using llm-link meanwhile; each request is a log line that no longer fits.
    async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
        for _ in range(20):
            response = await client.get(f"http://127.0.0.1:{sup.config.port}/api/tags", headers={"X-Pad": "p" * 8000})
            assert response.status_code == 200

    status = await sup.restart()
    assert status.state is State.ERROR, status
    _assert_unusable(status.error, "No space left")
    assert llmlink_processes() == []
    # Those lines could not be written: one warning says so, not one traceback block per line.
    warnings = [r for r in caplog.records if r.name == OUTPUT_LOG and "cannot write" in r.getMessage()]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert "--- Logging error ---" not in capfd.readouterr().err

    small_disk.free()
    back = await sup.start()
    assert back.state is State.RUNNING, back
    assert [p.pid for p in llmlink_processes()] == [back.pid]


async def test_a_pid_file_that_cannot_be_written_after_the_spawn_stops_that_process(
    small_disk: SmallDisk, make_supervisor: MakeSupervisor, modern_binary: Path
) -> None:
    """The disk fills between the folder check and the PID file: the new process must not run on unrecorded."""
    sup = await make_supervisor(modern_binary, root=small_disk.root, provider="zhipu")
    assert sup.status.state is State.RUNNING, sup.status

    def step(name: str) -> None:
        if name == "verifying":  # the new llm-link has been spawned; its PID file comes next
            small_disk.fill()

    result = await sup.switch("moonshot", "kimi-latest", progress=step)
    assert not result.ok
    assert result.error is not None and result.error.cause is ErrorCode.STATE_DIR_UNUSABLE
    assert "Free some disk space" in result.error.suggestion
    assert sup.status.state is State.ERROR  # and the rollback could not start either: the disk is full
    assert llmlink_processes() == []
    assert not sup.paths.pid_file.exists()


async def test_a_state_dir_remounted_read_only_while_running_still_stops_and_then_says_why(
    small_disk: SmallDisk, make_supervisor: MakeSupervisor, modern_binary: Path
) -> None:
    """On a read-only mount, unlink answers EROFS even for a file that is gone: a stop or a crash must still
    complete (the PID file stays behind, and adoption's identity check makes it harmless)."""
    sup = await make_supervisor(modern_binary, root=small_disk.root, provider="zhipu")
    first = sup.pid
    assert sup.status.state is State.RUNNING and first is not None
    # The log file is open for writing, so the whole tmpfs cannot go read-only; the state folder alone can, as a
    # read-only bind mount of itself (what a remount of the disk holding ~/.local/state does to us).
    state = sup.paths.state_dir
    assert _run("mount", "--bind", str(state), str(state)).returncode == 0
    try:
        remounted = _run("mount", "-o", "remount,ro,bind", str(state))
        assert remounted.returncode == 0, remounted.stderr
        stopped = await sup.stop()
        assert stopped.state is State.STOPPED, stopped
        assert llmlink_processes() == []
        again = await sup.start()
        assert again.state is State.ERROR and again.error is not None
        assert again.error.code is ErrorCode.STATE_DIR_UNUSABLE  # a clear answer, not a bare OSError
        assert llmlink_processes() == []
    finally:
        _run("umount", str(state))
