"""The command line: `llm-link-tray [command]`. A command goes to the running tray when there is one."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app import __version__
from app.paths import Paths

if TYPE_CHECKING:
    from app.i18n import Translate

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


def translator(args: argparse.Namespace) -> Translate:
    """How this command's human output is translated: Settings' language (else the locale), read without Qt
    and without validating the file (that is the tray's job), so the command stays fast."""
    from app import i18n

    language = "system"
    try:
        data = json.loads((paths_for(args).config_dir / "settings.json").read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("language") in i18n.LANGUAGES:
            language = data["language"]
    except (OSError, ValueError):
        pass
    return i18n.translator_for(language)


def print_reply(args: argparse.Namespace, reply: dict[str, Any]) -> int:
    if args.command == "status" and getattr(args, "json", False):
        print(json.dumps(reply.get("status", {}), indent=2, sort_keys=True))
    else:
        from app.i18n import reply_text

        stream = sys.stdout if reply.get("ok") else sys.stderr
        print(reply_text(str(reply.get("message", "")), translator(args)), file=stream)
    return int(reply.get("exit_code", 0 if reply.get("ok") else 1))


def print_not_running(args: argparse.Namespace) -> int:
    if args.command == "status" and getattr(args, "json", False):
        print(json.dumps({"state": "NOT_RUNNING", "message": "llm-link-tray is not running"}))
    else:
        print(translator(args)("CLI", "llm-link-tray is not running"), file=sys.stderr)
    return 1


def run_local(args: argparse.Namespace) -> int:
    """`install-desktop` / `uninstall-desktop`: no tray involved, so no display or running tray needed."""
    from app import desktop_entry, i18n
    from app.errors import AppErrorException

    paths = paths_for(args)
    say = translator(args)  # not named tr: pyside6-lupdate would read its calls as tr(source, comment)
    try:
        if args.command == "install-desktop":
            result = desktop_entry.install(paths.state_dir, command=desktop_entry.command_for(paths))
            added = say(
                "CLI", "Added llm-link-tray to the application menu: {file} and {count} icons. Undo with: {command}"
            )
            file = desktop_entry.desktop_file(desktop_entry.data_home())
            print(added.format(file=file, count=len(result.files) - 1, command="llm-link-tray uninstall-desktop"))
            return 0
        result = desktop_entry.uninstall(paths.state_dir)
    except AppErrorException as exc:
        print(f"llm-link-tray: {i18n.error_text(exc.error, say)}", file=sys.stderr)
        return 1
    if not result.files and not result.kept:
        print(say("CLI", "Nothing to remove: llm-link-tray's menu entry was not installed by install-desktop."))
    else:
        removed = say("CLI", "Removed {count} files from the application menu and icon theme.")
        print(removed.format(count=len(result.files)))
    for path in result.kept:
        print(say("CLI", "Kept {path}: it was changed after install-desktop wrote it.").format(path=path))
    return 0
