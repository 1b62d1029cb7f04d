"""The command line: `llm-link-tray [command]`. A command goes to the running tray when there is one."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from app import __version__
from app.paths import Paths

COMMANDS = ("show", "status", "start", "stop", "restart", "switch", "settings", "quit")
# With no tray running these need one, so the launch starts it and then does the command.
STARTS_THE_TRAY = ("show", "start", "restart", "switch", "settings")
# Done by this process alone, tray or no tray: files in the user's data folder.
LOCAL_COMMANDS = ("install-desktop", "uninstall-desktop")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="llm-link-tray", description="Keeps llm-link running from the system tray.")
    p.add_argument("--version", action="version", version=f"llm-link-tray {__version__}")
    p.add_argument("--config-dir", type=Path, help="keep settings, logs and state below this folder")
    p.add_argument("--log-level", default="INFO", type=str.upper, choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    sub = p.add_subparsers(dest="command", metavar="command")
    sub.add_parser("show", help="open the settings window of the running tray (the default)")
    status = sub.add_parser("status", help="print llm-link's state; exits 1 when no tray runs")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    sub.add_parser("start", help="start llm-link")
    sub.add_parser("stop", help="stop llm-link (auto-restart rests until the next start)")
    sub.add_parser("restart", help="restart llm-link")
    switch = sub.add_parser("switch", help="switch provider (and model) using the stored key")
    switch.add_argument("provider")
    switch.add_argument("model", nargs="?")
    sub.add_parser("settings", help="open the settings window")
    sub.add_parser("quit", help="quit the tray (and stop llm-link unless kept running)")
    sub.add_parser("install-desktop", help="add llm-link-tray to the application menu (entry and icons)")
    sub.add_parser("uninstall-desktop", help="remove what install-desktop added, and nothing else")
    return p


def paths_for(args: argparse.Namespace) -> Paths:
    return Paths.under(args.config_dir.expanduser().resolve()) if args.config_dir else Paths.default()


def command_args(args: argparse.Namespace) -> list[str]:
    if args.command == "switch":
        return [args.provider, *([args.model] if args.model else [])]
    return []


def print_reply(args: argparse.Namespace, reply: dict[str, Any]) -> int:
    if args.command == "status" and getattr(args, "json", False):
        print(json.dumps(reply.get("status", {}), indent=2, sort_keys=True))
    else:
        stream = sys.stdout if reply.get("ok") else sys.stderr
        print(reply.get("message", ""), file=stream)
    return int(reply.get("exit_code", 0 if reply.get("ok") else 1))


def print_not_running(args: argparse.Namespace) -> int:
    if args.command == "status" and getattr(args, "json", False):
        print(json.dumps({"state": "NOT_RUNNING", "message": "llm-link-tray is not running"}))
    else:
        print("llm-link-tray is not running", file=sys.stderr)
    return 1


def run_local(args: argparse.Namespace) -> int:
    """`install-desktop` / `uninstall-desktop`: no tray involved, so no display or running tray needed."""
    from app import desktop_entry
    from app.errors import AppErrorException

    paths = paths_for(args)
    try:
        if args.command == "install-desktop":
            result = desktop_entry.install(paths.state_dir, command=desktop_entry.command_for(paths))
            print(
                f"Added llm-link-tray to the application menu: {desktop_entry.desktop_file(desktop_entry.data_home())}"
                f" and {len(result.files) - 1} icons. Undo with: llm-link-tray uninstall-desktop"
            )
            return 0
        result = desktop_entry.uninstall(paths.state_dir)
    except AppErrorException as exc:
        print(f"llm-link-tray: {exc.error.text()}", file=sys.stderr)
        return 1
    if not result.files and not result.kept:
        print("Nothing to remove: llm-link-tray's menu entry was not installed by install-desktop.")
    else:
        print(f"Removed {len(result.files)} files from the application menu and icon theme.")
    for path in result.kept:
        print(f"Kept {path}: it was changed after install-desktop wrote it.")
    return 0
