"""First run without llm-link: say how to get it and, where cargo exists, build it with visible progress; and
offer to add llm-link-tray to the application menu (app/desktop_entry.py, as `llm-link-tray install-desktop`)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from app import desktop_entry
from app.controller import HOW_TO_INSTALL, Controller, InstallResult
from app.errors import AppErrorException
from app.tasks import BackgroundTasks
from app.ui import i18n


class FirstRunDialog(QDialog):
    install_finished = Signal(object)  # the InstallResult
    menu_entry_added = Signal(bool)  # after "Add to application menu": True when it was installed

    def __init__(
        self, controller: Controller, *, cargo_root: Path | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.cargo_root = cargo_root
        self._tasks = BackgroundTasks("first run")
        self.setWindowTitle(self.tr("llm-link-tray — llm-link is missing"))
        self.setMinimumSize(640, 380)
        has_cargo = controller.can_build_llmlink()
        self.intro = QLabel(
            self.tr("<b>llm-link was not found.</b> llm-link-tray supervises llm-link but does not include it.")
            + "<br>"
            + i18n.text(HOW_TO_INSTALL)
            + (
                "<br><br>" + self.tr("Cargo is installed: llm-link-tray can build it for you now (a few minutes).")
                if has_cargo
                else ""
            )
        )
        self.intro.setWordWrap(True)
        self.output = QPlainTextEdit()
        self.output.setReadOnly(True)
        self.output.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.output.setVisible(False)
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.install_button = QPushButton(self.tr("Install with cargo"))
        self.install_button.setEnabled(has_cargo)
        self.install_button.clicked.connect(self._start_install)
        self.menu_button = QPushButton(self.tr("Add to application menu"))
        self.menu_button.clicked.connect(self.add_to_menu)
        if desktop_entry.is_installed(controller.paths.state_dir):
            self._menu_done()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.menu_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.install_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        for widget in (self.intro, self.output, self.result_label, buttons):
            layout.addWidget(widget)

    def add_to_menu(self) -> bool:
        paths = self.controller.paths
        try:
            desktop_entry.install(paths.state_dir, command=desktop_entry.command_for(paths))
        except AppErrorException as exc:
            self.result_label.setText(i18n.error_text(exc.error))
            self.menu_entry_added.emit(False)
            return False
        self._menu_done()
        self.result_label.setText(
            self.tr("llm-link-tray is in the application menu (undo: llm-link-tray uninstall-desktop).")
        )
        self.menu_entry_added.emit(True)
        return True

    def _menu_done(self) -> None:
        self.menu_button.setText(self.tr("In the application menu ✓"))
        self.menu_button.setEnabled(False)

    def _start_install(self) -> None:
        self._tasks.spawn(self.install(), name="install llm-link")

    async def install(self) -> InstallResult:
        self.install_button.setEnabled(False)
        self.output.setVisible(True)
        self.result_label.setText(self.tr("Building llm-link…"))
        result = await self.controller.install_llmlink(self.output.appendPlainText, root=self.cargo_root)
        if result.error is not None:
            self.result_label.setText(
                f"<b>{result.error.code}</b>: {i18n.error_message(result.error)}<br>"
                f"{i18n.error_suggestion(result.error)}"
            )
            self.install_button.setEnabled(True)
        else:
            status = self.controller.status
            self.result_label.setText(
                self.tr("Installed at {path}. llm-link is {state}.").format(
                    path=result.binary, state=i18n.state_name(status.state).lower()
                )
            )
        self.install_finished.emit(result)
        return result
