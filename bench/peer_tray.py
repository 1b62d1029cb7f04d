"""A bare PySide6 tray: a QSystemTrayIcon with a one-item menu and nothing else, the price of having a tray at
all. R5 (bench/peers.py) subtracts it from the tray's own cost.

    python -m bench.peer_tray   # prints "BARE_TRAY_READY <pid>" once the icon is shown; SIGTERM ends it
"""

from __future__ import annotations

import os
import sys

from PySide6.QtGui import QAction, QColor, QIcon, QPixmap
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon


def main() -> int:
    app = QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    pixmap = QPixmap(22, 22)
    pixmap.fill(QColor("green"))
    icon = QSystemTrayIcon(QIcon(pixmap))
    menu = QMenu()
    quit_action = QAction("Quit", menu)
    quit_action.triggered.connect(app.quit)
    menu.addAction(quit_action)
    icon.setContextMenu(menu)
    icon.setToolTip("bare tray")
    icon.show()
    print(f"BARE_TRAY_READY {os.getpid()}", flush=True)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
