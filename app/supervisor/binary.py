"""Finding the llm-link binary and checking that it is one we can drive.

Search order: the path configured in Settings, `$LLM_LINK_BINARY_PATH`, `$PATH`, `~/.cargo/bin`, the builds
`scripts/run-tray` makes (`app.paths.llmlink_builds_dir()`, newest version first), and the cache of the PyPI
package `pyllmlink` (`~/.cache/llm-link/<version>/<target>/llm-link`, newest first). Every entry point (the
venv's `llm-link-tray`, `python -m app`, the login entry) searches the same way.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from app.errors import AppError, AppErrorException, ErrorCode
from app.paths import llmlink_builds_dir
from app.supervisor.contract import Contract, detect_contract

EXE_NAME: Final = "llm-link.exe" if os.name == "nt" else "llm-link"
HOW_TO_INSTALL: Final = (
    "Install llm-link with 'cargo install llm-link', 'pip install pyllmlink' or Homebrew "
    "('brew install llm-link'), or set its path in Settings."
)


@dataclass(frozen=True)
class BinaryCheck:
    """The outcome of checking one candidate: a usable contract, or the reason it is not usable."""

    path: Path | None
    exists: bool
    executable: bool
    contract: Contract | None
    error: AppError | None

    @property
    def is_valid(self) -> bool:
        return self.contract is not None


def candidates(
    configured: str | None = None, env: Mapping[str, str] | None = None, home: Path | None = None
) -> Iterator[tuple[str, Path]]:
    """(where-from, path) pairs in search order; paths need not exist."""
    env = os.environ if env is None else env
    home = Path.home() if home is None else home
    if configured:
        yield "settings", Path(configured).expanduser()
    if env.get("LLM_LINK_BINARY_PATH"):
        yield "LLM_LINK_BINARY_PATH", Path(env["LLM_LINK_BINARY_PATH"]).expanduser()
    on_path = shutil.which(EXE_NAME, path=env.get("PATH", os.defpath))
    if on_path:
        yield "PATH", Path(on_path)
    yield "cargo", home / ".cargo" / "bin" / EXE_NAME
    builds = llmlink_builds_dir(env, home)
    if builds.is_dir():
        # What scripts/run-tray built (README's quick start): several versions side by side, newest first.
        built = sorted(builds.glob(f"*/bin/{EXE_NAME}"), key=lambda p: _version_key(p.parent.parent.name), reverse=True)
        for path in built:
            yield "builds", path
    cache = home / ".cache" / "llm-link"
    if cache.is_dir():
        found = sorted(cache.glob(f"*/*/{EXE_NAME}"), key=lambda p: _version_key(p.parent.parent.name), reverse=True)
        for path in found:
            yield "pyllmlink", path


async def check_binary(path: Path) -> BinaryCheck:
    """exists → executable → speaks a launch contract we know."""
    if not path.is_file():
        return BinaryCheck(
            path, False, False, None, AppError(ErrorCode.EXE_NOT_FOUND, f"File does not exist: {path}", HOW_TO_INSTALL)
        )
    if not os.access(path, os.X_OK):
        return BinaryCheck(
            path,
            True,
            False,
            None,
            AppError(
                ErrorCode.EXE_NOT_EXECUTABLE,
                f"{path} is not executable",
                f"Make it executable ('chmod +x {path}') or pick another binary in Settings.",
            ),
        )
    try:
        contract = await detect_contract(path)
    except AppErrorException as exc:
        return BinaryCheck(path, True, True, None, exc.error)
    return BinaryCheck(path, True, True, contract, None)


async def find_binary(
    configured: str | None = None, env: Mapping[str, str] | None = None, home: Path | None = None
) -> BinaryCheck:
    """The first usable candidate. A configured path that is broken is reported as is, not skipped:
    the user chose it, and silently running another binary would hide their mistake."""
    first_failure: BinaryCheck | None = None
    for origin, path in candidates(configured, env, home):
        check = await check_binary(path)
        if check.is_valid or origin == "settings":
            return check
        if check.exists and first_failure is None:
            first_failure = check
    if first_failure is not None:
        return first_failure
    return BinaryCheck(
        None,
        False,
        False,
        None,
        AppError(
            ErrorCode.EXE_NOT_FOUND,
            "llm-link was not found in Settings, $LLM_LINK_BINARY_PATH, $PATH, ~/.cargo/bin, "
            "scripts/run-tray's builds or pyllmlink's cache",
            HOW_TO_INSTALL,
        ),
    )


def _version_key(name: str) -> tuple[int, ...]:
    parts = []
    for piece in name.lstrip("v").split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else -1)
    return tuple(parts)
