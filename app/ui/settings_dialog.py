"""Settings: provider, key, base URL, model, port, app mode, binary and switches; Apply runs the restart protocol.

Nothing here blocks: keyring reads, validation and Apply are coroutines on the qasync loop, and the dialog is
shown with `open()`, never `exec()`. Keys are read from and written to the keyring only.
"""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from dataclasses import replace
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.controller import APP_MODES, Controller, SwitchResult
from app.errors import AppError, AppErrorException, ErrorCode
from app.providers import PROVIDERS, provider
from app.secret import Secret
from app.settings import Settings
from app.tasks import BackgroundTasks

log = logging.getLogger("llm_link_tray.ui.settings")

STEP_TEXT = {
    "validating": "Validating the key…",
    "updating": "Updating llm-link's config…",
    "restarting": "Restarting llm-link…",
    "verifying": "Verifying the new instance…",
    "rolling back": "Rolling back to the previous config…",
}


class SettingsDialog(QDialog):
    validated = Signal(bool)  # after Validate: True when the key passed
    applied = Signal(object)  # after Apply: the SwitchResult
    step_changed = Signal(str)

    def __init__(self, controller: Controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setWindowTitle("llm-link-tray — Settings")
        self.setMinimumWidth(520)
        self._tasks = BackgroundTasks("settings")
        self._key_loaded_for: str | None = None
        self._build()
        self.load(controller.settings)

    # --- layout -----------------------------------------------------------------------------------

    def _build(self) -> None:
        self.provider = QComboBox()
        for spec in PROVIDERS:
            self.provider.addItem(spec.display_name, spec.id)
        self.provider.currentIndexChanged.connect(self._on_provider_changed)

        self.key = QLineEdit()
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key.setPlaceholderText("stored in the system keyring")
        self.show_key = QAction("Show", self.key)
        self.show_key.setCheckable(True)
        self.show_key.toggled.connect(self._toggle_key_visible)
        self.key.addAction(self.show_key, QLineEdit.ActionPosition.TrailingPosition)

        self.base_url = QLineEdit()
        self.base_url.setPlaceholderText("default endpoint")
        self.validate_button = QPushButton("Validate")
        self.validate_button.clicked.connect(lambda: self._spawn(self.validate()))
        self.model = QComboBox()
        self.model.setEditable(True)
        self.port = QSpinBox()
        self.port.setRange(1024, 65535)
        self.app_mode = QComboBox()
        for mode in APP_MODES:
            self.app_mode.addItem(mode, mode)
        self.binary = QLineEdit()
        self.binary.setPlaceholderText("found automatically")
        self.binary.editingFinished.connect(lambda: self._spawn(self.check_binary()))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse_binary)
        self.binary_status = QLabel()
        self.binary_status.setWordWrap(True)
        self.auto_restart = QCheckBox("Restart llm-link automatically when it fails")
        self.notifications = QCheckBox("Show desktop notifications")
        self.keep_running = QCheckBox("Keep llm-link running after quitting the tray")
        self.autostart = QCheckBox("Start llm-link-tray when I log in")

        form = QFormLayout()
        form.addRow("Provider", self.provider)
        form.addRow("API key", self.key)
        form.addRow("Base URL", self.base_url)
        model_row = QHBoxLayout()
        model_row.addWidget(self.model, 1)
        model_row.addWidget(self.validate_button)
        form.addRow("Model", model_row)
        form.addRow("Port", self.port)
        form.addRow("App mode", self.app_mode)
        binary_row = QHBoxLayout()
        binary_row.addWidget(self.binary, 1)
        binary_row.addWidget(browse)
        form.addRow("llm-link binary", binary_row)
        form.addRow("", self.binary_status)
        form.addRow("", self.auto_restart)
        form.addRow("", self.notifications)
        form.addRow("", self.keep_running)
        form.addRow("", self.autostart)

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(self.message.textInteractionFlags())
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Apply | QDialogButtonBox.StandardButton.Close)
        self.apply_button = self.buttons.button(QDialogButtonBox.StandardButton.Apply)
        self.apply_button.clicked.connect(lambda: self._spawn(self.apply()))
        self.buttons.rejected.connect(self.close)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    # --- state in and out -------------------------------------------------------------------------

    def load(self, settings: Settings) -> None:
        config = settings.llmlink
        self.provider.setCurrentIndex(self.provider.findData(config.provider))
        self._fill_provider_fields(config.provider, config.model, config.base_url)
        self.port.setValue(config.port)
        self.app_mode.setCurrentIndex(max(0, self.app_mode.findData(config.app_mode)))
        self.binary.setText(config.binary or "")
        self.auto_restart.setChecked(settings.auto_restart)
        self.notifications.setChecked(settings.notifications)
        self.keep_running.setChecked(settings.keep_llmlink_after_quit)
        # What the platform really has: the user may have removed the entry by hand since.
        self.autostart.setChecked(self.controller.autostart.is_enabled())

    def wanted(self) -> Settings:
        provider_id = str(self.provider.currentData())
        spec = provider(provider_id)
        model = self.model.currentText().strip() or None
        base_url = self.base_url.text().strip() or None if spec.takes_base_url else None
        # What the dialog does not show (the log level) stays as saved.
        config = replace(
            self.controller.settings.llmlink,
            provider=provider_id,
            model=model,
            base_url=base_url,
            port=self.port.value(),
            app_mode=str(self.app_mode.currentData()),
            binary=self.binary.text().strip() or None,
        )
        return replace(
            self.controller.settings,
            llmlink=config,
            auto_restart=self.auto_restart.isChecked(),
            notifications=self.notifications.isChecked(),
            keep_llmlink_after_quit=self.keep_running.isChecked(),
        )

    def entered_key(self) -> Secret | None:
        text = self.key.text().strip()
        return Secret(text) if text else None

    # --- actions ----------------------------------------------------------------------------------

    async def validate(self) -> bool:
        settings = self.wanted()
        config = settings.llmlink
        self._busy(True, "Validating…")
        try:
            models = await self.controller.validate(
                config.provider, self.entered_key(), model=config.model, base_url=config.base_url
            )
        except AppErrorException as exc:
            self._show_error(exc.error)
            self.validated.emit(False)
            return False
        finally:
            self._busy(False)
        current = self.model.currentText()
        self.model.clear()
        for info in models:
            self.model.addItem(info.name if info.name == info.id else f"{info.id} — {info.name}", info.id)
        self.model.setEditText(current or (models[0].id if models else ""))
        found = f"{len(models)} models listed" if models else "llm-link is not running, so no model list"
        self._show_ok(f"The key looks good: {found}.")
        self.validated.emit(True)
        return True

    async def apply(self) -> SwitchResult | None:
        settings = self.wanted()
        spec = provider(settings.llmlink.provider)
        key = self.entered_key()
        if spec.needs_key and key is None:
            self._show_error(
                AppError(
                    ErrorCode.KEY_MISSING,
                    f"{spec.display_name} needs an API key",
                    f"Paste your {spec.display_name} key above.",
                )
            )
            return None
        try:
            self.controller.set_autostart(self.autostart.isChecked())
        except OSError as exc:
            self._show_error(
                AppError(
                    ErrorCode.CONFIG_ERROR,
                    f"cannot change start-at-login: {exc.strerror}",
                    "Check the permissions of your autostart folder.",
                )
            )
            return None
        self._busy(True, STEP_TEXT["validating"])
        try:
            result = await self.controller.apply(settings, key, progress=self._on_step)
        except AppErrorException as exc:
            self._show_error(exc.error)
            return None
        finally:
            self._busy(False)
        if result.ok:
            status = result.status
            self._show_ok(f"Done: {status.provider} / {status.model} runs on port {status.port} (PID {status.pid}).")
        elif result.error is not None:
            self._show_error(result.error)
        self.applied.emit(result)
        return result

    async def check_binary(self) -> None:
        text = self.binary.text().strip()
        if not text:
            self.binary_status.setText("")
            return
        check = await self.controller.check_binary(text)
        if check.contract is not None:
            self.binary_status.setText(f"✓ {check.contract.label}")
        elif check.error is not None:
            self.binary_status.setText(f"✗ {check.error.code}: {check.error.message}. {check.error.suggestion}")

    # --- helpers ----------------------------------------------------------------------------------

    def _on_provider_changed(self) -> None:
        provider_id = str(self.provider.currentData())
        settings = self.controller.settings
        self._fill_provider_fields(provider_id, settings.models.get(provider_id), settings.base_urls.get(provider_id))

    def _fill_provider_fields(self, provider_id: str, model: str | None, base_url: str | None) -> None:
        spec = provider(provider_id)
        self.key.clear()
        self.key.setEnabled(spec.needs_key)
        self.key.setPlaceholderText("stored in the system keyring" if spec.needs_key else "Ollama needs no key")
        self.base_url.setEnabled(spec.takes_base_url)
        self.base_url.setText(base_url or "")
        self.model.clear()
        self.model.setEditText(model or spec.default_model)
        self.message.clear()
        if spec.needs_key:
            self._spawn(self._load_key(provider_id))

    async def _load_key(self, provider_id: str) -> None:
        try:
            key = await self.controller.stored_key(provider_id)
        except AppErrorException as exc:
            self._show_error(exc.error)
            return
        if key is not None and str(self.provider.currentData()) == provider_id and not self.key.text():
            self.key.setText(key.reveal())
        self._key_loaded_for = provider_id

    def _on_step(self, step: str) -> None:
        self.message.setText(STEP_TEXT.get(step, step))
        self.step_changed.emit(step)

    def _busy(self, busy: bool, text: str = "") -> None:
        for widget in (self.validate_button, self.apply_button, self.provider):
            widget.setEnabled(not busy)
        if text:
            self.message.setStyleSheet("")
            self.message.setText(text)

    def _show_error(self, error: AppError) -> None:
        self.message.setStyleSheet("color: #c62828;")
        self.message.setText(f"<b>{error.code}</b>: {error.message}<br>{error.suggestion}")

    def _show_ok(self, text: str) -> None:
        self.message.setStyleSheet("color: #2e7d32;")
        self.message.setText(text)

    def _toggle_key_visible(self, visible: bool) -> None:
        self.key.setEchoMode(QLineEdit.EchoMode.Normal if visible else QLineEdit.EchoMode.Password)
        self.show_key.setText("Hide" if visible else "Show")

    def _browse_binary(self) -> None:
        dialog = QFileDialog(self, "Choose the llm-link binary")
        dialog.fileSelected.connect(self._binary_chosen)
        dialog.open()

    def _binary_chosen(self, path: str) -> None:
        self.binary.setText(path)
        self._spawn(self.check_binary())

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        self._tasks.spawn(coro)
