"""Start at login, behind one seam: an XDG autostart file on Linux, a LaunchAgent on macOS, an HKCU Run value
on Windows.

The switch in Settings shows what the platform really has (`is_enabled()` reads it every time), and only a
click writes or removes it: an entry the user deleted by hand is not re-created behind their back.
"""

from __future__ import annotations

import importlib
import os
import plistlib
import sys
from pathlib import Path
from typing import Any, Final, Protocol

APP_ID: Final = "io.github.llm_link_tray"
RUN_VALUE_NAME: Final = "llm-link-tray"
RUN_KEY: Final = r"Software\Microsoft\Windows\CurrentVersion\Run"


class Autostart(Protocol):
    def is_enabled(self) -> bool: ...
    def enable(self) -> None: ...
    def disable(self) -> None: ...


def launch_command() -> list[str]:
    """How to start this very installation: the bundle's executable, or this Python with `-m app`."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "app"]


def desktop_entry(command: list[str]) -> str:
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=llm-link tray\n"
        "Comment=Keeps llm-link running for your editor\n"
        f"Exec={exec_line(command)}\n"
        f"Icon={APP_ID}\n"
        "Terminal=false\n"
        "X-GNOME-Autostart-enabled=true\n"
        "X-GNOME-Autostart-Delay=3\n"
    )


_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def exec_line(command: list[str]) -> str:
    """An `Exec=` value per the Desktop Entry spec: double quotes, \\-escapes for " ` $ \\, % doubled, and
    every backslash doubled once more for the string level."""

    def quote(arg: str) -> str:
        arg = arg.replace("%", "%%")
        if not _RESERVED & set(arg):
            return arg
        escaped = "".join("\\" + ch if ch in '"`$\\' else ch for ch in arg)
        return '"' + escaped + '"'

    return " ".join(quote(arg) for arg in command).replace("\\", "\\\\")


def launch_agent_plist(command: list[str]) -> bytes:
    return plistlib.dumps(
        {
            "Label": APP_ID,
            "ProgramArguments": command,
            "RunAtLoad": True,
            "KeepAlive": False,
            "ProcessType": "Interactive",
        }
    )


def run_value(command: list[str]) -> str:
    """The HKCU Run value's data: a command line with Windows quoting."""
    import subprocess

    return subprocess.list2cmdline(command)


class XdgAutostart:
    def __init__(self, command: list[str] | None = None, config_home: Path | None = None) -> None:
        base = config_home or Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
        self.path = base / "autostart" / f"{APP_ID}.desktop"
        self.command = command or launch_command()

    def is_enabled(self) -> bool:
        if not self.path.is_file():
            return False
        text = self.path.read_text(encoding="utf-8", errors="replace")
        # A user (or their desktop's settings panel) may switch it off in place instead of deleting it.
        return "Hidden=true" not in text and "X-GNOME-Autostart-enabled=false" not in text

    def enable(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(desktop_entry(self.command), encoding="utf-8")
        tmp.replace(self.path)

    def disable(self) -> None:
        self.path.unlink(missing_ok=True)


class LaunchAgent:
    def __init__(self, command: list[str] | None = None, home: Path | None = None) -> None:
        self.path = (home or Path.home()) / "Library" / "LaunchAgents" / f"{APP_ID}.plist"
        self.command = command or launch_command()

    def is_enabled(self) -> bool:
        return self.path.is_file()

    def enable(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_bytes(launch_agent_plist(self.command))

    def disable(self) -> None:
        self.path.unlink(missing_ok=True)


class WindowsRun:
    def __init__(self, command: list[str] | None = None) -> None:
        self.command = command or launch_command()

    def is_enabled(self) -> bool:
        winreg = _winreg()

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
                winreg.QueryValueEx(key, RUN_VALUE_NAME)
        except OSError:
            return False
        return True

    def enable(self) -> None:
        winreg = _winreg()

        with winreg.CreateKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
            winreg.SetValueEx(key, RUN_VALUE_NAME, 0, winreg.REG_SZ, run_value(self.command))

    def disable(self) -> None:
        winreg = _winreg()

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
                winreg.DeleteValue(key, RUN_VALUE_NAME)
        except FileNotFoundError:
            pass


def _winreg() -> Any:
    # Imported by name: the module exists on Windows only, and the type checker runs elsewhere.
    return importlib.import_module("winreg")


def for_this_platform() -> Autostart:
    if sys.platform == "darwin":
        return LaunchAgent()
    if sys.platform == "win32":
        return WindowsRun()
    return XdgAutostart()
