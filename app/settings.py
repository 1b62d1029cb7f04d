"""Non-secret settings: a JSON file in the platform's config dir, mode 0600, written atomically.

Keys never go here (they live in the OS keyring). A file that cannot be read is moved aside with a warning
and defaults are used, so a damaged file costs the user their settings, never a start.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Final

from app.providers import is_known
from app.supervisor.config import LlmLinkConfig

log = logging.getLogger("llm_link_tray.settings")

FILE_NAME: Final = "settings.json"
VERSION: Final = 1


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

    def load(self) -> Settings:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return Settings()
        try:
            return _from_json(json.loads(raw))
        except (ValueError, TypeError, KeyError) as exc:
            aside = self.path.with_name(f"{FILE_NAME}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
            with contextlib.suppress(OSError):
                self.path.replace(aside)
            log.warning("settings file %s is unreadable (%s): moved to %s, using defaults", self.path, exc, aside)
            return Settings()

    def save(self, settings: Settings) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"version": VERSION, **asdict(settings)}
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".settings-", suffix=".json")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=2, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)  # atomic: a crash leaves the old file or the new one, never half
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


def _from_json(data: Any) -> Settings:
    if not isinstance(data, dict):
        raise TypeError("settings must be a JSON object")
    llmlink = data.get("llmlink", {})
    if not isinstance(llmlink, dict):
        raise TypeError("'llmlink' must be an object")
    known = {f.name for f in fields(LlmLinkConfig)}
    config = LlmLinkConfig(**{k: v for k, v in llmlink.items() if k in known})
    _check_config(config)
    plain = {f.name for f in fields(Settings)} - {"llmlink"}
    values = {k: v for k, v in data.items() if k in plain}
    for name in ("auto_restart", "notifications", "auto_refresh", "keep_llmlink_after_quit", "autostart"):
        if name in values and not isinstance(values[name], bool):
            raise TypeError(f"{name!r} must be true or false")
    for name in ("models", "base_urls"):
        if name in values and not (isinstance(values[name], dict)
                                   and all(isinstance(v, str) for v in values[name].values())):
            raise TypeError(f"{name!r} must map providers to strings")
    return Settings(llmlink=config, **values)


def _check_config(config: LlmLinkConfig) -> None:
    if not is_known(config.provider):
        raise ValueError(f"unknown provider {config.provider!r}")
    if not isinstance(config.port, int) or isinstance(config.port, bool) or not 1 <= config.port <= 65535:
        raise ValueError(f"port {config.port!r} is not a TCP port")
    for name in ("model", "base_url", "binary"):
        value = getattr(config, name)
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{name!r} must be text")
