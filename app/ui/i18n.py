"""The UI's language: Qt translators for our catalogue and Qt's own (standard buttons), and the core's texts
(errors, probe problems, notices, the editors' notes) translated at this edge.

The language is chosen once, at start (Settings → Language, or the system locale): widgets take their texts
when they are built, so a change in Settings applies at the next start, as the settings row says.
"""

from __future__ import annotations

import logging
import re

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from app import i18n
from app.errors import AppError, ErrorCode
from app.i18n import QT_TRANSLATE_NOOP
from app.supervisor.notices import Notice
from app.supervisor.state import Failure, HealthDetails, State, Status

log = logging.getLogger("llm_link_tray.ui.i18n")

# Installed translators, kept referenced: Qt does not own them, and a collected one would silently vanish.
_installed: list[QTranslator] = []
_language = "en"


def install(language_setting: str) -> str:
    """Translate the running QCoreApplication into the language `language_setting` resolves to ("system",
    "en" or "zh_CN"); replaces what an earlier call installed. Returns the language now shown."""
    global _language
    app = QCoreApplication.instance()
    assert app is not None, "create the QApplication first"
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    language = i18n.resolve(language_setting)
    _language = language
    if language == "en":
        QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
        return language
    QLocale.setDefault(QLocale(language))
    ours = QTranslator()
    if ours.load(str(i18n.catalogue_path(language))):
        _installed.append(ours)
    else:
        log.warning("no %s translation at %s: showing English", language, i18n.catalogue_path(language))
    # Qt's own strings: the standard buttons (Apply, Close, Cancel, Discard) and the file dialog.
    qt = QTranslator()
    if qt.load(f"qtbase_{language}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        _installed.append(qt)
    for translator in _installed:
        app.installTranslator(translator)
    return language


def language() -> str:
    """The language installed ("en" until `install` chose another)."""
    return _language


def translate(context: str, text: str) -> str:
    return QCoreApplication.translate(context, text)


def _tr() -> i18n.Translate:
    # English shows the core's texts exactly as written (the sentence rules of app/errors.py included).
    return i18n.english if _language == "en" else translate


def text(core_text: str) -> str:
    """A text the core made (a probe's problem, a waiting reason), translated when it matches a template."""
    return core_text if _language == "en" else (i18n.translate_text(core_text, translate) or core_text)


def editor_text(core_text: str) -> str:
    """A note, place or Test result from app/editors.py or app/stream_check.py, in the UI's language."""
    return text(core_text)


def headline(message: str) -> str:
    """A (translated) message as a sentence, in its language's punctuation."""
    return i18n.headline(message)


def error_message(error: AppError) -> str:
    return i18n.error_parts(error, _tr())[0]


def error_suggestion(error: AppError) -> str:
    return i18n.error_parts(error, _tr())[1]


def error_headline(error: AppError) -> str:
    return error.headline if _language == "en" else i18n.headline(error_message(error))


def error_text(error: AppError) -> str:
    """`AppError.text()` in the UI's language."""
    return i18n.error_text(error, _tr())


# --- statuses (app/supervisor/state.py writes the headline in English) ---------------------------------------


def state_name(state: State) -> str:
    """ "Running", or the UI language's word for it (app/i18n.py marks the words)."""
    return QCoreApplication.translate("Status", state.value.capitalize())


def summary(details: HealthDetails) -> str:
    """`HealthDetails.summary()` with its words translated."""
    english = details.summary()
    return english if _language == "en" else i18n.summary_text(english, translate)


def status_headline(status: Status) -> str:
    """`Status.headline()` in the UI's language: `Running (PID 12345) [PID ✓, Port ✓, API ✓]`."""
    if _language == "en":
        return status.headline()
    pid = f" (PID {status.pid})" if status.pid else ""
    waiting = f", {text(status.waiting)}" if status.waiting else ""
    return f"{state_name(status.state)}{pid}{waiting} [{summary(status.details)}]"


def failure_line(failure: Failure, detail: str) -> str:
    """ "Last action failed at 14:02: <detail>"."""
    return QCoreApplication.translate("Status", "Last action failed at {clock}: {detail}").format(
        clock=failure.clock, detail=detail
    )


# --- notices (app/supervisor/notices.py writes them in English) -------------------------------------------------

# The titles app/supervisor/notices.py and the shell write, marked for pyside6-lupdate.
NOTICE_TITLES = (
    QT_TRANSLATE_NOOP("Notices", "llm-link is running again"),
    QT_TRANSLATE_NOOP("Notices", "llm-link is not answering properly"),
    QT_TRANSLATE_NOOP("Notices", "llm-link has a problem"),
    QT_TRANSLATE_NOOP("Notices", "llm-link-tray runs without a tray icon"),
)
_WHO = re.compile(r"(?P<provider>.+) / (?P<model>.+) on port (?P<port>\S+)")
_CODE_LINE = re.compile(r"(?P<code>[A-Z_]+): (?P<message>.*)")


def who(provider: str, model: str, port: object) -> str:
    if model == "default model":
        model = QCoreApplication.translate("Notices", "default model")
    return QCoreApplication.translate("Notices", "{provider} / {model} on port {port}").format(
        provider=provider, model=model, port=port
    )


def notice(original: Notice) -> Notice:
    """`original` in the UI's language: the title by its English text, the body line by line (the provider line,
    an error's "CODE: message" line and its suggestion, a probe's problem)."""
    if _language == "en":
        return original
    title = QCoreApplication.translate("Notices", original.title)
    lines = original.body.split("\n")
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        code_line = _CODE_LINE.fullmatch(line)
        if original.kind == "error" and index == 0 and code_line and code_line["code"] in ErrorCode.__members__:
            suggestion = lines[index + 1] if index + 1 < len(lines) else ""
            error = AppError(ErrorCode(code_line["code"]), code_line["message"], suggestion)
            # No code: it is for logs and --json, and the Chinese text must not start with an English token.
            out += [error_headline(error), error_suggestion(error)]
            index += 2
            continue
        match = _WHO.fullmatch(line)
        out.append(who(match["provider"], match["model"], match["port"]) if match else text(line))
        index += 1
    return Notice(original.kind, title, "\n".join(out))
