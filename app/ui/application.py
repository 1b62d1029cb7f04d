"""The tray's QApplication: its event loop ends only when our own code ends it, and it says when the display
went away.

When the X server goes away (logout, display crash) Qt's xcb plugin logs "The X11 connection broke" and
calls `QCoreApplication::exit(1)` (PySide6 6.11: no Quit event, no signal), and calls it again on later
passes, ending any QEventLoop that runs, nested ones too. That ended `app.exec()` under qasync with our
coroutines unfinished ("Event loop stopped before Future completed", a traceback). Here an `exec()` that ends
without our asking emits `display_lost`, then keeps driving the loop with bare `processEvents` calls: with no
QEventLoop running, the plugin's exit() has nothing to end, so the asyncio callbacks run on until the tray has
closed down and asks to stop. (Measured: ~10 ms of CPU per second in that mode, no busy loop.)

qasync runs the loop through `app.exec()` and stops it through `app.exit()`, which is how we tell the two
endings apart; any end that Qt decides on its own is taken as the display's. (A Wayland compositor's death
ends the process inside Qt itself; nothing to hook there.)
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QEventLoop, QMessageLogContext, QtMsgType, Signal, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

log = logging.getLogger("llm_link_tray.qt")

_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


class TrayApplication(QApplication):
    display_lost = Signal()  # once, when Qt ended the event loop by itself

    def __init__(self, argv: list[str]) -> None:
        super().__init__(argv)
        self.display_is_lost = False
        self._exit_code: int | None = None
        # Qt's messages go through our log format (and key scrubber); after the loss they only repeat it.
        qInstallMessageHandler(self._qt_message)

    def exec(self) -> int:  # type: ignore[override]  # qasync calls it on the instance
        self._exit_code = None
        code = super().exec()
        if self._asked_to_exit():
            return code
        if not self.display_is_lost:
            self.display_is_lost = True
            self.display_lost.emit()
        while not self._asked_to_exit():
            QCoreApplication.processEvents(
                QEventLoop.ProcessEventsFlag.AllEvents | QEventLoop.ProcessEventsFlag.WaitForMoreEvents
            )
        return self._exit_code or 0

    def _asked_to_exit(self) -> bool:
        # A method, not an inline test: mypy would keep `_exit_code` narrowed to None across super().exec().
        return self._exit_code is not None

    def exit(self, code: int = 0) -> None:  # type: ignore[override]  # qasync's stop() calls app.exit()
        self._exit_code = code
        QApplication.exit(code)

    def _qt_message(self, kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
        if not self.display_is_lost:
            category = context.category or "default"
            prefix = "" if category == "default" else f"{category}: "
            log.log(_LEVELS.get(kind, logging.WARNING), "%s%s", prefix, message)
