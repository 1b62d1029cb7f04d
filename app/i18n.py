"""Languages without Qt: which one to use, a reader for Qt's .qm catalogues, and texts made in the core
(errors, probe problems, the editors' notes) translated by their code and English template.

The core (app/supervisor, app/controller.py, app/llmlink_client.py, app/editors.py) stays Qt-free and English;
text is translated at the edge. The UI passes `QCoreApplication.translate`; the CLI passes `Catalogue.translate`,
which reads the same .qm file without importing Qt, so `llm-link-tray status` does not pay PySide6's import
(about 70 ms, more than the command itself takes).

An English template such as "port {port} is already used by {who}" is both the catalogue's source text
(marked with `QT_TRANSLATE_NOOP`, so pyside6-lupdate extracts it) and a pattern: a core text that matches it
is shown as the translation with the variable parts put back (themselves translated when they match a template,
verbatim otherwise: a port, a path, a model name).
"""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Final

from app.errors import AppError, ErrorCode, sentence

# `Settings.language`: "system" follows the locale ($LANGUAGE, $LC_ALL, $LC_MESSAGES, $LANG).
LANGUAGES: Final = ("system", "en", "zh_CN")
TRANSLATIONS_DIR: Final = Path(__file__).resolve().parent.parent / "resources" / "translations"
CATALOGUE_NAME: Final = "llm-link-tray"
CONTEXT: Final = "Errors"

Translate = Callable[[str, str], str]


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:  # the name pyside6-lupdate looks for
    """Marks `text` for pyside6-lupdate; returns it unchanged."""
    return text


def english(context: str, text: str) -> str:
    """The translate function of the English UI: every text as written."""
    return text


def resolve(language: str, environ: Mapping[str, str] | None = None) -> str:
    """The language to show: "en" or "zh_CN". "system" reads the locale the way gettext does."""
    if language in ("en", "zh_CN"):
        return language
    env = os.environ if environ is None else environ
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if not value:
            continue
        first = value.split(":")[0].split(".")[0]  # "zh_CN.UTF-8", "zh_CN:en"
        # Simplified Chinese is what we ship; Traditional (zh_TW, zh_HK) readers get it rather than English.
        return "zh_CN" if first.lower().startswith("zh") else "en"
    return "en"


def catalogue_path(language: str) -> Path:
    return TRANSLATIONS_DIR / f"{CATALOGUE_NAME}_{language}.qm"


# --- a Qt-free reader of .qm files ---------------------------------------------------------------------------

_QM_MAGIC: Final = bytes.fromhex("3cb86418caef9c95cd211cbf60a1bddd")
_TAG_MESSAGES: Final = 0x69
_TAG_END, _TAG_TRANSLATION, _TAG_SOURCE, _TAG_CONTEXT, _TAG_COMMENT = 1, 3, 6, 7, 8
_TAGS_WITH_DATA: Final = frozenset({2, 3, 4, 6, 7, 8})  # each followed by a 32-bit length and that many bytes


class Catalogue:
    """A .qm file's translations, read without Qt (lrelease keeps source texts and contexts in the file)."""

    def __init__(self, messages: dict[tuple[str, str], str] | None = None) -> None:
        self.messages = messages or {}

    @classmethod
    def load(cls, path: Path) -> Catalogue:
        """The catalogue at `path`; an empty one when it is missing or not a .qm file (English is shown)."""
        try:
            data = path.read_bytes()
        except OSError:
            return cls()
        try:
            return cls(_parse_qm(data))
        except (ValueError, struct.error, UnicodeDecodeError):
            return cls()

    def translate(self, context: str, text: str) -> str:
        return self.messages.get((context, text), text)


def _parse_qm(data: bytes) -> dict[tuple[str, str], str]:
    if not data.startswith(_QM_MAGIC):
        raise ValueError("not a .qm file")
    messages: dict[tuple[str, str], str] = {}
    pos = len(_QM_MAGIC)
    while pos < len(data):
        tag, length = struct.unpack_from(">BI", data, pos)
        pos += 5
        if tag == _TAG_MESSAGES:
            _parse_messages(data[pos : pos + length], messages)
        pos += length
    return messages


def _parse_messages(block: bytes, into: dict[tuple[str, str], str]) -> None:
    pos = 0
    fields: dict[int, bytes] = {}
    while pos < len(block):
        tag = block[pos]
        pos += 1
        if tag == _TAG_END:
            translation = fields.get(_TAG_TRANSLATION)
            if translation is not None and _TAG_SOURCE in fields:
                source = fields[_TAG_SOURCE].decode("utf-8")
                context = fields.get(_TAG_CONTEXT, b"").decode("utf-8")
                into[(context, source)] = translation.decode("utf-16-be")
            fields = {}
        elif tag in _TAGS_WITH_DATA:
            (length,) = struct.unpack_from(">I", block, pos)
            pos += 4
            if length == 0xFFFFFFFF:  # a null string
                continue
            fields[tag] = block[pos : pos + length]
            pos += length
        # Tags without data (obsolete markers) carry nothing to keep.


@lru_cache(maxsize=4)
def catalogue(language: str) -> Catalogue:
    """The Qt-free catalogue for `language` ("en" has none: the source texts are English)."""
    return Catalogue() if language == "en" else Catalogue.load(catalogue_path(language))


def translator_for(language_setting: str, environ: Mapping[str, str] | None = None) -> Translate:
    """A translate function for the CLI: the setting resolved, its catalogue loaded without Qt."""
    language = resolve(language_setting, environ)
    return english if language == "en" else catalogue(language).translate


# --- texts made in the core, translated at the edge ----------------------------------------------------------

# What each error code says when its English text matches no template below: a frame in the user's language
# around the original (English) detail, so nothing is lost and nothing is shown untranslated.
ERROR_FALLBACK: Final[dict[ErrorCode, tuple[str, str]]] = {
    ErrorCode.EXE_NOT_FOUND: (
        QT_TRANSLATE_NOOP("Errors", "llm-link was not found ({detail})"),
        QT_TRANSLATE_NOOP("Errors", "Install llm-link, or set its path in Settings."),
    ),
    ErrorCode.EXE_NOT_EXECUTABLE: (
        QT_TRANSLATE_NOOP("Errors", "the llm-link binary cannot be run ({detail})"),
        QT_TRANSLATE_NOOP("Errors", "Make it executable, or pick another binary in Settings."),
    ),
    ErrorCode.EXE_NOT_LLM_LINK: (
        QT_TRANSLATE_NOOP("Errors", "the chosen binary is not an llm-link we can drive ({detail})"),
        QT_TRANSLATE_NOOP("Errors", "Point Settings at an llm-link binary."),
    ),
    ErrorCode.PORT_IN_USE: (
        QT_TRANSLATE_NOOP("Errors", "the port is already in use ({detail})"),
        QT_TRANSLATE_NOOP("Errors", "Quit that program, or pick another port for llm-link in Settings."),
    ),
    ErrorCode.START_TIMEOUT: (
        QT_TRANSLATE_NOOP("Errors", "llm-link did not answer in time ({detail})"),
        QT_TRANSLATE_NOOP("Errors", "View the log; if the machine is busy, try Start again."),
    ),
    ErrorCode.CRASHED: (
        QT_TRANSLATE_NOOP("Errors", "llm-link stopped unexpectedly ({detail})"),
        QT_TRANSLATE_NOOP("Errors", "View logs for llm-link's last words."),
    ),
    ErrorCode.CRASH_LOOP: (
        QT_TRANSLATE_NOOP("Errors", "llm-link keeps crashing and is not restarted any more ({detail})"),
        QT_TRANSLATE_NOOP("Errors", "View logs for the cause, fix it in Settings, then Start."),
    ),
    ErrorCode.KEY_INVALID: (
        QT_TRANSLATE_NOOP("Errors", "the API key was rejected ({detail})"),
        QT_TRANSLATE_NOOP("Errors", "Check the key in Settings (copy it again from the provider's console)."),
    ),
    ErrorCode.KEY_MISSING: (
        QT_TRANSLATE_NOOP("Errors", "no API key is stored ({detail})"),
        QT_TRANSLATE_NOOP("Errors", "Enter the key in Settings."),
    ),
    ErrorCode.KEYRING_UNAVAILABLE: (
        QT_TRANSLATE_NOOP("Errors", "the system keyring cannot be used ({detail})"),
        QT_TRANSLATE_NOOP("Errors", "Check that your keyring service runs, then try again."),
    ),
    ErrorCode.KEYRING_LOCKED: (
        QT_TRANSLATE_NOOP("Errors", "the system keyring is locked ({detail})"),
        QT_TRANSLATE_NOOP("Errors", "Unlock your keyring (log in again or open your keyring manager), then try again."),
    ),
    ErrorCode.UPSTREAM_UNREACHABLE: (
        QT_TRANSLATE_NOOP("Errors", "the provider cannot be reached ({detail})"),
        QT_TRANSLATE_NOOP("Errors", "Check the network and the base URL in Settings."),
    ),
    ErrorCode.SWITCH_FAILED: (
        QT_TRANSLATE_NOOP("Errors", "the change was not made ({detail})"),
        QT_TRANSLATE_NOOP("Errors", "Try again; if it persists, check the binary version in Settings."),
    ),
    ErrorCode.CONFIG_ERROR: (
        QT_TRANSLATE_NOOP("Errors", "the settings cannot be used ({detail})"),
        QT_TRANSLATE_NOOP("Errors", "Check Settings."),
    ),
    ErrorCode.LLMLINK_UNREACHABLE: (
        QT_TRANSLATE_NOOP("Errors", "llm-link does not answer ({detail})"),
        QT_TRANSLATE_NOOP("Errors", "Start llm-link from the tray menu, or check the port in Settings."),
    ),
    ErrorCode.LLMLINK_TIMEOUT: (
        QT_TRANSLATE_NOOP("Errors", "llm-link did not answer in time ({detail})"),
        QT_TRANSLATE_NOOP("Errors", "llm-link is not answering; restart it from the tray menu."),
    ),
    ErrorCode.LLMLINK_BAD_RESPONSE: (
        QT_TRANSLATE_NOOP("Errors", "llm-link gave an answer that cannot be used ({detail})"),
        QT_TRANSLATE_NOOP("Errors", "Restart llm-link from the tray menu; if it keeps happening, view its log."),
    ),
    ErrorCode.STATE_DIR_UNUSABLE: (
        QT_TRANSLATE_NOOP("Errors", "a folder of llm-link-tray cannot take files ({detail})"),
        QT_TRANSLATE_NOOP("Errors", "Free some disk space or make the folder writable, then start again."),
    ),
    ErrorCode.GATEWAY_FAILED: (
        QT_TRANSLATE_NOOP("Errors", "the gateway failed ({detail})"),
        QT_TRANSLATE_NOOP("Errors", "View the gateway's log, then use Restart in the tray menu."),
    ),
    ErrorCode.TAMPERED: (
        QT_TRANSLATE_NOOP("Errors", "another program changed llm-link's settings; they were restored ({detail})"),
        QT_TRANSLATE_NOOP("Errors", "Find the program that talks to llm-link's private port and stop it."),
    ),
    ErrorCode.UPSTREAM_FAILING: (
        QT_TRANSLATE_NOOP("Errors", "editor requests fail at the provider ({detail})"),
        QT_TRANSLATE_NOOP(
            "Errors", "Check the provider's status page and your key in Settings; this clears on the next success."
        ),
    ),
}

# The English texts the core writes (messages, suggestions and their parts), as templates.
TEMPLATES: Final = (
    # binaries
    QT_TRANSLATE_NOOP("Errors", "File does not exist: {path}"),
    QT_TRANSLATE_NOOP("Errors", "{path} is not executable"),
    QT_TRANSLATE_NOOP("Errors", "Make it executable ('chmod +x {path}') or pick another binary in Settings."),
    QT_TRANSLATE_NOOP(
        "Errors",
        "llm-link was not found in Settings, $LLM_LINK_BINARY_PATH, $PATH, ~/.cargo/bin, scripts/run-tray's builds "
        "or pyllmlink's cache",
    ),
    QT_TRANSLATE_NOOP(
        "Errors",
        "Install llm-link with 'cargo install llm-link', 'pip install pyllmlink' or Homebrew ('brew install "
        "llm-link'), or set its path in Settings.",
    ),
    QT_TRANSLATE_NOOP("Errors", "llm-link is not installed and cargo is not available to build it"),
    QT_TRANSLATE_NOOP("Errors", "cargo install llm-link failed (exit code {code})"),
    QT_TRANSLATE_NOOP(
        "Errors", "Read the output above; on Debian the build needs 'apt install pkg-config libssl-dev'."
    ),
    QT_TRANSLATE_NOOP("Errors", "{path} does not describe itself as llm-link (its --help lacks --provider/--auth-key)"),
    QT_TRANSLATE_NOOP("Errors", "Point Settings → Binary at llm-link (install it with 'cargo install llm-link')."),
    QT_TRANSLATE_NOOP("Errors", "{path} did not answer '--help' like llm-link"),
    QT_TRANSLATE_NOOP("Errors", "{path} did not finish '--help' within {seconds}s: it is not a llm-link we know"),
    # starting, crashing
    QT_TRANSLATE_NOOP("Errors", "port {port} is already used by {who}"),
    QT_TRANSLATE_NOOP("Errors", "another program"),
    QT_TRANSLATE_NOOP("Errors", "Quit that program, or pick another port for llm-link in Settings."),
    QT_TRANSLATE_NOOP("Errors", "llm-link (pid {pid}) did not answer within {seconds}s"),
    QT_TRANSLATE_NOOP("Errors", "View the log; if the machine is busy, try Start again."),
    QT_TRANSLATE_NOOP("Errors", "llm-link {how} while starting"),
    QT_TRANSLATE_NOOP("Errors", "llm-link (pid {pid}) {how}"),
    QT_TRANSLATE_NOOP("Errors", "exited with code {code}"),
    QT_TRANSLATE_NOOP("Errors", "killed by {signal}"),
    QT_TRANSLATE_NOOP("Errors", "exited (exit status unknown: not our child)"),
    QT_TRANSLATE_NOOP("Errors", "View the log for llm-link's own message; check the binary and settings."),
    QT_TRANSLATE_NOOP("Errors", "It will be restarted automatically; View logs shows its last words."),
    QT_TRANSLATE_NOOP("Errors", "Start it again from the tray menu."),
    QT_TRANSLATE_NOOP("Errors", "llm-link failed {count} times within {duration}; not restarting it any more"),
    QT_TRANSLATE_NOOP("Errors", "{n} seconds"),
    QT_TRANSLATE_NOOP("Errors", "1 second"),
    QT_TRANSLATE_NOOP("Errors", "{n} minutes"),
    QT_TRANSLATE_NOOP("Errors", "1 minute"),
    QT_TRANSLATE_NOOP("Errors", "View logs for the cause, fix it in Settings, then Start."),
    QT_TRANSLATE_NOOP("Errors", "llm-link (pid {pid}) runs {running}, not {wanted}"),
    QT_TRANSLATE_NOOP("Errors", "Try again; if it persists, check the binary version in Settings."),
    QT_TRANSLATE_NOOP("Errors", "the change was not made: {cause}"),
    # folders, settings, the menu entry
    QT_TRANSLATE_NOOP("Errors", "cannot write to the {what} folder {folder}: {reason}"),
    QT_TRANSLATE_NOOP("Errors", "Free some disk space in {folder} or make it writable, then Start."),
    QT_TRANSLATE_NOOP("Errors", "cannot record the gateway in {folder} ({reason})"),
    QT_TRANSLATE_NOOP("Errors", "Free some disk space or make the folder writable, then start again."),
    QT_TRANSLATE_NOOP("Errors", "cannot save settings: {path} {reason}"),
    QT_TRANSLATE_NOOP(
        "Errors", "Move {path} out of the way (or fix its permissions); until then changes last only until quit."
    ),
    QT_TRANSLATE_NOOP("Errors", "is a directory"),
    QT_TRANSLATE_NOOP("Errors", "is not a regular file"),
    QT_TRANSLATE_NOOP("Errors", "{path} already exists and was not installed by llm-link-tray"),
    QT_TRANSLATE_NOOP("Errors", "Move it away (or delete it) and install again."),
    QT_TRANSLATE_NOOP("Errors", "the application menu entry cannot be read from {path}"),
    QT_TRANSLATE_NOOP("Errors", "Reinstall llm-link-tray; this copy is missing its packaging files."),
    QT_TRANSLATE_NOOP("Errors", "no icons were found in {path}"),
    QT_TRANSLATE_NOOP("Errors", "Reinstall llm-link-tray; this copy is missing its icons."),
    QT_TRANSLATE_NOOP("Errors", "Check that your ~/.local/share folder (or $XDG_DATA_HOME) is writable."),
    QT_TRANSLATE_NOOP("Errors", "Delete that file and remove the menu entry and icons by hand."),
    QT_TRANSLATE_NOOP("Errors", "cannot change start-at-login: {reason}"),
    QT_TRANSLATE_NOOP("Errors", "Check the permissions of your autostart folder."),
    # keys and the keyring
    QT_TRANSLATE_NOOP("Errors", "no API key is stored for {provider}"),
    QT_TRANSLATE_NOOP("Errors", "Enter your {provider} key in Settings."),
    QT_TRANSLATE_NOOP("Errors", "{provider} needs an API key"),
    QT_TRANSLATE_NOOP("Errors", "Paste your {provider} key above."),
    QT_TRANSLATE_NOOP("Errors", "Check the key in Settings (copy it again from the provider's console)."),
    QT_TRANSLATE_NOOP("Errors", "{provider} rejected the key (HTTP {status})"),
    QT_TRANSLATE_NOOP("Errors", "{provider} rejected the key: {reason}"),
    QT_TRANSLATE_NOOP("Errors", "{provider} key rejected: {reason}"),
    QT_TRANSLATE_NOOP("Errors", "llm-link refused the {provider} key: {reason}"),
    QT_TRANSLATE_NOOP("Errors", "{provider} does not answer at {url}"),
    QT_TRANSLATE_NOOP("Errors", "Pick one of the ten providers in Settings."),
    QT_TRANSLATE_NOOP("Errors", "unknown provider {provider}"),
    QT_TRANSLATE_NOOP("Errors", "no usable system keyring was found, so API keys cannot be stored"),
    QT_TRANSLATE_NOOP(
        "Errors", "Install and start a Secret Service (e.g. gnome-keyring or KWallet); Ollama works without a key."
    ),
    QT_TRANSLATE_NOOP("Errors", "the system keyring is locked"),
    QT_TRANSLATE_NOOP("Errors", "the system keyring is locked ({detail})"),
    QT_TRANSLATE_NOOP("Errors", "Unlock your keyring (log in again or open your keyring manager), then try again."),
    QT_TRANSLATE_NOOP(
        "Errors",
        "Unlock it (answer its unlock prompt, or open your keyring manager), then try again.",
    ),
    QT_TRANSLATE_NOOP("Errors", "the keyring failed: {reason}"),
    QT_TRANSLATE_NOOP("Errors", "Check that your keyring service runs, then try again."),
    # the gateway, the upstream
    QT_TRANSLATE_NOOP("Errors", "the gateway on port {port} does not answer; it is being restarted"),
    QT_TRANSLATE_NOOP("Errors", "If this stays, use Restart in the tray menu, or View logs."),
    QT_TRANSLATE_NOOP("Errors", "the gateway exited while starting on port {port}"),
    QT_TRANSLATE_NOOP("Errors", "the gateway did not answer within {seconds} seconds"),
    QT_TRANSLATE_NOOP("Errors", "the gateway keeps crashing; it was not started again"),
    QT_TRANSLATE_NOOP(
        "Errors", "View the gateway's log; if another program holds the port, choose another port in Settings."
    ),
    QT_TRANSLATE_NOOP("Errors", "View the gateway's log, then use Restart in the tray menu."),
    QT_TRANSLATE_NOOP("Errors", "the gateway refused the settings: {reason}"),
    QT_TRANSLATE_NOOP("Errors", "Check Settings."),
    QT_TRANSLATE_NOOP(
        "Errors", "Check the provider's status page and your key in Settings; this clears on the next success."
    ),
    # llm-link's API and the Test
    QT_TRANSLATE_NOOP("Errors", "Restart llm-link from the tray menu; if it keeps happening, view its log."),
    QT_TRANSLATE_NOOP("Errors", "Start llm-link from the tray menu, or check the port in Settings."),
    QT_TRANSLATE_NOOP("Errors", "llm-link is not answering; restart it from the tray menu."),
    QT_TRANSLATE_NOOP("Errors", "the Test covers the Ollama and OpenAI protocols, not app mode {mode}"),
    QT_TRANSLATE_NOOP("Errors", "Try it from your editor instead, or set App mode to zed or codex-cli in Settings."),
    QT_TRANSLATE_NOOP("Errors", "no reply within {seconds} seconds"),
    QT_TRANSLATE_NOOP("Errors", "The provider may be slow or overloaded: try again, or view the logs."),
    QT_TRANSLATE_NOOP("Errors", "nothing answers on port {port}"),
    QT_TRANSLATE_NOOP("Errors", "Start llm-link from the tray menu, then try again."),
    QT_TRANSLATE_NOOP("Errors", "the reply broke off ({reason})"),
    QT_TRANSLATE_NOOP("Errors", "View the logs to see what llm-link said."),
    QT_TRANSLATE_NOOP("Errors", "A known gap of llm-link (0.7.0 and 0.3.6): point your editor at Ollama directly."),
    QT_TRANSLATE_NOOP("Errors", "llm-link returned an empty stream"),
    QT_TRANSLATE_NOOP("Errors", "Check the model name, then view the logs to see what the provider said."),
    QT_TRANSLATE_NOOP("Errors", "llm-link refused the access key"),
    QT_TRANSLATE_NOOP("Errors", "Restart llm-link from the tray menu so that it uses the stored access key."),
    QT_TRANSLATE_NOOP(
        "Errors", "llm-link refused the chat (HTTP 400); it accepts only models it lists, and {model} may not be one"
    ),
    QT_TRANSLATE_NOOP("Errors", "Pick a model from the tray's Models menu."),
    QT_TRANSLATE_NOOP("Errors", "port {port} does not serve the {protocol} protocol (HTTP 404)"),
    QT_TRANSLATE_NOOP("Errors", "Check the app mode in Settings, and that llm-link runs."),
    QT_TRANSLATE_NOOP("Errors", "the chat failed with HTTP {status}{detail}"),
    QT_TRANSLATE_NOOP("Errors", "Check the provider's key and model in Settings, then view the logs."),
    QT_TRANSLATE_NOOP("Errors", "the reply is not a chat stream"),
    QT_TRANSLATE_NOOP("Errors", "Another program may be using llm-link's port: check the port in Settings."),
    QT_TRANSLATE_NOOP("Errors", "the provider answered with an error: {reason}"),
    QT_TRANSLATE_NOOP("Errors", "Check the provider's key and model in Settings."),
    # probe problems (a DEGRADED state's reason)
    QT_TRANSLATE_NOOP("Errors", "nothing listens on {address}"),
    QT_TRANSLATE_NOOP("Errors", "the editor route {route} does not answer"),
    QT_TRANSLATE_NOOP("Errors", "waiting for the keyring to be unlocked"),
    # upstream checks (why a key is "not verified")
    QT_TRANSLATE_NOOP("Errors", "this provider cannot be asked from here"),
    QT_TRANSLATE_NOOP("Errors", "{url} answered HTTP {status} instead of a model list"),
    QT_TRANSLATE_NOOP("Errors", "{url} did not answer with a model list"),
    QT_TRANSLATE_NOOP("Errors", "llm-link's Ollama provider returned an empty stream"),
    QT_TRANSLATE_NOOP(
        "Errors",
        "No system tray was found, so llm-link-tray runs without an icon (supervising continues, and "
        "'llm-link-tray status' works). On GNOME, install the 'AppIndicator and KStatusNotifierItem Support' "
        "extension to get the icon.",
    ),
)

# app/editors.py's notes and places, and the Test's result (app/stream_check.py).
EDITOR_TEMPLATES: Final = (
    QT_TRANSLATE_NOOP(
        "Editors",
        "llm-link's Ollama provider cannot serve Zed: it answers /api/tags with an empty model list and a streamed "
        "chat with one empty final chunk (measured on llm-link 0.7.0 and 0.3.6). Point Zed at Ollama directly "
        '(its default, "api_url": "http://localhost:11434"), or pick a cloud provider here.',
    ),
    QT_TRANSLATE_NOOP(
        "Editors",
        "Set {var} to llm-link's access key (the Copy access key button), e.g. in your shell profile: "
        "export {same_var}='<paste>'. Every request without it is refused (HTTP 401).",
    ),
    QT_TRANSLATE_NOOP(
        "Editors",
        "This needs llm-link's {wanted} protocol; the current app mode ({mode}) serves {protocol}. Set App mode to "
        "{modes} in Settings.",
    ),
    QT_TRANSLATE_NOOP("Editors", "codex-cli or aider"),
    QT_TRANSLATE_NOOP("Editors", "Zed's settings file, {path}: merge into the top-level object"),
    QT_TRANSLATE_NOOP(
        "Editors",
        "Zed's Ollama default is port 11434; llm-link listens on {port}. Then pick {model} in Zed's Agent Panel.",
    ),
    QT_TRANSLATE_NOOP(
        "Editors",
        "Zed asks for the provider's API key in its Agent Panel settings (llm-link): paste llm-link's access key "
        "there (Copy access key). Or set App mode to zed in Settings: Zed's Ollama provider needs no key.",
    ),
    QT_TRANSLATE_NOOP(
        "Editors",
        "Works only with Codex CLI {version} or older (npm install -g @openai/codex@{same_version}): those accept "
        'wire_api = "chat", with a deprecation warning.',
    ),
    QT_TRANSLATE_NOOP(
        "Editors",
        "Codex CLI {first} and every later version (including the current ones; {measured} was tested) does not "
        "work with llm-link: it speaks only OpenAI's Responses API, which llm-link does not serve, and refuses to "
        'start with wire_api = "chat".',
    ),
    QT_TRANSLATE_NOOP("Editors", "~/.codex/config.toml (Codex's user config)"),
    QT_TRANSLATE_NOOP(
        "Editors",
        "Aider streams its replies, and llm-link's Ollama provider streams nothing: point Aider at Ollama directly "
        "(OLLAMA_API_BASE=http://localhost:11434), or pick a cloud provider here.",
    ),
    QT_TRANSLATE_NOOP("Editors", "a terminal, in your project's folder"),
    QT_TRANSLATE_NOOP("Editors", "a terminal"),
    QT_TRANSLATE_NOOP("Editors", 'Without "stream": false llm-link\'s Ollama provider answers with one empty chunk.'),
    QT_TRANSLATE_NOOP("Editors", "This spends a few tokens of your provider's quota."),
    QT_TRANSLATE_NOOP("Editors", "First token after {ms} ms; {pieces} pieces in {seconds} s: “{reply}”"),
)


# Placeholders that only ever hold a number: matching them as digits keeps "{n} seconds" from swallowing a
# longer sentence that happens to end in "seconds".
_NUMBERS: Final = frozenset({"n", "pid", "port", "code", "status", "count", "seconds", "ms", "pieces"})
_NUMBER: Final = r"\d+(?:\.\d+)?"


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[str, str, re.Pattern[str]], ...]:
    compiled = []
    tables = ((CONTEXT, TEMPLATES), ("Editors", EDITOR_TEMPLATES))
    for context, template in ((context, template) for context, table in tables for template in table):
        parts = re.split(r"\{(\w+)\}", template)
        regex = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>{_NUMBER if part in _NUMBERS else '.+?'})"
            for i, part in enumerate(parts)
        )
        literal = sum(len(part) for part in parts[::2])
        compiled.append((literal, context, template, re.compile(regex, re.DOTALL)))
    # The most specific template first: "llm-link (pid {pid}) runs {running}, not {wanted}" before
    # "llm-link (pid {pid}) {how}".
    compiled.sort(key=lambda item: -item[0])
    return tuple((context, template, pattern) for _, context, template, pattern in compiled)


def translate_text(text: str, translate: Translate) -> str | None:
    """`text` (a core text) in the language of `translate`, or None when it matches no template."""
    for context, template, pattern in _patterns():
        match = pattern.fullmatch(text)
        if match is None:
            continue
        values = {name: translate_text(value, translate) or value for name, value in match.groupdict().items()}
        return translate(context, template).format(**values)
    return None


def error_parts(error: AppError, translate: Translate) -> tuple[str, str]:
    """(message, suggestion) of `error` in the language of `translate`; both as English writes them when it is
    the English UI's."""
    if translate is english:
        return error.message, error.suggestion
    fallback_message, fallback_suggestion = ERROR_FALLBACK[error.code]
    message = translate_text(error.message, translate)
    if message is None:
        message = translate(CONTEXT, fallback_message).format(detail=error.message)
    suggestion = translate_text(error.suggestion, translate) or translate(CONTEXT, fallback_suggestion)
    return message, suggestion


_CJK_ENDS: Final = (
    "\u3002\uff01\uff1f\u2026\uff09"  # full-width stop, exclamation and question marks, ellipsis, closing parenthesis
)


def headline(message: str) -> str:
    """A message as a sentence: English capitalised with a full stop, Chinese with "。"."""
    message = message.strip()
    if any(char >= "\u3000" for char in message):  # Chinese, even when it ends in a port number or a path
        return message if message[-1] in _CJK_ENDS else f"{message}。"
    return sentence(message)


def error_text(error: AppError, translate: Translate) -> str:
    """What `AppError.text()` says, in the language of `translate`."""
    if translate is english:
        return error.text()
    message, suggestion = error_parts(error, translate)
    return f"{headline(message)}{suggestion}"


# --- statuses and the tray's replies to the CLI (written in English by the controller) -----------------------

STATE_WORDS: Final = (
    QT_TRANSLATE_NOOP("Status", "Unknown"),
    QT_TRANSLATE_NOOP("Status", "Stopped"),
    QT_TRANSLATE_NOOP("Status", "Starting"),
    QT_TRANSLATE_NOOP("Status", "Running"),
    QT_TRANSLATE_NOOP("Status", "Degraded"),
    QT_TRANSLATE_NOOP("Status", "Error"),
)
CLI_TEXTS: Final = (
    QT_TRANSLATE_NOOP("CLI", "llm-link-tray is not running"),
    QT_TRANSLATE_NOOP("CLI", "settings opened"),
    QT_TRANSLATE_NOOP("CLI", "quitting"),
    QT_TRANSLATE_NOOP("CLI", "problem: {problem}"),
    QT_TRANSLATE_NOOP("CLI", "usage: llm-link-tray switch PROVIDER [MODEL]"),
    QT_TRANSLATE_NOOP("CLI", "unknown command {command}"),
    # app/tray.py's NO_DISPLAY
    QT_TRANSLATE_NOOP(
        "CLI",
        "llm-link-tray needs a desktop session (no $DISPLAY or $WAYLAND_DISPLAY is set); on a headless machine run "
        "llm-link as a service instead",
    ),
    # app/cli.py's install-desktop / uninstall-desktop (marked here: cli.py calls a plain translate function)
    QT_TRANSLATE_NOOP(
        "CLI", "Added llm-link-tray to the application menu: {file} and {count} icons. Undo with: {command}"
    ),
    QT_TRANSLATE_NOOP("CLI", "Nothing to remove: llm-link-tray's menu entry was not installed by install-desktop."),
    QT_TRANSLATE_NOOP("CLI", "Removed {count} files from the application menu and icon theme."),
    QT_TRANSLATE_NOOP("CLI", "Kept {path}: it was changed after install-desktop wrote it."),
)


def summary_text(english: str, translate: Translate) -> str:
    """ "Gateway ✓, PID ✓, Port ✓, API ✓" with its words translated (PID and API are names)."""
    gateway, port = translate("Status", "Gateway"), translate("Status", "Port")
    return english.replace("Gateway ", f"{gateway} ").replace("Port ", f"{port} ")


_HEADLINE: Final = re.compile(
    r"(?P<state>Unknown|Stopped|Starting|Running|Degraded|Error)(?P<pid> \(PID \d+\))?(?:, (?P<waiting>.+?))?"
    r" \[(?P<summary>.*)\]"
)
_ERROR_LINE: Final = re.compile(
    r"(?P<code>[A-Z_]+)(?P<cause> \([A-Z_]+\))?: (?P<message>.*?)(?: — (?P<suggestion>.*))?"
)
_FAILED_AT: Final = re.compile(r"Last action failed at (?P<clock>\d\d:\d\d): (?P<rest>.*)")


def headline_text(line: str, translate: Translate) -> str | None:
    """A status headline ("Running (PID 1) [PID ✓, Port ✓, API ✓]") translated; None if `line` is not one."""
    match = _HEADLINE.fullmatch(line)
    if match is None:
        return None
    waiting = match["waiting"]
    waiting = f", {translate_text(waiting, translate) or waiting}" if waiting else ""
    state = translate("Status", match["state"])
    return f"{state}{match['pid'] or ''}{waiting} [{summary_text(match['summary'], translate)}]"


def _error_line(line: str, suggestion: str | None, translate: Translate) -> str | None:
    """ "CODE: message" (with " — suggestion", or the suggestion on its own line) translated by the code."""
    match = _ERROR_LINE.fullmatch(line)
    if match is None or match["code"] not in ErrorCode.__members__:
        return None
    error = AppError(ErrorCode(match["code"]), match["message"], match["suggestion"] or suggestion or "")
    message, translated_suggestion = error_parts(error, translate)
    head = f"{match['code']}{match['cause'] or ''}: {message}"
    if match["suggestion"] is not None:
        return f"{head} — {translated_suggestion}"
    return head if suggestion is None else f"{head}\n  {translated_suggestion}"


def reply_text(text: str, translate: Translate) -> str:
    """A reply of the running tray (English, see Controller.handle_command) in the language of `translate`."""
    if translate is english:
        return text
    lines = text.split("\n")
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        following = lines[index + 1] if index + 1 < len(lines) else None
        suggestion = following[2:] if following is not None and following.startswith("  ") else None
        failed = _FAILED_AT.fullmatch(line)
        body = failed["rest"] if failed else line
        translated = headline_text(body, translate) or _error_line(body, suggestion, translate)
        if translated is not None and failed:
            translated = translate("Status", "Last action failed at {clock}: {detail}").format(
                clock=failed["clock"], detail=translated
            )
        if translated is not None and suggestion is not None and "\n" in translated:
            index += 1  # the suggestion's line was translated with its error
        if translated is None:
            translated = _cli_line(line, translate)
        out.append(translated)
        index += 1
    return "\n".join(out)


def _cli_line(line: str, translate: Translate) -> str:
    if line.startswith("problem: "):
        problem = line.removeprefix("problem: ")
        return translate("CLI", "problem: {problem}").format(problem=translate_text(problem, translate) or problem)
    if line.startswith("unknown command "):
        return translate("CLI", "unknown command {command}").format(command=line.removeprefix("unknown command "))
    if (translated := translate("CLI", line)) != line:
        return translated
    return translate_text(line, translate) or line
