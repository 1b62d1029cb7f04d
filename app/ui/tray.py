"""The tray icon and its menu: renders the supervisor's status and turns clicks into intents."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any, Final

from PySide6.QtCore import QCoreApplication, QObject, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from app.controller import Controller
from app.providers import PROVIDERS
from app.supervisor.state import State, Status
from app.tasks import BackgroundTasks
from app.ui import i18n
from app.ui.activity_window import activity_line
from app.ui.icons import key_icon, state_icon
from app.ui.menu_state import enabled_items

log = logging.getLogger("llm_link_tray.ui.tray")


def tooltip_text(status: Status) -> str:
    waiting = f" — {i18n.text(status.waiting)}" if status.waiting else ""  # e.g. for the keyring's unlock prompt
    lines = [f"llm-link: {i18n.state_name(status.state)}{waiting}"]
    if status.provider:
        model = status.model or QCoreApplication.translate("TrayIcon", "default model")
        lines.append(f"{status.provider} / {model}")
    if status.port:
        lines.append(QCoreApplication.translate("TrayIcon", "port {port}").format(port=status.port))
    lines.append(i18n.summary(status.details))
    if (activity := activity_line(status.traffic)) is not None:
        lines.append(activity)
    if status.error:
        lines.append(f"{status.error.code}: {i18n.error_message(status.error)}")
    if status.last_failure:
        failure = status.last_failure
        lines.append(i18n.failure_line(failure, f"{failure.error.code}: {i18n.error_message(failure.error)}"))
    return "\n".join(lines)


def error_line(status: Status) -> str | None:
    """The menu's error line: the state's own cause first, else the last failed action (which leaves the
    state, and so the icon, as it is); None hides the line."""
    if status.error is not None:
        return f"{status.error.code}: {i18n.error_suggestion(status.error)}"
    failure = status.last_failure
    if failure is not None:
        return i18n.failure_line(failure, f"{failure.error.code}: {i18n.error_suggestion(failure.error)}")
    return None


class TrayIcon(QObject):
    """Owns the QSystemTrayIcon and its menu. Emits intents the app wires to dialogs and windows."""

    settings_requested = Signal()
    logs_requested = Signal()
    connect_requested = Signal()  # "Connect an editor…"
    activity_requested = Signal()  # "Activity…"
    intent_finished = Signal()
    models_loaded = Signal()  # the Models submenu now lists what llm-link and the validation listed

    def __init__(self, controller: Controller) -> None:
        super().__init__()
        self.controller = controller
        self.busy = False
        self._shown_state: State | None = None
        self._shown: dict[tuple[str, str], object] = {}
        # How many Qt properties render() has written: a public seam for the test that unchanged statuses
        # cost no Qt call.
        self.qt_writes = 0
        self._tasks = BackgroundTasks("tray menu")
        self.icon = QSystemTrayIcon(self)
        self.menu = QMenu()
        self.actions: dict[str, QAction] = {}
        # The Models submenu: the list fetched for `_models_provider`, and the names its items show now.
        self._models: tuple[str, ...] = ()
        self._models_provider: str | None = None
        self._loading_models = False
        self._model_items: tuple[str, ...] = ()
        self._build_menu()
        self.icon.setContextMenu(self.menu)
        self.menu.aboutToShow.connect(controller.want_stored_keys)
        self.menu.aboutToShow.connect(self.want_models)
        controller.keys_changed.append(lambda: self.render(controller.status))
        self.icon.activated.connect(self._on_activated)
        self.render(controller.status)

    # --- rendering --------------------------------------------------------------------------------

    def render(self, status: Status) -> None:
        """Show `status`, calling Qt only for what differs from what is already shown.

        Why: every Qt call is work on the GUI thread, and on PySide6 6.12.0 each void setter also leaked a
        reference to None until CPython aborted (see tests/test_qt_runtime.py). A probe every 10 s used to
        redraw the whole menu; now an unchanged status costs no Qt call at all.
        """
        if status.state is not self._shown_state:
            self._shown_state = status.state
            log.info("tray icon: %s", status.state.value)
        self._sync_model_items()
        for key, value in self._view(status).items():
            if self._shown.get(key, _UNSET) != value:
                self._shown[key] = value
                self._apply(key, value)
                self.qt_writes += 1

    def _view(self, status: Status) -> dict[tuple[str, str], object]:
        """Everything the icon and menu show, as (item, property) → value; pure, so it can be diffed."""
        config = self.controller.config
        error = error_line(status)
        view: dict[tuple[str, str], object] = {
            ("tray", "icon"): ("state", status.state, self.controller.settings.icon_style),
            ("tray", "tooltip"): tooltip_text(status),
            ("status", "text"): i18n.status_headline(status),
            ("config", "text"): self.tr("{provider} / {model} · port {port}").format(
                provider=config.provider, model=config.model or self.tr("default model"), port=config.port
            ),
            ("error", "visible"): error is not None,
            ("auto_refresh", "checked"): self.controller.settings.auto_refresh,
        }
        if error is not None:
            view[("error", "text")] = error
        activity = activity_line(status.traffic)
        view[("activity", "visible")] = activity is not None
        view[("activity", "text")] = activity or ""
        enabled = enabled_items(status.state, busy=self.busy)
        for name in ("start", "stop", "restart", "refresh", "settings", "view_logs", "open_log_folder", "quit"):
            view[(name, "enabled")] = name in enabled
        current_model = config.model or (status.model if status.provider == config.provider else None)
        view[("models", "enabled")] = "switch" in enabled and bool(self._model_items)
        for name in self._model_items:
            view[(f"model:{name}", "checked")] = name == current_model
            view[(f"model:{name}", "enabled")] = "switch" in enabled and name != current_model
        stored = self.controller.stored_keys
        unverified = self.controller.unverified_keys  # a stored key nothing has confirmed yet is marked so
        for spec in PROVIDERS:
            item = f"provider:{spec.id}"
            active = spec.id == config.provider
            has_key = stored.get(spec.id, not spec.needs_key)
            doubt = unverified.get(spec.id) if has_key else None
            view[(item, "icon")] = ("state", status.state) if active else ("key", has_key)
            view[(item, "checked")] = active
            view[(item, "enabled")] = "switch" in enabled and has_key and not active
            not_verified = self.tr("{provider} (key not verified)").format(provider=spec.display_name)
            view[(item, "text")] = not_verified if doubt else spec.display_name
            tooltip = self.tr("Key not verified yet: {reason}").format(reason=i18n.text(doubt)) if doubt else ""
            view[(item, "tooltip")] = tooltip if has_key else self.tr("No key stored: add it in Settings")
        return view

    def _apply(self, key: tuple[str, str], value: object) -> None:
        item, prop = key
        if item == "tray":
            if prop == "icon":
                self.icon.setIcon(_icon_for(value))
            else:
                self.icon.setToolTip(str(value))
            return
        action = self.actions[item]
        if prop == "text":
            action.setText(str(value))
        elif prop == "enabled":
            action.setEnabled(bool(value))
        elif prop == "visible":
            action.setVisible(bool(value))
        elif prop == "checked":
            action.setChecked(bool(value))
        elif prop == "icon":
            action.setIcon(_icon_for(value))
        elif prop == "tooltip":
            action.setToolTip(str(value))

    # --- menu -------------------------------------------------------------------------------------

    def _build_menu(self) -> None:
        add = self._add
        add("status", self.tr("Status")).setEnabled(False)
        add("config", self.tr("Provider")).setEnabled(False)
        add("error", self.tr("Error")).setEnabled(False)
        add("activity", "").setEnabled(False)  # "Zed · 14 requests in the last hour · last 2 min ago"
        self.menu.addSeparator()
        providers = self.menu.addMenu(self.tr("Providers"))
        for spec in PROVIDERS:
            action = providers.addAction(spec.display_name)
            action.setCheckable(True)
            action.triggered.connect(lambda _=False, pid=spec.id: self._run(self.controller.switch(pid)))
            self.actions[f"provider:{spec.id}"] = action
        self.models_menu = self.menu.addMenu(self.tr("Models"))
        self.actions["models"] = self.models_menu.menuAction()
        self.menu.addSeparator()
        add("start", self.tr("Start"), lambda: self._run(self.controller.start()))
        add("stop", self.tr("Stop"), lambda: self._run(self.controller.stop()))
        add("restart", self.tr("Restart"), lambda: self._run(self.controller.restart()))
        self.menu.addSeparator()
        add("refresh", self.tr("Refresh now"), self.controller.refresh)
        auto = add("auto_refresh", self.tr("Auto-refresh"), self._toggle_auto_refresh)
        auto.setCheckable(True)
        add("settings", self.tr("Settings…"), self.settings_requested.emit)
        add("connect", self.tr("Connect an editor…"), self.connect_requested.emit)
        add("activity_window", self.tr("Activity…"), self.activity_requested.emit)
        add("view_logs", self.tr("View logs"), self.logs_requested.emit)
        add("open_log_folder", self.tr("Open log folder"), self._open_log_folder)
        self.menu.addSeparator()
        add("quit", self.tr("Quit"), self.controller.quit_requested.set)

    def _add(self, name: str, text: str, slot: Callable[[], object] | None = None) -> QAction:
        action = self.menu.addAction(text)
        if slot is not None:
            action.triggered.connect(lambda _=False: slot())
        self.actions[name] = action
        return action

    def _run(self, intent: Coroutine[Any, Any, Any]) -> None:
        """Run an intent on the asyncio loop; the menu waits (greyed) until it is done."""
        self.busy = True
        self.render(self.controller.status)

        async def run() -> None:
            try:
                await intent
            finally:
                self.busy = False
                self.render(self.controller.status)
                self.intent_finished.emit()

        self._tasks.spawn(run(), name=f"menu: {getattr(intent, '__qualname__', 'intent')}")

    # --- the Models submenu ---------------------------------------------------------------------------

    def want_models(self) -> None:
        """Fetch the active provider's models in the background (when the menu opens), unless they are known.
        Not on every render: a status poll must cost no network call and no Qt call."""
        provider_id = self.controller.config.provider
        if self._loading_models or self._models_provider == provider_id:
            return
        self._loading_models = True

        async def load() -> None:
            try:
                models = await self.controller.models()
            finally:
                self._loading_models = False
            if models and self.controller.config.provider == provider_id:
                self._models, self._models_provider = models, provider_id
            self.render(self.controller.status)
            self.models_loaded.emit()

        self._tasks.spawn(load(), name="menu: list models")

    def _sync_model_items(self) -> None:
        """Rebuild the submenu's items when the names to list changed (another provider, a new list)."""
        config = self.controller.config
        names = list(self._models) if self._models_provider == config.provider else []
        if config.model and config.model not in names:
            names.insert(0, config.model)
        if tuple(names) == self._model_items:
            return
        for old in self._model_items:
            self.actions.pop(f"model:{old}", None)
        self._shown = {key: value for key, value in self._shown.items() if not key[0].startswith("model:")}
        self.models_menu.clear()  # deletes the old items, which the submenu owns
        for name in names:
            action = self.models_menu.addAction(name)
            action.setCheckable(True)
            action.triggered.connect(lambda _=False, model=name: self._switch_model(model))
            self.actions[f"model:{name}"] = action
        self._model_items = tuple(names)
        self.qt_writes += 1

    def _switch_model(self, model: str) -> None:
        self._run(self.controller.switch(self.controller.config.provider, model))

    def _toggle_auto_refresh(self) -> None:
        from dataclasses import replace

        settings = replace(self.controller.settings, auto_refresh=self.actions["auto_refresh"].isChecked())
        self.controller.save(settings)

    def _open_log_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.controller.log_path.parent)))

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason is QSystemTrayIcon.ActivationReason.Trigger:
            self.settings_requested.emit()

    def show(self) -> None:
        self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    def dispose(self) -> None:
        """Release the Qt side now, while the QApplication exists (not at interpreter exit)."""
        self.icon.hide()
        self.menu.deleteLater()
        self.icon.deleteLater()
        self.deleteLater()


_UNSET: Final = object()


def _icon_for(value: object) -> QIcon:
    """("state", State) → that state's icon; ("key", stored) → the stored-key or no-key icon."""
    assert isinstance(value, tuple)
    kind, arg, *style = value  # the panel's icon has a style ("color" or "mono"); the menu's are in colour
    return state_icon(arg, *style) if kind == "state" else key_icon(bool(arg))


__all__ = ["State", "TrayIcon", "tooltip_text"]
