"""Which stored keys are not verified yet, and why: a small JSON file beside the PID file, never the keys.

A key can be verified before use only where we can ask the upstream (Ollama, a custom base URL). Any other
key is stored on the user's word, marked here, and the mark is shown in the menu and Settings until the first
request through llm-link succeeds with it (`Controller.mark_key_verified`). A key that was never marked (one
stored before this file existed, or verified) counts as verified.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Final

log = logging.getLogger("llm_link_tray.key_status")

FILE_NAME: Final = "unverified-keys.json"
MAX_BYTES: Final = 64 * 1024  # ten providers and a reason each: anything bigger is not ours


class KeyStatus:
    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / FILE_NAME
        self._unverified = self._read()

    @property
    def unverified(self) -> dict[str, str]:
        """provider id → why its stored key is not verified."""
        return dict(self._unverified)

    def mark_unverified(self, provider_id: str, reason: str) -> None:
        if self._unverified.get(provider_id) != reason:
            self._unverified[provider_id] = reason
            self._write()

    def mark_verified(self, provider_id: str) -> bool:
        """Forget the mark; True when there was one."""
        if self._unverified.pop(provider_id, None) is None:
            return False
        self._write()
        return True

    def _read(self) -> dict[str, str]:
        try:
            with self.path.open("rb") as handle:
                data = json.loads(handle.read(MAX_BYTES + 1)[:MAX_BYTES])
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            # Losing the marks only hides a warning; it must never keep the tray from starting.
            log.warning("cannot read %s (%s): every stored key counts as verified", self.path, exc)
            return {}
        if not isinstance(data, dict):
            return {}
        return {str(k): str(v) for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}

    def _write(self) -> None:
        """Atomically; a failure is logged, not raised: the mark lasts until quit then."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".unverified-", suffix=".json")
        except OSError as exc:
            log.warning("cannot write %s: %s", self.path, exc.strerror or exc)
            return
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(self._unverified, handle, indent=2, sort_keys=True)
            os.replace(tmp, self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            log.warning("cannot write %s: %s", self.path, exc.strerror or exc)
