"""Simplified Chinese: the menu, the settings and connect dialogs and every error, rendered in English and in
zh_CN and compared string by string. Nothing a person reads may stay English unless it is a name (a provider,
a model, a URL, a port, llm-link, Zed…). Screenshots of both languages go to artifacts/."""

# ruff: noqa: RUF001 - the expected Chinese texts use Chinese punctuation on purpose

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QMenu, QPlainTextEdit, QTabWidget, QWidget

from app import i18n as core_i18n
from app.controller import APP_MODES, Controller
from app.errors import AppError, ErrorCode, key_missing, key_rejected, switch_failed, unknown_provider
from app.providers import PROVIDERS
from app.settings import Settings, SettingsFile
from app.supervisor.state import Failure, HealthDetails, State, Status
from app.ui import i18n
from app.ui.connect_dialog import ConnectDialog
from app.ui.settings_dialog import SettingsDialog
from app.ui.tray import TrayIcon
from tests.ui.conftest import MakeController, next_emit

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts"
TS = REPO / "resources" / "translations" / "llm-link-tray_zh_CN.ts"
QM = REPO / "resources" / "translations" / "llm-link-tray_zh_CN.qm"
VENV_BIN = REPO / ".venv" / "bin"

# Names stay as they are in every language.
NAMES = {
    "llm-link",
    "llm-link-tray",
    "Zed",
    "Codex CLI",
    "Aider",
    "curl",
    "English",
    "简体中文",
    "PID",
    "API",
    *(spec.display_name for spec in PROVIDERS),
    *(spec.default_model for spec in PROVIDERS),
    *(spec.id for spec in PROVIDERS),
    *APP_MODES,
}
# A URL, a path, a number (a port), an error code, or a name followed by a version: names too.
NAME_PATTERNS = re.compile(r"https?://\S+|[~/]\S*|\d+|[A-Z_]+|llm-link \S+")


def is_name(text: str) -> bool:
    return text in NAMES or NAME_PATTERNS.fullmatch(text) is not None


def has_chinese(text: str) -> bool:
    return re.search(r"[\u4e00-\u9fff]", text) is not None


@pytest.fixture
def language() -> Iterator[None]:
    """Whatever a test installs, the next test starts in English."""
    yield
    i18n.install("en")


# --- the catalogue ----------------------------------------------------------------------------------------------


def test_lrelease_reports_no_unfinished_string_and_the_committed_qm_is_current(tmp_path: Path) -> None:
    lrelease = VENV_BIN / "pyside6-lrelease"
    out = tmp_path / "check.qm"
    run = subprocess.run([str(lrelease), str(TS), "-qm", str(out)], capture_output=True, text=True, check=True)
    report = run.stdout + run.stderr
    assert re.search(r"\(\d+ finished and 0 unfinished\)", report), report
    # The .qm is committed (the app needs no Qt tools at run time); regenerate it with
    # scripts/update-translations whenever the .ts changes.
    assert out.read_bytes() == QM.read_bytes(), "resources/translations/*.qm is stale: run scripts/update-translations"


def test_the_cli_reads_the_catalogue_without_qt() -> None:
    catalogue = core_i18n.Catalogue.load(QM)
    assert catalogue.translate("TrayIcon", "Quit") == "退出"
    assert catalogue.translate("CLI", "llm-link-tray is not running") == "llm-link-tray 没有在运行"
    assert core_i18n.Catalogue.load(REPO / "README.md").translate("TrayIcon", "Quit") == "Quit"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"LANG": "zh_CN.UTF-8"}, "zh_CN"),
        ({"LANGUAGE": "zh_TW:en", "LANG": "en_US.UTF-8"}, "zh_CN"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({}, "en"),
    ],
)
def test_system_follows_the_locale(environ: dict[str, str], expected: str) -> None:
    assert core_i18n.resolve("system", environ) == expected
    assert core_i18n.resolve("en", {"LANG": "zh_CN.UTF-8"}) == "en"


def test_the_language_setting_is_checked_and_old_files_still_load(tmp_path: Path) -> None:
    file = SettingsFile(tmp_path)
    file.path.write_text('{"version": 1, "auto_restart": false}')
    assert file.load() == Settings(auto_restart=False, language="system")
    file.save(Settings(language="zh_CN"))
    assert file.load().language == "zh_CN"
    file.path.write_text('{"version": 1, "language": "klingon"}')
    assert file.load() == Settings()  # moved aside, like any other field of the wrong value


# --- every error ------------------------------------------------------------------------------------------------


def one_error_per_code() -> dict[ErrorCode, AppError]:
    """A real wording for each code, as the core writes it."""
    made = {
        ErrorCode.EXE_NOT_FOUND: AppError(
            ErrorCode.EXE_NOT_FOUND,
            "llm-link was not found in Settings, $LLM_LINK_BINARY_PATH, $PATH, ~/.cargo/bin, scripts/run-tray's "
            "builds or pyllmlink's cache",
            "Install llm-link with 'cargo install llm-link', 'pip install pyllmlink' or Homebrew ('brew install "
            "llm-link'), or set its path in Settings.",
        ),
        ErrorCode.EXE_NOT_EXECUTABLE: AppError(
            ErrorCode.EXE_NOT_EXECUTABLE,
            "/opt/llm-link is not executable",
            "Make it executable ('chmod +x /opt/llm-link') or pick another binary in Settings.",
        ),
        ErrorCode.EXE_NOT_LLM_LINK: AppError(
            ErrorCode.EXE_NOT_LLM_LINK,
            "/usr/bin/true does not describe itself as llm-link (its --help lacks --provider/--auth-key)",
            "Point Settings → Binary at llm-link (install it with `cargo install llm-link`).",
        ),
        ErrorCode.PORT_IN_USE: AppError(
            ErrorCode.PORT_IN_USE,
            "port 11435 is already used by python3 (pid 4242)",
            "Quit that program, or pick another port for llm-link in Settings.",
        ),
        ErrorCode.START_TIMEOUT: AppError(
            ErrorCode.START_TIMEOUT,
            "llm-link (pid 4242) did not answer within 20s",
            "View the log; if the machine is busy, try Start again.",
        ),
        ErrorCode.CRASHED: AppError(
            ErrorCode.CRASHED,
            "llm-link (pid 4242) exited with code 101",
            "It will be restarted automatically; View logs shows its last words.",
        ),
        ErrorCode.CRASH_LOOP: AppError(
            ErrorCode.CRASH_LOOP,
            "llm-link failed 5 times within 1 minute; not restarting it any more",
            "View logs for the cause, fix it in Settings, then Start.",
        ),
        ErrorCode.KEY_INVALID: key_rejected("Zhipu rejected the key (HTTP 401)"),
        ErrorCode.KEY_MISSING: key_missing("Moonshot"),
        ErrorCode.KEYRING_UNAVAILABLE: AppError(
            ErrorCode.KEYRING_UNAVAILABLE,
            "no usable system keyring was found, so API keys cannot be stored",
            "Install and start a Secret Service (e.g. gnome-keyring or KWallet); Ollama works without a key.",
        ),
        ErrorCode.KEYRING_LOCKED: AppError(
            ErrorCode.KEYRING_LOCKED,
            "the system keyring is locked",
            "Unlock your keyring (log in again or open your keyring manager), then try again.",
        ),
        ErrorCode.UPSTREAM_UNREACHABLE: AppError(
            ErrorCode.UPSTREAM_UNREACHABLE,
            "Ollama does not answer at http://localhost:11434/api/tags",
            "Start Ollama (ollama serve), or check its base URL.",  # no template: the code's own suggestion
        ),
        ErrorCode.SWITCH_FAILED: switch_failed(
            AppError(ErrorCode.PORT_IN_USE, "port 11435 is already used by another program", "Quit that program.")
        ),
        ErrorCode.CONFIG_ERROR: unknown_provider("unknown provider 'openia'"),
        ErrorCode.LLMLINK_UNREACHABLE: AppError(
            ErrorCode.LLMLINK_UNREACHABLE,
            "nothing answers on port 11435",
            "Start llm-link from the tray menu, then try again.",
        ),
        ErrorCode.LLMLINK_TIMEOUT: AppError(
            ErrorCode.LLMLINK_TIMEOUT,
            "no reply within 30 seconds",
            "The provider may be slow or overloaded: try again, or view the logs.",
        ),
        ErrorCode.LLMLINK_BAD_RESPONSE: AppError(
            ErrorCode.LLMLINK_BAD_RESPONSE,
            "llm-link's Ollama provider returned an empty stream",
            "A known gap of llm-link (0.7.0 and 0.3.6): point your editor at Ollama directly.",
        ),
        ErrorCode.STATE_DIR_UNUSABLE: AppError(
            ErrorCode.STATE_DIR_UNUSABLE,
            "cannot write to the state folder /home/u/.local/state/llm-link-tray: No space left on device",
            "Free some disk space in /home/u/.local/state/llm-link-tray or make it writable, then Start.",
        ),
        ErrorCode.GATEWAY_FAILED: AppError(
            ErrorCode.GATEWAY_FAILED,
            "the gateway on port 11435 does not answer; it is being restarted",
            "If this stays, use Restart in the tray menu, or View logs.",
        ),
        ErrorCode.TAMPERED: AppError(  # a wording no template knows: the code's frame keeps the detail
            ErrorCode.TAMPERED,
            "the provider was changed to openai behind the tray's back",
            "Nothing to do.",
        ),
        ErrorCode.UPSTREAM_FAILING: AppError(
            ErrorCode.UPSTREAM_FAILING,
            "Zhipu answers editor requests with HTTP 500",
            "Check the provider's status page and your key in Settings; this clears on the next success.",
        ),
    }
    assert set(made) == set(ErrorCode)
    return made


@pytest.mark.usefixtures("qapp", "language")
@pytest.mark.parametrize("code", list(ErrorCode))
def test_every_error_reads_in_chinese(code: ErrorCode) -> None:
    error = one_error_per_code()[code]
    i18n.install("en")
    english = (i18n.error_headline(error), i18n.error_suggestion(error))
    assert english == (error.headline, error.suggestion)
    i18n.install("zh_CN")
    chinese = (i18n.error_headline(error), i18n.error_suggestion(error))
    for en, zh in zip(english, chinese, strict=True):
        assert zh != en and has_chinese(zh), (en, zh)
    assert i18n.error_text(error).startswith(chinese[0])
    # The CLI, without Qt, says the same.
    assert core_i18n.error_text(error, core_i18n.catalogue("zh_CN").translate) == i18n.error_text(error)


@pytest.mark.usefixtures("qapp", "language")
def test_variable_parts_are_kept_verbatim() -> None:
    i18n.install("zh_CN")
    error = one_error_per_code()[ErrorCode.PORT_IN_USE]
    assert i18n.error_message(error) == "端口 11435 已被 python3 (pid 4242) 占用"
    nested = one_error_per_code()[ErrorCode.SWITCH_FAILED]
    assert i18n.error_message(nested) == "更改未生效：端口 11435 已被 另一个程序 占用"


def test_cli_replies_are_translated_and_json_stays_english() -> None:
    translate = core_i18n.catalogue("zh_CN").translate
    reply = (
        "Error (PID 7) [Gateway ✓, PID ✓, Port ✗, API ✗]\n"
        "CRASH_LOOP: llm-link failed 5 times within 1 minute; not restarting it any more\n"
        "  View logs for the cause, fix it in Settings, then Start."
    )
    assert core_i18n.reply_text(reply, translate).split("\n") == [
        "错误 (PID 7) [网关 ✓, PID ✓, 端口 ✗, API ✗]",
        "CRASH_LOOP: llm-link 在 1 分钟内失败了 5 次，不再自动重启",
        "  请在日志中查找原因，在设置中修正后再点击“启动”。",
    ]
    assert core_i18n.reply_text(reply, core_i18n.english) == reply


# --- the menu and the dialogs -----------------------------------------------------------------------------------


def menu_texts(menu: QMenu, prefix: str = "menu") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = [(prefix, menu.title())]
    for index, action in enumerate(menu.actions()):
        key = f"{prefix}/{index}"
        out += [(f"{key}.text", action.text()), (f"{key}.tip", action.toolTip() if action.toolTip() != action.text()
                                                          else "")]
        if action.menu() is not None:
            out += menu_texts(action.menu(), key)
    return out


def widget_texts(window: QWidget) -> list[tuple[str, str]]:
    """Every text of `window` and its children, keyed by its place (the same in both languages)."""
    out = [("title", window.windowTitle())]
    for index, child in enumerate(window.findChildren(QWidget)):
        if isinstance(child, QPlainTextEdit) and child.isReadOnly():
            continue  # a config snippet or a log: code, the same in every language
        key = f"{type(child).__name__}#{index}"
        for getter in ("text", "placeholderText", "toolTip"):
            value = getattr(child, getter, None)
            if callable(value):
                out.append((f"{key}.{getter}", str(value())))
        if isinstance(child, QComboBox) and not child.isEditable():
            out += [(f"{key}.item{i}", child.itemText(i)) for i in range(child.count())]
        if isinstance(child, QTabWidget):
            out += [(f"{key}.tab{i}", child.tabText(i)) for i in range(child.count())]
    for index, action in enumerate(window.findChildren(QAction)):
        out.append((f"action#{index}", action.text()))
    return out


def untranslated(english: list[tuple[str, str]], chinese: list[tuple[str, str]]) -> list[str]:
    assert [key for key, _ in english] == [key for key, _ in chinese]
    return [en for (_, en), (_, zh) in zip(english, chinese, strict=True) if en and en == zh and not is_name(en)]


def error_status(controller: Controller) -> Status:
    """A status that fills every line of the menu: ERROR with its cause, and a failed action beside it."""
    return Status(
        state=State.ERROR,
        details=HealthDetails(pid=4242, pid_ok=False, port_ok=True, gateway_ok=True),
        provider=controller.config.provider,
        model="glm-4-flash",
        pid=4242,
        port=controller.config.port,
        error=one_error_per_code()[ErrorCode.CRASHED],
        last_failure=Failure(one_error_per_code()[ErrorCode.KEY_INVALID]),
    )


def screenshot_menu(tray: TrayIcon, path: Path) -> None:
    # Rendered without popping it up: opening the menu would start its background loads (keys, models).
    tray.menu.adjustSize()
    assert tray.menu.grab().save(str(path))


@pytest.mark.usefixtures("language")
async def test_menu_and_dialogs_are_chinese_except_names(make_controller: MakeController) -> None:
    controller = await make_controller(None, open=False, keys={"zhipu": "0123456789abcdef.0123456789abcdef"})
    ARTIFACTS.mkdir(exist_ok=True)
    shown: dict[str, dict[str, list[tuple[str, str]]]] = {}
    for language in ("en", "zh_CN"):
        assert i18n.install(language) == language
        tray = TrayIcon(controller)
        settings = SettingsDialog(controller)
        connect = ConnectDialog(controller)
        try:
            # The "In use" line is looked up in the background; its task runs only once this test yields.
            await next_emit(settings.binary_shown)
            # Never shown: closing the last shown window would quit the QApplication, and with it the loop.
            tray.render(error_status(controller))
            shown[language] = {
                "menu": [*menu_texts(tray.menu), ("tooltip", tray.icon.toolTip())],
                "settings": widget_texts(settings),
                "connect": widget_texts(connect),
            }
            screenshot_menu(tray, ARTIFACTS / f"i18n-{language}-menu.png")
            assert settings.grab().save(str(ARTIFACTS / f"i18n-{language}-settings-dialog.png"))
            assert connect.grab().save(str(ARTIFACTS / f"i18n-{language}-connect-dialog.png"))
        finally:
            tray.dispose()
            settings.deleteLater()
            connect.deleteLater()

    for window in ("menu", "settings", "connect"):
        left = untranslated(shown["en"][window], shown["zh_CN"][window])
        assert left == [], f"{window}: still English in zh_CN: {left}"
    zh = dict(shown["zh_CN"]["menu"])
    assert "退出" in zh.values() and "连接编辑器…" in zh.values()
    # Qt's own translation: the dialog's standard buttons.
    buttons = [text for key, text in shown["zh_CN"]["settings"] if key.startswith("QPushButton")]
    assert "应用" in buttons and "关闭" in buttons


def test_the_update_script_exists_and_names_the_catalogue() -> None:
    script = REPO / "scripts" / "update-translations"
    assert script.is_file() and "llm-link-tray_zh_CN.ts" in script.read_text()
    assert shutil.which("pyside6-lupdate", path=str(VENV_BIN))
