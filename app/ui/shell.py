"""The UI around the controller: tray icon, notifications, settings dialog and log window, kept in step
with every status the supervisor publishes."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal

from app.controller import Controller
from app.errors import ErrorCode
from app.supervisor.notices import Notice
from app.supervisor.state import Status
from app.tasks import BackgroundTasks
from app.ui.activity_window import ActivityWindow
from app.ui.connect_dialog import ConnectDialog
from app.ui.first_run import FirstRunDialog
from app.ui.log_window import LogWindow
from app.ui.notifications import Notifier
from app.ui.settings_dialog import SettingsDialog
from app.ui.tray import TrayIcon

log = logging.getLogger("llm_link_tray.ui.shell")


class Shell(QObject):
    status_rendered = Signal(object)  # each Status once the tray shows it (tests and screenshots wait on it)
    notified = Signal(object)  # each Notice shown

    def __init__(self, controller: Controller) -> None:
        super().__init__()
        self.controller = controller
        self.tray = TrayIcon(controller)
        self.notifier = Notifier(self.tray.icon)
        self.settings_dialog: SettingsDialog | None = None
        self.first_run: FirstRunDialog | None = None
        self.log_window: LogWindow | None = None
        self._tasks = BackgroundTasks("shell")
        self.tray.settings_requested.connect(self.show_settings)
        self.tray.logs_requested.connect(self.show_logs)
        self.tray.connect_requested.connect(self.show_connect)
        self.tray.activity_requested.connect(self.show_activity)
        self.activity_window: ActivityWindow | None = None
        self.connect_dialog: ConnectDialog | None = None
        self.notifier.action_invoked.connect(self._on_notice_action)
        self.notifier.settings_requested.connect(self.show_settings)  # a click on the notice itself
        controller.subscribe(self._on_status)
        # What to say and when is the controller's (app/supervisor/notices.py); the shell only shows it.
        controller.notices.subscribe(self._notify)

    def _on_status(self, status: Status) -> None:
        self.tray.render(status)
        if self.connect_dialog is not None and self.connect_dialog.isVisible():
            self.connect_dialog.reload()  # a switch or Apply may have changed the port, mode or model
        if status.error is not None and status.error.code is ErrorCode.EXE_NOT_FOUND and self.first_run is None:
            self.show_first_run()
        self.status_rendered.emit(status)

    def _notify(self, notice: Notice) -> None:
        self.notifier.show(notice)
        self.notified.emit(notice)

    def _on_notice_action(self, action: str) -> None:
        if action == "restart":
            self._tasks.spawn(self.controller.restart(), name="restart from a notification")
        elif action == "logs":
            self.show_logs()

    async def open(self) -> None:
        """Connect to the notification daemon (if any) and show the tray icon."""
        await self.notifier.connect_bus()
        self.tray.show()

    async def close(self) -> None:
        self.tray.hide()
        await self.notifier.close()

    def say_no_tray(self, text: str) -> None:
        """Without a tray host the only visible sign of life: say once how to get a tray."""
        self._notify(Notice("info", "llm-link-tray runs without a tray icon", text))

    def show_settings(self) -> None:
        if self.settings_dialog is None:
            self.settings_dialog = SettingsDialog(self.controller)
            self.settings_dialog.icon_style_changed.connect(lambda _: self.tray.render(self.controller.status))
        else:
            self.settings_dialog.load(self.controller.settings)
        self.settings_dialog.open()
        self.settings_dialog.raise_()
        self.settings_dialog.activateWindow()

    def show_first_run(self) -> None:
        """llm-link is missing: say how to get it, offer to build it (once per run; Settings can fix it too)."""
        self.first_run = FirstRunDialog(self.controller)
        self.first_run.open()

    def show_connect(self) -> None:
        """"Connect an editor…": one non-modal dialog, brought up to date and to the front."""
        if self.connect_dialog is None:
            self.connect_dialog = ConnectDialog(self.controller)
        else:
            self.connect_dialog.reload()
        # show(), not open(): open() makes it window-modal, and it should sit beside the editor being set up.
        self.connect_dialog.show()
        self.connect_dialog.raise_()
        self.connect_dialog.activateWindow()

    def show_activity(self) -> None:
        """"Activity…": who used llm-link through the gateway, per client and per minute."""
        if self.activity_window is None:
            self.activity_window = ActivityWindow(self.controller)
        self.activity_window.show()
        self.activity_window.raise_()
        self.activity_window.activateWindow()

    def show_logs(self) -> None:
        if self.log_window is None:
            # llm-link's first: after a crash notice's "logs" action, its last words are what is looked for.
            self.log_window = LogWindow(
                [
                    ("llm-link", self.controller.log_path),
                    ("llm-link-tray", self.controller.paths.tray_log),
                    ("gateway", self.controller.paths.gateway_log),
                ]
            )
        self.log_window.show()
        self.log_window.raise_()
