"""The entry point: `llm-link-tray` and `python -m app` start here.

A command goes to an already running tray (single instance); otherwise this process becomes the tray:
Qt on qasync, the controller on the same loop. Quit sets an asyncio event, and the supervisor stops llm-link
before the loop ends.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path
from typing import Any

from app import cli
from app.paths import Paths
from app.secret import RedactingFilter

log = logging.getLogger("llm_link_tray.tray")

NO_TRAY_HINT = (
    "No system tray was found, so llm-link-tray runs without an icon (supervising continues, and "
    "`llm-link-tray status` works). On GNOME, install the 'AppIndicator and KStatusNotifierItem Support' "
    "extension to get the icon."
)


def main(argv: list[str] | None = None) -> int:
    args = cli.parser().parse_args(sys.argv[1:] if argv is None else argv)
    _setup_logging(args.log_level)
    paths = cli.paths_for(args)

    # Qt is imported here, not at module level, so `--help`/`--version` work without a display.
    from app.ui.single_instance import send_command, server_name

    name = server_name(paths.config_dir)
    command = args.command or "show"
    reply = send_command(name, command, cli.command_args(args))
    if reply is not None:
        return cli.print_reply(args, reply)
    if command not in cli.STARTS_THE_TRAY:
        return cli.print_not_running(args) if command in ("status", "stop", "quit") else 1
    return run_tray(paths, name, args)


def run_tray(paths: Paths, name: str, args: argparse.Namespace) -> int:
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("llm-link-tray")
    app.setDesktopFileName("io.github.llm_link_tray")
    app.setQuitOnLastWindowClosed(False)
    icon = Path(__file__).resolve().parent.parent / "resources" / "io.github.llm_link_tray.svg"
    if icon.is_file():
        from PySide6.QtGui import QIcon

        app.setWindowIcon(QIcon(str(icon)))
    exit_code = 0

    async def run() -> None:
        nonlocal exit_code
        exit_code = await _serve(app, paths, name, args)

    qasync.run(run())
    # No os._exit here: the abort at teardown that once made it look necessary was PySide6 6.12.0's None leak
    # (pinned out in pyproject.toml; tests/test_qt_runtime.py fails if an installed PySide6 leaks again).
    return exit_code


async def _serve(app: Any, paths: Paths, name: str, args: argparse.Namespace) -> int:
    from PySide6.QtWidgets import QSystemTrayIcon

    from app.controller import Controller
    from app.ui.shell import Shell
    from app.ui.single_instance import InstanceServer

    controller = Controller(paths)
    shell = Shell(controller)

    async def handle(command: str, command_args: list[str]) -> dict[str, Any]:
        if command in ("show", "settings"):
            shell.show_settings()
            return controller.answer(True, "settings opened")
        return await controller.handle_command(command, command_args)

    server = InstanceServer(name, handle)
    if not server.listen():
        # Another launch won the race between our check and our listen: hand over to it.
        log.info("another llm-link-tray took over; exiting")
        return 0

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, controller.quit_requested.set)

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

    await controller.quit_requested.wait()
    log.info("quitting")
    server.close()
    await shell.close()
    await controller.close()
    return 0


def _setup_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RedactingFilter())
    logging.basicConfig(level=level, handlers=[handler], format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request at INFO; our own client logs what matters.
    logging.getLogger("httpx").setLevel(logging.WARNING)
