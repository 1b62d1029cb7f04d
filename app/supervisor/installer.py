"""First run without llm-link: build it with `cargo install llm-link`, line by line, and say where it went."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from app.errors import AppError, ErrorCode
from app.supervisor.binary import EXE_NAME, HOW_TO_INSTALL

log = logging.getLogger("llm_link_tray.supervisor.installer")

# The version the tray is tested with; a newer one may speak a contract we do not know yet.
DEFAULT_VERSION: Final = "0.7.0"


@dataclass(frozen=True)
class InstallResult:
    binary: Path | None
    error: AppError | None
    output_tail: tuple[str, ...] = ()


def cargo() -> str | None:
    found = shutil.which("cargo")
    if found:
        return found
    home_cargo = Path.home() / ".cargo" / "bin" / "cargo"
    return str(home_cargo) if os.access(home_cargo, os.X_OK) else None


async def cargo_install(
    on_line: Callable[[str], None],
    *,
    version: str | None = DEFAULT_VERSION,
    root: Path | None = None,
) -> InstallResult:
    """Run `cargo install llm-link --locked [--version V] [--root R]`; every output line goes to `on_line`."""
    cargo_path = cargo()
    if cargo_path is None:
        return InstallResult(
            None,
            AppError(
                ErrorCode.EXE_NOT_FOUND,
                "llm-link is not installed and cargo is not available to build it",
                HOW_TO_INSTALL,
            ),
        )
    argv = [cargo_path, "install", "llm-link", "--locked"]
    if version:
        argv += ["--version", version]
    if root is not None:
        argv += ["--root", str(root)]
    on_line("$ " + " ".join(argv[1:]))
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,  # its group is cargo and the compilers it runs: given up, all of them stop
    )
    tail: list[str] = []
    assert proc.stdout is not None
    try:
        async for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip()
            tail = [*tail[-19:], line]
            on_line(line)
        code = await proc.wait()
    except BaseException:
        # Given up (a quit, the dialog closed): a build left running would go on for minutes unseen, and a
        # process asyncio never saw end leaves its transport open (see contract._run_help). The whole group
        # goes, so nothing holds the output pipe and the wait ends.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        await proc.wait()
        raise
    if code != 0:
        return InstallResult(
            None,
            AppError(
                ErrorCode.EXE_NOT_FOUND,
                f"cargo install llm-link failed (exit code {code})",
                "Read the output above; on Debian the build needs 'apt install pkg-config libssl-dev'.",
                tuple(tail),
            ),
            tuple(tail),
        )
    binary = (root or Path(os.environ.get("CARGO_HOME") or Path.home() / ".cargo")) / "bin" / EXE_NAME
    log.info("cargo installed llm-link at %s", binary)
    return InstallResult(binary, None, tuple(tail))
