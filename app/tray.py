"""The entry point: `llm-link-tray` and `python -m app` start here.

A command goes to an already running tray (single instance: an OS lock decides, see app/single_instance.py);
otherwise this process becomes the tray: Qt on qasync, the controller on the same loop. Quit sets an asyncio
event, and the supervisor stops llm-link before the loop ends.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app import cli, logs, single_instance
from app.instance_lock import InstanceLock
from app.paths import Paths
from app.runtime_dir import RuntimeDirError, instance_files

if TYPE_CHECKING:
    # asyncio and Qt load only in the process that becomes the tray: a launch that hands its command over
    # (`llm-link-tray status`) imports neither, which halves its run time (about 150 → 75 ms measured).
    import asyncio

    from app.ui.application import TrayApplication

log = logging.getLogger("llm_link_tray.tray")

NO_DISPLAY = (
    "llm-link-tray needs a desktop session (no $DISPLAY or $WAYLAND_DISPLAY is set); on a headless machine run "
    "llm-link as a service instead"
)
NO_TRAY_HINT = (
    "No system tray was found, so llm-link-tray runs without an icon (supervising continues, and "
    "`llm-link-tray status` works). On GNOME, install the 'AppIndicator and KStatusNotifierItem Support' "
    "extension to get the icon."
)


def main(argv: list[str] | None = None) -> int:
    args = cli.parser().parse_args(sys.argv[1:] if argv is None else argv)
    logs.setup(args.log_level)
    if args.command in cli.LOCAL_COMMANDS:  # files only: no tray, display or instance lock involved
        return cli.run_local(args)
    paths = cli.paths_for(args)
    command = args.command or "show"

    # Who is the tray is settled first, by the instance lock, before Qt or the controller exist. No Qt is
    # imported on this path, so `--help`, `--version` and commands for a running tray need no display.
    try:
        files = instance_files(paths.config_dir)
    except RuntimeDirError as exc:
        print(f"llm-link-tray: {exc}", file=sys.stderr)
        return 1
    outcome = single_instance.hand_over_or_claim(files, command, cli.command_args(args))
    if not isinstance(outcome, InstanceLock):
        return cli.print_reply(args, outcome)
    with outcome:  # held while we are the tray; should this process die instead, the kernel drops it
        if command not in cli.STARTS_THE_TRAY:
            return cli.print_not_running(args) if command in ("status", "stop", "quit") else 1
        if not _has_display():
            # Qt would say "xcb-cursor0 is needed" and abort: misleading, the library is not what is missing.
            print(f"llm-link-tray: {cli.translator(args)('CLI', NO_DISPLAY)}", file=sys.stderr)
            return 1
        logs.to_file(paths.tray_log)  # only the tray writes its file: see app/logs.py
        listener = single_instance.listen(files.socket)
        return run_tray(paths, listener, args)


def run_tray(paths: Paths, listener: socket.socket, args: argparse.Namespace) -> int:
    import qasync

    from app.ui.application import TrayApplication
    from app.ui.main_thread_gc import MainThreadGc

    app = TrayApplication(sys.argv[:1])
    # Qt objects must die on the GUI thread; the cyclic collector would free them in any thread (see module).
    collector = MainThreadGc()
    app.setApplicationName("llm-link-tray")
    app.setDesktopFileName("io.github.llm_link_tray")
    app.setQuitOnLastWindowClosed(False)
    # The language is chosen before any widget exists: widgets take their texts when they are built.
    from app.settings import SettingsFile
    from app.ui import i18n

    i18n.install(SettingsFile(paths.config_dir).load().language)
    icon = Path(__file__).resolve().parent.parent / "resources" / "io.github.llm_link_tray.svg"
    if icon.is_file():
        from PySide6.QtGui import QIcon

        app.setWindowIcon(QIcon(str(icon)))
    exit_code = 0

    async def run() -> None:
        nonlocal exit_code
        exit_code = await _serve(app, paths, listener, args)

    qasync.run(run())
    collector.uninstall()
    # No os._exit here: the abort at teardown that once made it look necessary was PySide6 6.12.0's None leak
    # (pinned out in pyproject.toml; tests/test_qt_runtime.py fails if an installed PySide6 leaks again).
    return exit_code


async def _serve(app: TrayApplication, paths: Paths, listener: socket.socket, args: argparse.Namespace) -> int:
    import asyncio

    from PySide6.QtWidgets import QSystemTrayIcon

    from app.controller import Controller
    from app.ui.shell import Shell

    controller = Controller(paths)
    shell = Shell(controller)
    # The session is ending under us (SIGHUP, the display went away): leave llm-link running, with its PID
    # file, for the next tray to adopt, as a quit with "keep llm-link running" does.
    leave_running = asyncio.Event()

    def session_ended(why: str) -> None:
        if not leave_running.is_set():
            pid = controller.status.pid
            kept = f"llm-link (pid {pid}) keeps running for the next tray to adopt" if pid else "no llm-link runs"
            log.warning("%s: exiting; %s", why, kept)
            leave_running.set()

    async def handle(command: str, command_args: list[str]) -> dict[str, Any]:
        if command in ("show", "settings"):
            shell.show_settings()
            return controller.answer(True, "settings opened")
        return await controller.handle_command(command, command_args)

    server = await single_instance.CommandServer.start(listener, handle)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, controller.quit_requested.set)
    loop.add_signal_handler(signal.SIGHUP, session_ended, "SIGHUP (the session ended)")
    app.display_lost.connect(lambda: session_ended("the display connection was lost"))

    tray_available = QSystemTrayIcon.isSystemTrayAvailable()
    await shell.open()
    if not tray_available:
        log.warning(NO_TRAY_HINT)
        shell.say_no_tray(NO_TRAY_HINT)
    log.info("tray shown (tray host available: %s)", tray_available)
    await controller.open()
    log.info("supervising: %s", controller.status.headline())
    if args.command in ("start", "restart"):
        await getattr(controller, args.command)()
    elif args.command == "switch":
        await controller.switch(args.provider, args.model)
    elif args.command == "settings":
        shell.show_settings()

    await _first(controller.quit_requested, leave_running)
    server.close()
    if not leave_running.is_set():
        log.info("quitting")
    await shell.close()
    await controller.close(leave_llmlink_running=leave_running.is_set())
    return 0


async def _first(*events: asyncio.Event) -> None:
    import asyncio

    waits = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
        await asyncio.gather(*waits, return_exceptions=True)


def _has_display() -> bool:
    """Whether Qt can show anything: an X or Wayland display, or a platform chosen explicitly (tests run
    offscreen). Only Linux and the BSDs need a display server; macOS and Windows always have their own."""
    if not sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return True
    return any(os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))
