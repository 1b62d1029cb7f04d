"""A private folder for the tray's instance lock and command socket.

`$XDG_RUNTIME_DIR/llm-link-tray/` where the session has one (a per-user tmpfs, emptied at logout); without it
(CI, some containers, `su`) `<tmp>/llm-link-tray-<uid>/` of our own. /tmp is shared by every user, so a
folder found there is trusted only when `lstat` says it is a real folder (not a symlink), ours, and 0700:
anyone else could have made it first to watch or hijack our socket. Names are per config dir (a hash, as
the socket name always was), so `--config-dir` instances stay apart.

Windows has no uid or modes: there the folder is in the per-user temp folder and only its type is checked.
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

DIR_NAME: Final = "llm-link-tray"
# sun_path is 108 bytes on Linux and 104 on macOS, NUL included.
MAX_SOCKET_PATH: Final = 103


class RuntimeDirError(Exception):
    """The private folder is unsafe or unusable; said like an AppError: what is wrong, then what to do."""

    def __init__(self, message: str, suggestion: str) -> None:
        super().__init__(f"{message} — {suggestion}")
        self.message = message
        self.suggestion = suggestion


@dataclass(frozen=True)
class InstanceFiles:
    """Where one config dir's tray keeps its lock and listens for commands, and its gateway for the tray's."""

    lock: Path
    socket: Path
    gateway: Path  # the gateway's control socket


def runtime_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The checked private folder, created (0700) if missing. Raises RuntimeDirError when it is unsafe."""
    env = os.environ if environ is None else environ
    xdg = env.get("XDG_RUNTIME_DIR", "")
    # The spec says to ignore a relative path; an absent folder means a broken session: use our own.
    if xdg and os.path.isabs(xdg) and os.path.isdir(xdg):
        path = Path(xdg) / DIR_NAME
    else:
        path = Path(tempfile.gettempdir()) / f"{DIR_NAME}-{_user_tag()}"
    ensure_private_dir(path)
    return path


def instance_files(config_dir: Path, environ: Mapping[str, str] | None = None) -> InstanceFiles:
    folder = runtime_dir(environ)
    digest = hashlib.sha256(str(config_dir.resolve()).encode()).hexdigest()[:12]
    # The gateway's control socket (and its spare, one byte longer: app/supervisor/gateway.py) are named no
    # longer than the command socket, so checking that one checks them too.
    files = InstanceFiles(folder / f"{digest}.lock", folder / f"{digest}.sock", folder / f"{digest}.gw")
    if len(os.fsencode(files.socket)) > MAX_SOCKET_PATH:
        raise RuntimeDirError(
            f"the command socket path {files.socket} is too long for a Unix socket",
            "Set XDG_RUNTIME_DIR or TMPDIR to a shorter folder.",
        )
    return files


def ensure_private_dir(path: Path, uid: int | None = None) -> None:
    """Create `path` with mode 0700 unless it exists, then `check_private_dir` it."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass  # made earlier, by us or by someone else: the check below decides
    except OSError as exc:
        raise RuntimeDirError(
            f"cannot create {path}: {exc.strerror}", "Make its parent folder writable, or set XDG_RUNTIME_DIR."
        ) from None
    else:
        if sys.platform != "win32":
            os.chmod(path, 0o700)  # mkdir's mode passes through the umask; we just made it, so it is ours
    check_private_dir(path, uid)


def check_private_dir(path: Path, uid: int | None = None) -> None:
    """Raise RuntimeDirError unless `path` is a real folder owned by `uid` (default: us) with mode 0700."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        suggestion = "Set XDG_RUNTIME_DIR to a folder of yours."
        raise RuntimeDirError(f"cannot read {path}: {exc.strerror}", suggestion) from None
    remove = f"Remove {path} (nothing of llm-link-tray's is lost) or set XDG_RUNTIME_DIR, then start again."
    if stat.S_ISLNK(info.st_mode):
        raise RuntimeDirError(f"refusing {path}: it is a symbolic link, not a folder", remove)
    if not stat.S_ISDIR(info.st_mode):
        raise RuntimeDirError(f"refusing {path}: it is not a folder", remove)
    if sys.platform == "win32":
        return
    expected = os.getuid() if uid is None else uid
    if info.st_uid != expected:
        raise RuntimeDirError(f"refusing {path}: it belongs to uid {info.st_uid}, not to uid {expected}", remove)
    mode = stat.S_IMODE(info.st_mode)
    if mode != 0o700:
        raise RuntimeDirError(f"refusing {path}: its mode is {mode:04o}, not 0700", remove)


def _user_tag() -> str:
    if sys.platform == "win32":
        import getpass

        return getpass.getuser()
    return str(os.getuid())
