"""Non-secret settings: a JSON file in the platform's config dir, mode 0600, written atomically.

Keys never go here (they live in the OS keyring). A file that cannot be used (not UTF-8, not JSON, a field of
the wrong type, nested too deep, over the size cap) is moved aside with one warning and defaults are used, so
a damaged file costs the user their settings, never a start. Something that is not a file at all (a directory)
is the user's and stays where it is: defaults are used, and saving fails with a clear error until it is gone.
A symlinked file (a dotfile repository) is written through: the link stays, its target gets the new content.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
import tempfile
import time
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Final

from app.errors import AppError, AppErrorException, ErrorCode
from app.gateway.policy import check_origin_pattern
from app.providers import is_known, provider
from app.supervisor.config import LlmLinkConfig
from app.supervisor.contract import APP_PROTOCOLS

log = logging.getLogger("llm_link_tray.settings")

FILE_NAME: Final = "settings.json"
VERSION: Final = 1
# A real settings file is under 2 KB. Anything this big is not ours, and reading it whole would cost memory
# and start-up time for nothing.
MAX_FILE_BYTES: Final = 1 << 20
# What llm-link's `--log-level` understands as a plain level (tracing's EnvFilter; anything else is read as
# a filter directive and silently logs nothing useful).
LOG_LEVELS: Final = ("off", "error", "warn", "info", "debug", "trace")
ICON_STYLES: Final = ("color", "mono")
# The UI's language: the system locale's, or one chosen in Settings (app/i18n.py resolves "system").
LANGUAGES: Final = ("system", "en", "zh_CN")


class _Damaged(Exception):
    """The file's content cannot be used; it is moved aside."""


@dataclass(frozen=True)
class Settings:
    llmlink: LlmLinkConfig = field(default_factory=LlmLinkConfig)
    auto_restart: bool = True
    notifications: bool = True
    auto_refresh: bool = True
    keep_llmlink_after_quit: bool = False
    autostart: bool = False
    # The model last used per provider, so a one-click switch from the menu lands where the user left it.
    models: dict[str, str] = field(default_factory=dict)
    # Base URLs per provider (openai, zhipu, ollama), for the same reason.
    base_urls: dict[str, str] = field(default_factory=dict)
    # The tray icon: "color" badges, or "mono" (one colour, the emblems kept) for panels of symbolic icons.
    icon_style: str = "color"
    # "system" follows the locale; "en" or "zh_CN" override it. Read at start (app/ui/i18n.py).
    language: str = "system"
    # Browser origins the gateway lets through to the editor's port (None: Ollama's defaults, loopback pages
    # and app/file/editor-webview schemes). Patterns as app/gateway/policy.py takes them.
    allowed_origins: tuple[str, ...] | None = None

    def remember(self, config: LlmLinkConfig) -> Settings:
        """These settings with `config` active and remembered for its provider."""
        models = dict(self.models)
        base_urls = dict(self.base_urls)
        if config.model:
            models[config.provider] = config.model
        if config.base_url:
            base_urls[config.provider] = config.base_url
        else:
            base_urls.pop(config.provider, None)
        return replace(self, llmlink=config, models=models, base_urls=base_urls)


class SettingsFile:
    def __init__(self, config_dir: Path) -> None:
        self.path = config_dir / FILE_NAME
        # Why saving is refused (something we must not replace sits at the path); set by `load`.
        self._refusal: AppError | None = None

    def load(self) -> Settings:
        self._refusal = None
        try:
            return _from_json(json.loads(self._read()))
        except FileNotFoundError:
            return Settings()
        except _NotAFile as exc:
            self._refusal = _cannot_save(self.path, exc.reason)
            log.warning(
                "settings file %s %s: using defaults, and settings cannot be saved until it is moved away",
                self.path,
                exc.reason,
            )
            return Settings()
        except OSError as exc:  # unreadable (permissions, I/O error): not ours to move or overwrite
            self._refusal = _cannot_save(self.path, f"cannot be read ({exc.strerror or exc})")
            log.warning("settings file %s cannot be read (%s): using defaults", self.path, exc.strerror or exc)
            return Settings()
        # RecursionError: json gives up on very deep nesting. UnicodeDecodeError is a ValueError.
        except (_Damaged, ValueError, TypeError, KeyError, RecursionError) as exc:
            self._move_aside(exc)
            return Settings()

    def save(self, settings: Settings) -> None:
        """Write atomically (beside the symlink's target, when the file is a link). Raises AppErrorException
        (CONFIG_ERROR) when it cannot: something else sits at the path, or the disk refuses."""
        target = self.path.resolve()  # through a symlink: replacing the link would cut the user's dotfile off
        if target.is_dir():
            raise AppErrorException(_cannot_save(self.path, "is a directory"))
        if self._refusal is not None:
            raise AppErrorException(self._refusal)
        data = {"version": VERSION, **asdict(settings)}
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".settings-", suffix=".json")
        except OSError as exc:
            raise AppErrorException(_cannot_save(self.path, f"cannot be written ({exc.strerror or exc})")) from None
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=2, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)  # atomic: a crash leaves the old file or the new one, never half
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if isinstance(exc, OSError):
                raise AppErrorException(_cannot_save(self.path, f"cannot be written ({exc.strerror or exc})")) from None
            raise

    def _read(self) -> str:
        """The file's text, through a symlink; at most MAX_FILE_BYTES are read."""
        info = self.path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise _NotAFile("is a directory")
        if not stat.S_ISREG(info.st_mode):
            raise _NotAFile("is not a regular file")  # a FIFO or device: opening it could block forever
        if info.st_size > MAX_FILE_BYTES:
            raise _Damaged(f"it is larger than {MAX_FILE_BYTES // 1024} KiB")
        with self.path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)  # it may have grown since the stat
        if len(raw) > MAX_FILE_BYTES:
            raise _Damaged(f"it is larger than {MAX_FILE_BYTES // 1024} KiB")
        return raw.decode("utf-8")

    def _move_aside(self, cause: BaseException) -> None:
        reason = _describe(cause)
        aside = self.path.with_name(f"{FILE_NAME}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            self.path.replace(aside)  # a symlink is moved, not its target: the user's file stays untouched
        except OSError as exc:
            log.warning(
                "settings file %s is unreadable (%s) and could not be moved aside (%s): using defaults",
                self.path,
                reason,
                exc.strerror or exc,
            )
            return
        log.warning("settings file %s is unreadable (%s): moved to %s, using defaults", self.path, reason, aside)


class _NotAFile(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _cannot_save(path: Path, reason: str) -> AppError:
    return AppError(
        ErrorCode.CONFIG_ERROR,
        f"cannot save settings: {path} {reason}",
        f"Move {path} out of the way (or fix its permissions); until then changes last only until quit.",
    )


def _describe(exc: BaseException) -> str:
    """One line for the warning; json's and the codec's own messages are short and say where."""
    if isinstance(exc, RecursionError):
        return "it is nested too deeply"
    if isinstance(exc, UnicodeDecodeError):
        return f"it is not UTF-8 text (byte {exc.start})"
    return str(exc)


def _from_json(data: Any) -> Settings:
    if not isinstance(data, dict):
        raise TypeError("settings must be a JSON object")
    llmlink = data.get("llmlink", {})
    if not isinstance(llmlink, dict):
        raise TypeError("'llmlink' must be an object")
    known = {f.name for f in fields(LlmLinkConfig)}
    config = _check_config(LlmLinkConfig(**{k: v for k, v in llmlink.items() if k in known}))
    plain = {f.name for f in fields(Settings)} - {"llmlink"}
    values = {k: v for k, v in data.items() if k in plain}
    for name in ("auto_restart", "notifications", "auto_refresh", "keep_llmlink_after_quit", "autostart"):
        if name in values and not isinstance(values[name], bool):
            raise TypeError(f"{name!r} must be true or false")
    for name in ("models", "base_urls"):
        if name in values and not (
            isinstance(values[name], dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in values[name].items())
        ):
            raise TypeError(f"{name!r} must map providers to strings")
    if "icon_style" in values and values["icon_style"] not in ICON_STYLES:
        raise ValueError(f"unknown icon style {values['icon_style']!r} (known: {', '.join(ICON_STYLES)})")
    if "language" in values and values["language"] not in LANGUAGES:
        raise ValueError(f"unknown language {values['language']!r} (known: {', '.join(LANGUAGES)})")
    if values.get("allowed_origins") is not None:
        values["allowed_origins"] = check_origins(values["allowed_origins"])
    return Settings(llmlink=config, **values)


def check_origins(origins: object) -> tuple[str, ...]:
    """A list of browser origin patterns, each normalised; ValueError/TypeError says which one is wrong."""
    if not isinstance(origins, list | tuple) or not all(isinstance(o, str) for o in origins):
        raise TypeError("'allowed_origins' must be a list of origins, like http://localhost:3000")
    return tuple(check_origin_pattern(o) for o in origins if o.strip())


def _check_config(config: LlmLinkConfig) -> LlmLinkConfig:
    """`config` as loaded, every field of the type and range llm-link takes (the log level in lower case)."""
    if not isinstance(config.provider, str) or not is_known(config.provider):
        raise ValueError(f"unknown provider {config.provider!r}")
    if config.base_url is not None and not provider(config.provider).takes_base_url:
        # Saved by an older version (Zhipu took one, which llm-link never used for chats): it cannot start.
        log.warning("ignoring the saved base URL of %s, which takes none", config.provider)
        config = replace(config, base_url=None)
    if not isinstance(config.port, int) or isinstance(config.port, bool) or not 1 <= config.port <= 65535:
        raise ValueError(f"port {config.port!r} is not a TCP port")
    for name in ("model", "base_url", "binary"):
        value = getattr(config, name)
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{name!r} must be text")
    if not isinstance(config.app_mode, str) or config.app_mode not in APP_PROTOCOLS:
        raise ValueError(f"unknown app mode {config.app_mode!r} (known: {', '.join(APP_PROTOCOLS)})")
    if not isinstance(config.log_level, str) or config.log_level.lower() not in LOG_LEVELS:
        raise ValueError(f"unknown log level {config.log_level!r} (known: {', '.join(LOG_LEVELS)})")
    return replace(config, log_level=config.log_level.lower())
