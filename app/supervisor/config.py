"""What llm-link should run: the non-secret part of the configuration (keys live in the keyring)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Final

from app.secret import Secret

# Not Ollama's 11434 (where Zed looks by default): llm-link's Ollama backend always calls localhost:11434, so
# llm-link there would talk to itself. Editors are pointed at this port instead (see README).
DEFAULT_PORT: Final = 11435


@dataclass(frozen=True)
class LlmLinkConfig:
    provider: str = "ollama"
    model: str | None = None
    base_url: str | None = None
    port: int = DEFAULT_PORT
    app_mode: str = "zed"
    binary: str | None = None
    log_level: str = "info"

    def fingerprint(self, *, with_model: bool = True) -> str:
        """Stable hash of what the running process must match (the binary is checked separately).
        `with_model=False` leaves the model out: settings that let llm-link pick its default model
        (`model=None`) can only be compared with a running instance that way."""
        fields = (
            ("provider", "model", "base_url", "port", "app_mode")
            if with_model
            else ("provider", "base_url", "port", "app_mode")
        )
        wanted = {k: v for k, v in asdict(self).items() if k in fields}
        return hashlib.sha256(json.dumps(wanted, sort_keys=True).encode()).hexdigest()[:16]


# Looks a provider's key up (the keyring, in the app); None when none is stored.
KeyLookup = Callable[[str], Awaitable[Secret | None]]
