"""Where the app keeps its files, per platform (platformdirs); one override for portable use and tests."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "llm-link-tray"


@dataclass(frozen=True)
class Paths:
    config_dir: Path
    log_dir: Path
    state_dir: Path

    @classmethod
    def default(cls) -> Paths:
        return cls(
            Path(platformdirs.user_config_dir(APP_NAME)),
            Path(platformdirs.user_log_dir(APP_NAME)),
            Path(platformdirs.user_state_dir(APP_NAME)),
        )

    @classmethod
    def under(cls, root: Path) -> Paths:
        """Everything below one folder (`--config-dir`, tests)."""
        return cls(root / "config", root / "logs", root / "state")

    @property
    def llmlink_log(self) -> Path:
        return self.log_dir / "llm-link.log"

    @property
    def tray_log(self) -> Path:
        """The tray's own log (app/logs.py): after an autostart there is no terminal to read it in."""
        return self.log_dir / "llm-link-tray.log"

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "llm-link.pid.json"

    @property
    def gateway_pid_file(self) -> Path:
        return self.state_dir / "gateway.pid.json"

    @property
    def gateway_log(self) -> Path:
        return self.log_dir / "gateway.log"


def llmlink_builds_dir(env: Mapping[str, str] | None = None, home: Path | None = None) -> Path:
    """Where scripts/run-tray and scripts/run-tests build llm-link from crates.io (`<dir>/<version>/bin/llm-link`):
    $LLM_LINK_TRAY_BUILDS, else the XDG cache. Binary discovery looks here too (newest version first), so the
    tray that the README's set-up built for, and the login entry Settings writes, find the same llm-link.
    scripts/bootstrap.sh spells the same rule in shell; an empty variable counts as unset, as `${VAR:-default}`
    does there."""
    env = os.environ if env is None else env
    override = env.get("LLM_LINK_TRAY_BUILDS")
    if override:
        return Path(override)
    cache = env.get("XDG_CACHE_HOME") or str((Path.home() if home is None else home) / ".cache")
    return Path(cache) / APP_NAME / "llm-link"
