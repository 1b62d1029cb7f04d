"""Where the app keeps its files, per platform (platformdirs); one override for portable use and tests."""

from __future__ import annotations

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
    def pid_file(self) -> Path:
        return self.state_dir / "llm-link.pid.json"
