"""Settings: provider, key, base URL, model, port, app mode, binary and switches; Apply runs the restart protocol.

Nothing here blocks: keyring reads, validation and Apply are coroutines on the qasync loop, and the dialog is
shown with `open()`, never `exec()`. Keys are read from and written to the keyring only.

While open it follows what llm-link runs: a switch from the menu or the command line is shown at once, unless
the user has edited fields (then they are warned, since Apply would switch back). Texts are for people: error
codes stay in logs and `--json`.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, Signal
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
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.controller import APP_MODES, Controller, KeyCheck, SwitchResult, normalise_base_url
from app.errors import AppError, AppErrorException, ErrorCode, plural, sentence
from app.i18n import QT_TRANSLATE_NOOP
from app.providers import PROVIDERS, provider
from app.secret import Secret
from app.settings import Settings, check_origins
from app.supervisor.state import Status
from app.tasks import BackgroundTasks
from app.ui import i18n

log = logging.getLogger("llm_link_tray.ui.settings")

# English source texts; shown through `step_text` in the UI's language.
STEP_TEXT = {
    "validating": QT_TRANSLATE_NOOP("SettingsDialog", "Validating the key…"),
    "updating": QT_TRANSLATE_NOOP("SettingsDialog", "Updating llm-link's config…"),
    "restarting": QT_TRANSLATE_NOOP("SettingsDialog", "Restarting llm-link…"),
    "verifying": QT_TRANSLATE_NOOP("SettingsDialog", "Verifying the new instance…"),
    "rolling back": QT_TRANSLATE_NOOP("SettingsDialog", "Rolling back to the previous config…"),
}


def step_text(step: str) -> str:
    return QCoreApplication.translate("SettingsDialog", STEP_TEXT[step]) if step in STEP_TEXT else step

ERROR_COLOUR = "color: #c62828;"
WARNING_COLOUR = "color: #b45309;"
OK_COLOUR = "color: #2e7d32;"


class SettingsDialog(QDialog):
    validated = Signal(bool)  # after Validate: True only when the key was verified with the upstream
    applied = Signal(object)  # after Apply: the SwitchResult
    step_changed = Signal(str)
    icon_style_changed = Signal(str)  # saved at once: the tray redraws, llm-link is not touched
    followed = Signal()  # the dialog showed (or warned about) a change of llm-link made elsewhere
    binary_shown = Signal()  # the "binary in use" line was updated

    def __init__(self, controller: Controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setWindowTitle(self.tr("llm-link-tray — Settings"))
        self.setMinimumWidth(520)
        self._tasks = BackgroundTasks("settings")
        self._key_loaded_for: str | None = None
        self._busy_now = False
        # What `load` showed: the config, the fields' values and the key as read from the keyring. Fields that
        # still equal these are "not edited": the dialog may follow a change made elsewhere.
        self._loaded_config = controller.config
        self._loaded_view: tuple[object, ...] = ()
        self._loaded_key = ""
        self._following = controller.config  # llm-link's config the dialog last caught up with
        self._shown_pid: int | None = None
        self.discard_prompt: QMessageBox | None = None
        self._build()
        self.load(controller.settings)
        self._unsubscribe: Callable[[], None] | None = controller.subscribe(self._on_status)
        controller.keys_changed.append(self._show_key_note)
        self.destroyed.connect(lambda *_: self._detach())

    # --- layout -----------------------------------------------------------------------------------

    def _build(self) -> None:
        self.provider = QComboBox()
        for spec in PROVIDERS:
            self.provider.addItem(spec.display_name, spec.id)
        self.provider.currentIndexChanged.connect(self._on_provider_changed)

        self.key = QLineEdit()
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key.setPlaceholderText(self.tr("stored in the system keyring"))
        self.show_key = QAction(self.tr("Show"), self.key)
        self.show_key.setCheckable(True)
        self.show_key.toggled.connect(self._toggle_key_visible)
        self.key.addAction(self.show_key, QLineEdit.ActionPosition.TrailingPosition)

        self.key_note = QLabel()  # "not verified" for the shown provider's stored key
        self.key_note.setWordWrap(True)
        self.key_note.setStyleSheet(WARNING_COLOUR)
        self.key_note.setVisible(False)
        self.base_url = QLineEdit()
        # llm-link appends /v1 itself; a URL with it is accepted and shortened (see `normalise_base_url`).
        self.base_url.setPlaceholderText(self.tr("default endpoint; or e.g. https://host (llm-link adds /v1)"))
        self.validate_button = QPushButton(self.tr("Validate"))
        self.validate_button.clicked.connect(lambda: self._spawn(self.validate()))
        self.model = QComboBox()
        self.model.setEditable(True)
        self.port = QSpinBox()
        self.port.setRange(1024, 65535)
        self.app_mode = QComboBox()
        for mode in APP_MODES:
            self.app_mode.addItem(mode, mode)
        self.binary = QLineEdit()
        self.binary.setPlaceholderText(self.tr("found automatically"))
        self.binary.editingFinished.connect(lambda: self._spawn(self.check_binary()))
        browse = QPushButton(self.tr("Browse…"))
        browse.clicked.connect(self._browse_binary)
        self.binary_status = QLabel()
        self.binary_status.setWordWrap(True)
        self.binary_in_use = QLabel()
        self.binary_in_use.setWordWrap(True)
        self.binary_in_use.setTextFormat(Qt.TextFormat.PlainText)
        self.auto_restart = QCheckBox(self.tr("Restart llm-link automatically when it fails"))
        self.notifications = QCheckBox(self.tr("Show desktop notifications"))
        self.keep_running = QCheckBox(self.tr("Keep llm-link running after quitting the tray"))
        self.autostart = QCheckBox(self.tr("Start llm-link-tray when I log in"))
        self.icon_style = QComboBox()
        self.icon_style.addItem(self.tr("Colour"), "color")
        self.icon_style.addItem(self.tr("Monochrome (for panels of symbolic icons)"), "mono")
        self.icon_style.activated.connect(self._icon_style_chosen)  # the user's pick only, not `load`
        self.language = QComboBox()
        # Each language by its own name, so a user who cannot read the current one still finds theirs.
        self.language.addItem(self.tr("System default"), "system")
        self.language.addItem("English", "en")
        self.language.addItem("简体中文", "zh_CN")
        self.language.setToolTip(self.tr("Takes effect the next time llm-link-tray starts."))
        self.language.activated.connect(self._language_chosen)
        # The browser allow-list of the gateway: one origin per line; empty means Ollama's defaults.
        self.allowed_origins = QPlainTextEdit()
        defaults = self.tr("Defaults: pages on localhost, app://, file://, editor webviews")
        self.allowed_origins.setPlaceholderText(defaults)
        self.allowed_origins.setMaximumHeight(70)
        self.allowed_origins.setToolTip(
            self.tr("Web pages from other origins cannot use llm-link. One per line, like http://localhost:3000")
        )

        form = QFormLayout()
        form.addRow(self.tr("Provider"), self.provider)
        form.addRow(self.tr("API key"), self.key)
        form.addRow("", self.key_note)
        form.addRow(self.tr("Base URL"), self.base_url)
        model_row = QHBoxLayout()
        model_row.addWidget(self.model, 1)
        model_row.addWidget(self.validate_button)
        form.addRow(self.tr("Model"), model_row)
        form.addRow(self.tr("Port"), self.port)
        form.addRow(self.tr("App mode"), self.app_mode)
        binary_row = QHBoxLayout()
        binary_row.addWidget(self.binary, 1)
        binary_row.addWidget(browse)
        form.addRow(self.tr("llm-link binary"), binary_row)
        form.addRow("", self.binary_status)
        form.addRow(self.tr("In use"), self.binary_in_use)
        form.addRow("", self.auto_restart)
        form.addRow("", self.notifications)
        form.addRow("", self.keep_running)
        form.addRow("", self.autostart)
        form.addRow(self.tr("Tray icon"), self.icon_style)
        form.addRow(self.tr("Language"), self.language)
        form.addRow(self.tr("Allowed browser origins"), self.allowed_origins)

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.RichText)  # escaped: see `_show`
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Apply | QDialogButtonBox.StandardButton.Close)
        self.apply_button = self.buttons.button(QDialogButtonBox.StandardButton.Apply)
        self.apply_button.clicked.connect(lambda: self._spawn(self.apply()))
        self.buttons.rejected.connect(self.reject)  # Close, Esc and the window's X all end in `reject`

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
        self.icon_style.setCurrentIndex(max(0, self.icon_style.findData(settings.icon_style)))
        self.language.setCurrentIndex(max(0, self.language.findData(settings.language)))
        self.allowed_origins.setPlainText("\n".join(settings.allowed_origins or ()))
        self._loaded_config = config
        self._loaded_view = self._view()
        self._following = self.controller.config
        self._spawn(self.show_binary_in_use())

    def wanted(self) -> Settings:
        provider_id = str(self.provider.currentData())
        spec = provider(provider_id)
        if self._view() == self._loaded_view:
            # Untouched fields mean "as it is": the model shown for a config without one is only llm-link's
            # default, and Apply must not turn that into a change (and a restart).
            config = self._loaded_config
        else:
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

    async def _key_to_use(self, provider_id: str) -> Secret | None:
        """The key typed; while the stored one is still being read from the keyring (Validate or Apply clicked
        as the dialog opened), the stored one: the field is empty because it is not shown yet, not because
        there is no key. Raises AppErrorException (KEYRING_LOCKED, …)."""
        typed = self.entered_key()
        if typed is not None or not provider(provider_id).needs_key or self._key_loaded_for == provider_id:
            return typed
        return await self.controller.stored_key(provider_id)

    def edited(self) -> bool:
        """The user changed what llm-link runs, or typed a key, since the dialog was loaded."""
        return self._view() != self._loaded_view or self.key_unapplied()

    def key_unapplied(self) -> bool:
        """A key was typed that is not the stored one (and Apply has not stored it)."""
        text = self.key.text().strip()
        return bool(text) and text != self._loaded_key

    # --- actions ----------------------------------------------------------------------------------

    async def validate(self) -> bool:
        note = self._normalise_base_url()
        settings = self.wanted()
        config = settings.llmlink
        spec = provider(config.provider)
        self._busy(True, self.tr("Validating…"))
        try:
            key = await self._key_to_use(config.provider)
            check = await self.controller.check_key(config.provider, key, model=config.model, base_url=config.base_url)
        except AppErrorException as exc:
            self._show_error(exc.error)
            self.validated.emit(False)
            return False
        finally:
            self._busy(False)
        current = self.model.currentText()
        self.model.clear()
        for info in check.models:
            self.model.addItem(info.name if info.name == info.id else f"{info.id} — {info.name}", info.id)
        self.model.setEditText(current or (check.models[0].id if check.models else ""))
        text = _check_text(spec.display_name, spec.needs_key, check)
        self._show(_join(note, text), OK_COLOUR if check.upstream.verified else WARNING_COLOUR)
        self.validated.emit(check.upstream.verified)
        return check.upstream.verified

    def wanted_origins(self) -> tuple[str, ...] | None:
        """The allow-list as typed (None: empty, the defaults); ValueError/TypeError says what is wrong."""
        lines = [line.strip() for line in self.allowed_origins.toPlainText().splitlines() if line.strip()]
        return check_origins(lines) if lines else None

    async def apply(self) -> SwitchResult | None:
        note = self._normalise_base_url()
        try:
            origins = self.wanted_origins()
        except (ValueError, TypeError) as exc:
            suggestion = self.tr("Write one origin per line, like http://localhost:3000, or none for the defaults.")
            self._show_error(AppError(ErrorCode.CONFIG_ERROR, str(exc), suggestion))
            return None
        settings = replace(self.wanted(), allowed_origins=origins)
        spec = provider(settings.llmlink.provider)
        try:
            key = await self._key_to_use(spec.id)
        except AppErrorException as exc:
            self._show_error(exc.error)
            return None
        if spec.needs_key and key is None:
            self._show_error(
                AppError(
                    ErrorCode.KEY_MISSING,
                    f"{spec.display_name} needs an API key",  # translated by its template, like every AppError
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
        self._busy(True, step_text("validating"))
        try:
            result = await self.controller.apply(settings, key, progress=self._on_step)
        except AppErrorException as exc:
            self._show_error(exc.error)
            return None
        finally:
            self._busy(False)
        if result.ok:
            # Applied: what runs now is what the dialog shows, and the key (if any) is the stored one.
            self._loaded_config = self.controller.settings.llmlink
            self._loaded_view = self._view()
            self._loaded_key = self.key.text().strip()
            self._following = self.controller.config
            self._show_ok(_join(note, self._applied_text(result)))
            self._show_key_note()
        elif result.error is not None:
            self._show_error(result.error)
        self.applied.emit(result)
        self._spawn(self.show_binary_in_use())
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
            self.binary_status.setText(f"✗ {i18n.error_text(check.error)}")

    async def show_binary_in_use(self) -> None:
        """Which llm-link runs (or would start), and its version."""
        found = await self.controller.binary_in_use()
        if found.path is None or (found.error is not None and not found.running):
            text = i18n.error_text(found.error) if found.error is not None else self.tr("no llm-link found")
        else:
            version = f"llm-link {found.version}" if found.version else (found.label or "llm-link")
            if not found.version:
                version += self.tr(" (exact version not recorded)")
            where = (
                self.tr("running, PID {pid}").format(pid=self.controller.status.pid)
                if found.running
                else self.tr("used at the next start")
            )
            text = self.tr("{path} — {version}, {where}").format(path=found.path, version=version, where=where)
        self.binary_in_use.setText(text)
        self.binary_shown.emit()

    # --- following llm-link -----------------------------------------------------------------------

    def _on_status(self, status: Status) -> None:
        if status.pid != self._shown_pid:
            self._shown_pid = status.pid
            if self.isVisible():
                self._spawn(self.show_binary_in_use())
        # The published status names what runs; the controller's config and settings may catch up a moment later.
        shown = self._following
        if status.provider is None or self._busy_now or not self.isVisible():
            return
        same_model = status.model is None or status.model == (shown.model or status.model)
        if status.provider == shown.provider and same_model:
            return
        base_url = self.controller.settings.base_urls.get(status.provider)
        now = replace(self.controller.config, provider=status.provider, model=status.model, base_url=base_url)
        self._following = now
        what = f"{now.provider} / {now.model or self.tr('default model')}"
        if self.edited():
            self._show(
                self.tr(
                    "llm-link was switched to {what} meanwhile (from the menu or the command line). "
                    "Apply would change it to what is shown here; Close keeps it."
                ).format(what=what),
                WARNING_COLOUR,
            )
        else:
            self.load(replace(self.controller.settings, llmlink=now))
            self._show(self.tr("Now showing what runs: llm-link was switched to {what}.").format(what=what), "")
        self.followed.emit()

    def _detach(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._show_key_note in self.controller.keys_changed:
            self.controller.keys_changed.remove(self._show_key_note)

    # --- closing ----------------------------------------------------------------------------------

    def reject(self) -> None:
        """Close, Esc and the window's X: a typed key that was not applied is not dropped without asking."""
        if not self.key_unapplied():
            super().reject()
            return
        prompt = QMessageBox(
            QMessageBox.Icon.Question,
            self.tr("Discard the key?"),
            self.tr("The API key you typed was not applied, so it is not stored. Discard it?"),
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            self,
        )
        prompt.setDefaultButton(QMessageBox.StandardButton.Cancel)
        prompt.finished.connect(lambda _: self._discard_answered(prompt))
        self.discard_prompt = prompt
        prompt.open()

    def _discard_answered(self, prompt: QMessageBox) -> None:
        self.discard_prompt = None
        if prompt.clickedButton() is prompt.button(QMessageBox.StandardButton.Discard):
            self.key.setText(self._loaded_key)
            super().reject()
        prompt.deleteLater()

    # --- helpers ----------------------------------------------------------------------------------

    def _view(self) -> tuple[object, ...]:
        """The fields that make up llm-link's config, as shown."""
        return (
            self.provider.currentData(),
            self.model.currentText().strip(),
            self.base_url.text().strip(),
            self.port.value(),
            self.app_mode.currentData(),
            self.binary.text().strip(),
        )

    def _normalise_base_url(self) -> str:
        """Shorten a base URL ending in /v1 (llm-link adds it) and say so; "" when nothing changed."""
        text = self.base_url.text().strip()
        if not text or not self.base_url.isEnabled():
            return ""
        short = normalise_base_url(text) or ""
        if short == text.rstrip("/"):
            return ""
        self.base_url.setText(short)
        return self.tr("llm-link adds /v1 itself, so the base URL is now {url}.").format(url=short)

    def _applied_text(self, result: SwitchResult) -> str:
        if not result.path:
            return self.tr("Saved. llm-link was not restarted: nothing it runs with changed.")
        status = result.status
        return self.tr("Done: {provider} / {model} runs on port {port} (PID {pid}).").format(
            provider=status.provider, model=status.model, port=status.port, pid=status.pid
        )

    def _show_key_note(self) -> None:
        reason = self.controller.unverified_keys.get(str(self.provider.currentData()))
        self.key_note.setVisible(reason is not None)
        if reason is not None:
            note = self.tr("Not verified yet: {reason}. The first request through llm-link that works verifies it.")
            self.key_note.setText(note.format(reason=i18n.text(reason)))

    def _on_provider_changed(self) -> None:
        provider_id = str(self.provider.currentData())
        settings = self.controller.settings
        self._fill_provider_fields(provider_id, settings.models.get(provider_id), settings.base_urls.get(provider_id))

    def _fill_provider_fields(self, provider_id: str, model: str | None, base_url: str | None) -> None:
        spec = provider(provider_id)
        self.key.clear()
        self._loaded_key = ""
        self._key_loaded_for = None  # until `_load_key` has shown this provider's stored key (or found none)
        self.key.setEnabled(spec.needs_key)
        self.key.setPlaceholderText(
            self.tr("stored in the system keyring") if spec.needs_key else self.tr("Ollama needs no key")
        )
        self.base_url.setEnabled(spec.takes_base_url)
        self.base_url.setText(base_url or "")
        self.model.clear()
        self.model.setEditText(model or spec.default_model)
        self.message.clear()
        self._show_key_note()
        if spec.needs_key:
            self._spawn(self._load_key(provider_id))

    async def _load_key(self, provider_id: str) -> None:
        try:
            key = await self.controller.stored_key(provider_id)
        except AppErrorException as exc:
            self._show_error(exc.error)
            return
        if key is not None and str(self.provider.currentData()) == provider_id and not self.key.text():
            self._loaded_key = key.reveal()
            self.key.setText(key.reveal())
        self._key_loaded_for = provider_id

    def _on_step(self, step: str) -> None:
        self.message.setText(html.escape(step_text(step)))
        self.step_changed.emit(step)

    def _busy(self, busy: bool, text: str = "") -> None:
        self._busy_now = busy
        for widget in (self.validate_button, self.apply_button, self.provider):
            widget.setEnabled(not busy)
        if text:
            self._show(text, "")

    def _show(self, text: str, colour: str) -> None:
        self.message.setStyleSheet(colour)
        self.message.setText(html.escape(text))

    def _show_error(self, error: AppError) -> None:
        # The code is for logs and --json; a person reads what happened and what to do.
        log.info("settings: %s", error)
        self.message.setStyleSheet(ERROR_COLOUR)
        headline, suggestion = i18n.error_headline(error), i18n.error_suggestion(error)
        self.message.setText(f"<b>{html.escape(headline)}</b><br>{html.escape(suggestion)}")

    def _show_ok(self, text: str) -> None:
        self._show(text, OK_COLOUR)

    def _icon_style_chosen(self) -> None:
        # Appearance only: saved now, like the menu's toggles, so it needs no Apply (which may restart llm-link).
        style = str(self.icon_style.currentData())
        self.controller.save(replace(self.controller.settings, icon_style=style))
        self.icon_style_changed.emit(style)

    def _language_chosen(self) -> None:
        # Saved now, like the icon style: it needs no Apply, and it shows at the next start (widgets take their
        # texts when they are built).
        self.controller.save(replace(self.controller.settings, language=str(self.language.currentData())))

    def _toggle_key_visible(self, visible: bool) -> None:
        self.key.setEchoMode(QLineEdit.EchoMode.Normal if visible else QLineEdit.EchoMode.Password)
        self.show_key.setText(self.tr("Hide") if visible else self.tr("Show"))

    def _browse_binary(self) -> None:
        dialog = QFileDialog(self, self.tr("Choose the llm-link binary"))
        dialog.fileSelected.connect(self._binary_chosen)
        dialog.open()

    def _binary_chosen(self, path: str) -> None:
        self.binary.setText(path)
        self._spawn(self.check_binary())

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        self._tasks.spawn(coro)


def _join(*parts: str) -> str:
    """Sentences side by side: with a space in English, without one after a Chinese full stop."""
    text = ""
    for part in filter(None, parts):
        text += part if not text or not text[-1].isascii() else f" {part}"
    return text


def _models(count: int) -> str:
    if i18n.language() == "en":
        return plural(count, "model")
    return QCoreApplication.translate("SettingsDialog", "{count} models").format(count=count)


def _check_text(name: str, needs_key: bool, check: KeyCheck) -> str:
    """What Validate found, in words: verified, not verified and why, or not checkable from here."""
    upstream = check.upstream
    offered = (
        QCoreApplication.translate("SettingsDialog", "llm-link offers {models}.").format(
            models=_models(len(check.models))
        )
        if check.models
        else QCoreApplication.translate("SettingsDialog", "llm-link is not running, so it listed no models.")
    )
    if upstream.verified and not needs_key:
        return QCoreApplication.translate("SettingsDialog", "{name} answers: {models} installed.").format(
            name=name, models=_models(len(upstream.models))
        )
    if upstream.verified:
        works = QCoreApplication.translate("SettingsDialog", "The key works: {url} listed {models}.").format(
            url=upstream.url, models=_models(len(upstream.models))
        )
        return _join(works, offered)
    if upstream.checked:
        reason = sentence(upstream.reason) if i18n.language() == "en" else i18n.headline(i18n.text(upstream.reason))
        not_verified = QCoreApplication.translate("SettingsDialog", "Not verified: {reason} Check the base URL.")
        return _join(not_verified.format(reason=reason), offered)
    return _join(
        QCoreApplication.translate(
            "SettingsDialog",
            "The key has the right format, but {name} cannot be asked from here, so it is not verified until "
            "the first request through llm-link works.",
        ).format(name=name),
        offered,
    )
