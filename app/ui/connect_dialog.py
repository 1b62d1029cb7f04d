"""Connect an editor: the exact snippet for Zed, Codex CLI, Aider and curl, copied in one click; the access
key copied on demand (never shown); Zed's settings file opened; and an explicit Test of the editor path.

The snippets and facts come from `app/editors.py` (no Qt); this dialog only shows them. It is non-modal and
shown with `open()`; the keyring read and the Test are coroutines on the qasync loop, never a nested loop.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.controller import Controller
from app.editors import Guide, Target, guides, ollama_gap, zed_settings_path
from app.errors import AppError, AppErrorException
from app.i18n import QT_TRANSLATE_NOOP
from app.tasks import BackgroundTasks
from app.ui import i18n

log = logging.getLogger("llm_link_tray.ui.connect")

PROTOCOL_NAMES = {
    "ollama": QT_TRANSLATE_NOOP("ConnectDialog", "Ollama's API"),
    "openai": QT_TRANSLATE_NOOP("ConnectDialog", "OpenAI's API"),
    "anthropic": QT_TRANSLATE_NOOP("ConnectDialog", "Anthropic's API"),
}


def one_line(error: AppError) -> str:
    """A failure as people read it: what happened and what to do, without the code (that goes to the log)."""
    if i18n.language() != "en":
        return i18n.error_text(error)
    message = error.message
    if not message.startswith("llm-link"):  # a name keeps its own spelling
        message = message[:1].upper() + message[1:]
    return f"{message}. {error.suggestion}"


class _EditorTab(QWidget):
    """One editor: where the snippet goes, the snippet, what else to know, and Copy."""

    def __init__(self, dialog: ConnectDialog, editor: str) -> None:
        super().__init__()
        self.editor = editor
        self.guide: Guide | None = None
        layout = QVBoxLayout(self)
        self.where = QLabel()
        self.where.setWordWrap(True)
        self.snippet = QPlainTextEdit()
        self.snippet.setReadOnly(True)
        self.snippet.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.snippet.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        self.notes.setTextFormat(Qt.TextFormat.PlainText)
        buttons = QHBoxLayout()
        self.copy = QPushButton(self.tr("Copy"))
        self.copy.clicked.connect(lambda: dialog.copy_snippet(self))
        buttons.addWidget(self.copy)
        if editor == "zed":
            self.open_settings = QPushButton(self.tr("Open Zed's settings file"))
            self.open_settings.setToolTip(str(zed_settings_path()))
            self.open_settings.clicked.connect(dialog.open_zed_settings)
            buttons.addWidget(self.open_settings)
        buttons.addStretch(1)
        layout.addWidget(self.where)
        layout.addWidget(self.snippet, 1)
        layout.addWidget(self.notes)
        layout.addLayout(buttons)

    def show_guide(self, guide: Guide) -> None:
        self.guide = guide
        self.where.setText(self.tr("Paste into {where}:").format(where=i18n.editor_text(guide.where)))
        self.snippet.setPlainText(guide.snippet)
        prefix = "" if guide.works else self.tr("Not usable as configured now. ")
        self.notes.setText(prefix + "\n".join(f"• {i18n.editor_text(note)}" for note in guide.notes))


class ConnectDialog(QDialog):
    copied = Signal(str)  # what was put on the clipboard: "snippet:<editor>" or "access key"
    test_finished = Signal(object)  # a StreamResult, or the AppError that stopped it

    def __init__(self, controller: Controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setWindowTitle(self.tr("llm-link-tray — Connect an editor"))
        self.setMinimumWidth(600)
        self.setModal(False)
        self._tasks = BackgroundTasks("connect dialog")
        self._target: Target | None = None

        layout = QVBoxLayout(self)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.ollama_note = QLabel()
        self.ollama_note.setWordWrap(True)
        self.ollama_note.setStyleSheet("QLabel { color: #a15c00; }")
        self.tabs = QTabWidget()
        self.editor_tabs: dict[str, _EditorTab] = {}
        for editor, title in (("zed", "Zed"), ("codex-cli", "Codex CLI"), ("aider", "Aider"), ("curl", "curl")):
            tab = _EditorTab(self, editor)
            self.editor_tabs[editor] = tab
            self.tabs.addTab(tab, title)

        self.copy_key = QPushButton(self.tr("Copy access key"))
        self.copy_key.setToolTip(self.tr("Copies llm-link's access key to the clipboard without showing it."))
        self.copy_key.clicked.connect(self.copy_access_key)
        self.test = QPushButton(self.tr("Test (uses a few tokens)"))
        self.test.setToolTip(
            self.tr(
                "Sends one short streamed chat through llm-link, as an editor would. It spends a few tokens of "
                "your provider's quota."
            )
        )
        self.test.clicked.connect(self.run_test)
        self.close_button = QPushButton(self.tr("Close"))
        self.close_button.clicked.connect(self.close)
        self.message = QLabel()  # the last copy, or the Test's result: one line
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        actions = QHBoxLayout()
        actions.addWidget(self.copy_key)
        actions.addWidget(self.test)
        actions.addStretch(1)
        actions.addWidget(self.close_button)

        layout.addWidget(self.summary)
        layout.addWidget(self.ollama_note)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.message)
        layout.addLayout(actions)
        self.reload()

    # --- what it shows -------------------------------------------------------------------------------

    def reload(self) -> None:
        """Show the snippets for what runs now (the port, app mode or model may have changed since)."""
        target = self.controller.editor_target()
        if target == self._target:
            return
        self._target = target
        protocol = self.tr(PROTOCOL_NAMES[target.protocol]) if target.protocol in PROTOCOL_NAMES else target.protocol
        self.summary.setText(
            self.tr(
                "llm-link answers editors at {url} with {protocol} (app mode {mode}), using {provider} / {model}."
            ).format(
                url=target.base_url,
                protocol=protocol,
                mode=target.app_mode,
                provider=target.provider,
                model=target.model,
            )
        )
        gap = ollama_gap(target)
        self.ollama_note.setText(i18n.editor_text(gap) if gap else "")
        self.ollama_note.setVisible(gap is not None)
        for item in guides(target):
            self.editor_tabs[item.editor].show_guide(item)
        self.copy_key.setVisible(target.needs_access_key)
        self.message.setText("")

    def text_shown(self) -> str:
        """Every text the dialog shows (labels, snippets, buttons, tooltips): what a screenshot could leak."""
        parts = [self.windowTitle()]
        for widget in self.findChildren(QWidget):
            parts.append(widget.toolTip())
            for getter in ("text", "toPlainText"):
                value = getattr(widget, getter, None)
                if callable(value):
                    parts.append(str(value()))
        parts += [self.tabs.tabText(i) for i in range(self.tabs.count())]
        return "\n".join(parts)

    # --- actions -------------------------------------------------------------------------------------

    def copy_snippet(self, tab: _EditorTab) -> None:
        if tab.guide is None:
            return
        QGuiApplication.clipboard().setText(tab.guide.snippet)
        self.message.setText(self.tr("Copied the {editor} snippet.").format(editor=tab.guide.title))
        self.copied.emit(f"snippet:{tab.editor}")

    def copy_access_key(self) -> None:
        self.copy_key.setEnabled(False)
        self._tasks.spawn(self._copy_access_key(), name="copy access key")

    async def _copy_access_key(self) -> None:
        try:
            key = await self.controller.access_key()
        except AppErrorException as exc:
            self.message.setText(one_line(exc.error))
            return
        finally:
            self.copy_key.setEnabled(True)
        if key is None:
            self.message.setText(self.tr("This app mode has no access key: editors connect without one."))
            return
        QGuiApplication.clipboard().setText(key.reveal())
        self.message.setText(self.tr("Copied the access key (not shown). Paste it where the notes say."))
        self.copied.emit("access key")

    def open_zed_settings(self) -> None:
        path = zed_settings_path()
        if path.exists():
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
        elif path.parent.is_dir():
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))
            self.message.setText(
                self.tr("Zed has no settings.json yet: create {name} in the folder just opened.").format(name=path.name)
            )
        else:
            self.message.setText(
                self.tr("Zed's settings file does not exist yet ({path}): start Zed once, then retry.").format(
                    path=path
                )
            )

    def run_test(self) -> None:
        """Explicit only: it spends a few tokens of the user's quota."""
        self.test.setEnabled(False)
        self.message.setText(self.tr("Testing: one short streamed chat…"))
        self._tasks.spawn(self._test(), name="test the editor path")

    async def _test(self) -> None:
        outcome: object
        try:
            result = await self.controller.test_stream()
        except AppErrorException as exc:
            log.info("editor path test failed: %s", exc.error)
            outcome = exc.error
            self.message.setText(one_line(exc.error))
        else:
            outcome = result
            self.message.setText(i18n.editor_text(result.describe()))
        finally:
            self.test.setEnabled(True)
        self.test_finished.emit(outcome)
