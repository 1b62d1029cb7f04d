"""The tray entry point: `llm-link-tray` and `python -m app` start here.

For now an empty tray icon on qasync; the menu, dialogs and supervisor wiring come with the tray app issue.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from app import __version__
from app.secret import RedactingFilter

log = logging.getLogger("llm_link_tray.tray")


def _parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="llm-link-tray", description="Keeps llm-link running from the tray.")
    parser.add_argument("--version", action="version", version=f"llm-link-tray {__version__}")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    handler = logging.StreamHandler()
    handler.addFilter(RedactingFilter())
    logging.basicConfig(
        level=args.log_level, handlers=[handler], format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    # Qt is imported here, not at module level, so `--help`/`--version` work without a display.
    import qasync
    from PySide6.QtGui import QColor, QIcon, QPixmap
    from PySide6.QtWidgets import QApplication, QSystemTrayIcon

    app = QApplication(sys.argv[:1])
    app.setApplicationName("llm-link-tray")
    app.setQuitOnLastWindowClosed(False)
    pixmap = QPixmap(32, 32)
    pixmap.fill(QColor("#9e9e9e"))
    tray = QSystemTrayIcon(QIcon(pixmap))
    tray.setToolTip("llm-link-tray: not supervising yet")
    tray.show()

    quit_event = asyncio.Event()

    async def run() -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGINT, quit_event.set)
        loop.add_signal_handler(signal.SIGTERM, quit_event.set)
        log.info("tray shown (tray host available: %s)", QSystemTrayIcon.isSystemTrayAvailable())
        await quit_event.wait()

    qasync.run(run())
    return 0
