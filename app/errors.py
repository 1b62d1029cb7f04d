"""User-facing failures: an error code, a one-line message and what to do now.

Every failure that can reach a person (tray tooltip, dialog, CLI, notification) is an `AppError`.
Internal exceptions are translated into one at the boundary, so no stack trace reaches the UI.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    EXE_NOT_FOUND = "EXE_NOT_FOUND"
    EXE_NOT_EXECUTABLE = "EXE_NOT_EXECUTABLE"
    EXE_NOT_LLM_LINK = "EXE_NOT_LLM_LINK"
    PORT_IN_USE = "PORT_IN_USE"
    START_TIMEOUT = "START_TIMEOUT"
    CRASHED = "CRASHED"
    CRASH_LOOP = "CRASH_LOOP"
    KEY_INVALID = "KEY_INVALID"
    KEY_MISSING = "KEY_MISSING"
    KEYRING_UNAVAILABLE = "KEYRING_UNAVAILABLE"
    KEYRING_LOCKED = "KEYRING_LOCKED"
    UPSTREAM_UNREACHABLE = "UPSTREAM_UNREACHABLE"
    SWITCH_FAILED = "SWITCH_FAILED"
    CONFIG_ERROR = "CONFIG_ERROR"
    LLMLINK_UNREACHABLE = "LLMLINK_UNREACHABLE"
    LLMLINK_TIMEOUT = "LLMLINK_TIMEOUT"
    LLMLINK_BAD_RESPONSE = "LLMLINK_BAD_RESPONSE"
    # The state or log folder cannot take files (read-only or full disk): llm-link is not started.
    STATE_DIR_UNUSABLE = "STATE_DIR_UNUSABLE"


@dataclass(frozen=True)
class AppError:
    """What went wrong, in one line, and the next step a user can take."""

    code: ErrorCode
    message: str
    suggestion: str
    # Supporting lines for a log view or a details pane (e.g. llm-link's last output), never a traceback.
    details: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.code}: {self.message} — {self.suggestion}"


class AppErrorException(Exception):
    """Carries an `AppError` through code that signals failure by raising."""

    def __init__(self, error: AppError) -> None:
        super().__init__(str(error))
        self.error = error


# --- factories for failures raised in more than one place (one wording each) -------------------------

KEY_CHECK_SUGGESTION = "Check the key in Settings (copy it again from the provider's console)."


def key_missing(display_name: str, suggestion: str | None = None) -> AppError:
    """A provider that needs a key has none: not stored in the keyring, or not entered."""
    return AppError(
        ErrorCode.KEY_MISSING,
        f"no API key is stored for {display_name}",
        suggestion or f"Enter your {display_name} key in Settings.",
    )


def key_rejected(message: str) -> AppError:
    """The key's format, llm-link or the provider itself said no; `message` says who and why."""
    return AppError(ErrorCode.KEY_INVALID, message, KEY_CHECK_SUGGESTION)


def unknown_provider(message: str) -> AppError:
    return AppError(ErrorCode.CONFIG_ERROR, message, "Pick one of the ten providers in Settings.")
