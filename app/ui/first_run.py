"""First run without llm-link: say how to get it and, where cargo exists, build it with visible progress."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from app.controller import HOW_TO_INSTALL, Controller, InstallResult
from app.tasks import BackgroundTasks


class FirstRunDialog(QDialog):
    install_finished = Signal(object)  # the InstallResult

    def __init__(
        self, controller: Controller, *, cargo_root: Path | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.cargo_root = cargo_root
        self._tasks = BackgroundTasks("first run")
        self.setWindowTitle("llm-link-tray — llm-link is missing")
        self.setMinimumSize(640, 380)
        has_cargo = controller.can_build_llmlink()
        self.intro = QLabel(
            "<b>llm-link was not found.</b> llm-link-tray supervises llm-link but does not include it.<br>"
            + HOW_TO_INSTALL
            + (
                "<br><br>Cargo is installed: llm-link-tray can build it for you now (a few minutes)."
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
        self.install_button = QPushButton("Install with cargo")
        self.install_button.setEnabled(has_cargo)
        self.install_button.clicked.connect(self._start_install)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.install_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        for widget in (self.intro, self.output, self.result_label, buttons):
            layout.addWidget(widget)

    def _start_install(self) -> None:
        self._tasks.spawn(self.install(), name="install llm-link")

    async def install(self) -> InstallResult:
        self.install_button.setEnabled(False)
        self.output.setVisible(True)
        self.result_label.setText("Building llm-link…")
        result = await self.controller.install_llmlink(self.output.appendPlainText, root=self.cargo_root)
        if result.error is not None:
            self.result_label.setText(
                f"<b>{result.error.code}</b>: {result.error.message}<br>{result.error.suggestion}"
            )
            self.install_button.setEnabled(True)
        else:
            status = self.controller.status
            self.result_label.setText(f"Installed at {result.binary}. llm-link is {status.state.value.lower()}.")
        self.install_finished.emit(result)
        return result
