"""The application-menu entry: the `.desktop` file and the icon set in the user's XDG data folder.

`install` copies packaging/io.github.llm_link_tray.desktop (with `Exec=` pointing at how this installation
is started, as the autostart entry does) and resources/icons/hicolor into $XDG_DATA_HOME (~/.local/share),
and records every file it wrote, with its checksum, and every folder it created in a manifest in the state
folder. `uninstall` removes exactly that: a file the user put beside ours, or one they edited since, stays.
No Qt here: the CLI and the first-run dialog both call it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from app.autostart import APP_ID, exec_line, launch_command
from app.errors import AppError, AppErrorException, ErrorCode
from app.paths import Paths


def install_root() -> Path:
    """The folder holding packaging/ and resources/: the source tree, or a PyInstaller bundle's data folder."""
    bundled = getattr(sys, "_MEIPASS", None)  # PyInstaller's; packaging/llm-link-tray.spec puts both there
    return Path(bundled) if isinstance(bundled, str) else Path(__file__).resolve().parent.parent


ROOT: Final = install_root()
TEMPLATE: Final = ROOT / "packaging" / f"{APP_ID}.desktop"
ICONS: Final = ROOT / "resources" / "icons"
MANIFEST: Final = "desktop-install.json"


def data_home(env: Mapping[str, str] | None = None, home: Path | None = None) -> Path:
    """$XDG_DATA_HOME, or ~/.local/share; a relative value is invalid per the XDG spec and is ignored."""
    env = os.environ if env is None else env
    value = env.get("XDG_DATA_HOME", "")
    if value and Path(value).is_absolute():
        return Path(value)
    return (Path.home() if home is None else home) / ".local" / "share"


def command_for(paths: Paths) -> list[str]:
    """How the menu entry starts this installation: with `--config-dir`, that instance's folder."""
    if paths == Paths.default():
        return launch_command()
    return [*launch_command(), "--config-dir", str(paths.config_dir.parent)]


def entry_text(template: str, command: list[str]) -> str:
    """The template with its `Exec=` replaced by `command` (quoted per the Desktop Entry spec)."""
    lines = [f"Exec={exec_line(command)}" if line.startswith("Exec=") else line for line in template.splitlines()]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Result:
    files: tuple[Path, ...] = ()
    # Installed by us but changed since (the user edited them): left where they are.
    kept: tuple[Path, ...] = ()


@dataclass
class _Manifest:
    """What an install wrote: file → sha256 of what was written, and the folders it had to create."""

    files: dict[str, str] = field(default_factory=dict)
    dirs: list[str] = field(default_factory=list)


@dataclass
class _Plan:
    """What to write: target path → bytes."""

    data: Path
    files: dict[Path, bytes] = field(default_factory=dict)


def desktop_file(data: Path) -> Path:
    return data / "applications" / f"{APP_ID}.desktop"


def manifest_path(state_dir: Path) -> Path:
    return state_dir / MANIFEST


def is_installed(state_dir: Path) -> bool:
    return manifest_path(state_dir).is_file()


def install(
    state_dir: Path,
    *,
    command: list[str] | None = None,
    data: Path | None = None,
    template: Path = TEMPLATE,
    icons: Path = ICONS,
) -> Result:
    """Write the entry and the icons; raises AppErrorException when something is missing or unwritable.

    Installing again replaces our own files (the launch command may have moved) and removes the ones the
    new set no longer has. A file of the same name that we did not write is the user's: refused, not
    overwritten, unless it is byte for byte what we would write (then it stays theirs)."""
    plan = _plan(data or data_home(), command or launch_command(), template, icons)
    previous = _read_manifest(state_dir) or _Manifest()
    ours = set(previous.files)
    for path, content in plan.files.items():
        if path.exists() and str(path) not in ours and not _same(path, content):
            raise AppErrorException(
                AppError(
                    ErrorCode.CONFIG_ERROR,
                    f"{path} already exists and was not installed by llm-link-tray",
                    "Move it away (or delete it) and install again.",
                )
            )
    written: dict[str, str] = {}
    created = list(previous.dirs)
    try:
        for path, content in plan.files.items():
            if path.exists() and str(path) not in ours:
                continue  # identical and the user's: leave it theirs
            created += [str(d) for d in _make_parents(path.parent)]
            _write(path, content)
            written[str(path)] = _digest(content)
        # Icon caches and menus look at the theme folder's time stamp to notice new icons.
        os.utime(plan.data / "icons" / "hicolor")
        _remove({p: h for p, h in previous.files.items() if p not in written}, [])  # gone from the new set
        _write_manifest(state_dir, _Manifest(written, list(dict.fromkeys(created))))
    except OSError as exc:
        raise AppErrorException(_cannot("install", exc)) from None
    return Result(tuple(Path(p) for p in written))


def uninstall(state_dir: Path) -> Result:
    """Remove what the manifest names (and the folders we created, once empty); nothing else."""
    manifest = _read_manifest(state_dir)
    if manifest is None:
        return Result()
    try:
        removed, kept = _remove(manifest.files, manifest.dirs)
        manifest_path(state_dir).unlink(missing_ok=True)
    except OSError as exc:
        raise AppErrorException(_cannot("remove", exc)) from None
    return Result(tuple(removed), tuple(kept))


# --- helpers -------------------------------------------------------------------------------------------


def _plan(data: Path, command: list[str], template: Path, icons: Path) -> _Plan:
    plan = _Plan(data)
    try:
        plan.files[desktop_file(data)] = entry_text(template.read_text(encoding="utf-8"), command).encode()
        for icon in sorted((icons / "hicolor").glob(f"*/apps/{APP_ID}*")):
            plan.files[data / "icons" / icon.relative_to(icons)] = icon.read_bytes()
    except OSError as exc:
        raise AppErrorException(
            AppError(
                ErrorCode.CONFIG_ERROR,
                f"the application menu entry cannot be read from {exc.filename or template.parent}",
                "Reinstall llm-link-tray; this copy is missing its packaging files.",
            )
        ) from None
    if len(plan.files) < 2:
        raise AppErrorException(
            AppError(
                ErrorCode.CONFIG_ERROR,
                f"no icons were found in {icons}",
                "Reinstall llm-link-tray; this copy is missing its icons.",
            )
        )
    return plan


def _make_parents(folder: Path) -> list[Path]:
    """Create `folder` and its missing parents; returns the ones created (outermost first)."""
    missing: list[Path] = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for new in reversed(missing):
        new.mkdir()
    return list(reversed(missing))


def _write(path: Path, content: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(content)
    tmp.chmod(0o644)
    tmp.replace(path)


def _remove(files: Mapping[str, str], dirs: list[str]) -> tuple[list[Path], list[Path]]:
    removed: list[Path] = []
    kept: list[Path] = []
    for name, digest in files.items():
        path = Path(name)
        if not path.is_file():
            continue
        if _digest(path.read_bytes()) != digest:
            kept.append(path)  # changed since we wrote it: the user's now
            continue
        path.unlink()
        removed.append(path)
    # Innermost first; a folder that still holds anything (a user's file) stays.
    for name in sorted(dirs, key=lambda d: len(Path(d).parts), reverse=True):
        with contextlib.suppress(OSError):
            Path(name).rmdir()
    return removed, kept


def _read_manifest(state_dir: Path) -> _Manifest | None:
    try:
        data = json.loads(manifest_path(state_dir).read_text(encoding="utf-8"))
        files, dirs = data["files"], data["dirs"]
        if not (
            isinstance(files, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in files.items())
            and isinstance(dirs, list)
            and all(isinstance(d, str) for d in dirs)
        ):
            raise ValueError("unexpected content")
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise AppErrorException(
            AppError(
                ErrorCode.CONFIG_ERROR,
                f"the record of installed menu files {manifest_path(state_dir)} cannot be read ({exc})",
                "Delete that file and remove the menu entry and icons by hand.",
            )
        ) from None
    return _Manifest(files, dirs)


def _write_manifest(state_dir: Path, manifest: _Manifest) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    data = {"version": 1, "files": manifest.files, "dirs": manifest.dirs}
    _write(manifest_path(state_dir), json.dumps(data, indent=2, sort_keys=True).encode())


def _same(path: Path, content: bytes) -> bool:
    try:
        return path.is_file() and path.read_bytes() == content
    except OSError:
        return False


def _digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _cannot(verb: str, exc: OSError) -> AppError:
    where = exc.filename or "the data folder"
    return AppError(
        ErrorCode.CONFIG_ERROR,
        f"cannot {verb} the application menu entry: {where}: {exc.strerror or exc}",
        "Check that your ~/.local/share folder (or $XDG_DATA_HOME) is writable.",
    )
