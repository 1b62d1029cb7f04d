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
    # The gateway (the editor's port) could not be started, or keeps crashing.
    GATEWAY_FAILED = "GATEWAY_FAILED"
    # Another program changed llm-link's settings on its private port; the tray restored them.
    TAMPERED = "TAMPERED"
    # Editor requests fail upstream (llm-link answers 5xx): the provider is down or refuses the key.
    UPSTREAM_FAILING = "UPSTREAM_FAILING"


@dataclass(frozen=True)
class AppError:
    """What went wrong, in one line, and the next step a user can take.

    `message` and `suggestion` are for people: plain text, no error code (that is `code`, for logs and
    `--json`), no Markdown. `text()` is how dialogs, notifications and the CLI's plain output show it;
    `str()` (with the code) is for logs."""

    code: ErrorCode
    message: str
    suggestion: str
    # Supporting lines for a log view or a details pane (e.g. llm-link's last output), never a traceback.
    details: tuple[str, ...] = ()
    # For a wrapping failure (SWITCH_FAILED): the code of what went wrong underneath, for logs and --json.
    cause: ErrorCode | None = None

    def __post_init__(self) -> None:
        # Markdown backticks reach people literally (a notification, a QLabel, a terminal). Sources are written
        # without them (tests/test_error_wording.py); this catches text that comes from elsewhere.
        for name in ("message", "suggestion"):
            value = getattr(self, name)
            if "`" in value:
                object.__setattr__(self, name, value.replace("`", "'"))

    def __str__(self) -> str:
        code = f"{self.code} ({self.cause})" if self.cause else str(self.code)
        return f"{code}: {self.message} — {self.suggestion}"

    @property
    def headline(self) -> str:
        """The message as a sentence: capitalised, ending in a full stop."""
        return sentence(self.message)

    def text(self) -> str:
        """What a person reads: the message, then what to do; no code."""
        return f"{self.headline} {self.suggestion}"


class AppErrorException(Exception):
    """Carries an `AppError` through code that signals failure by raising."""

    def __init__(self, error: AppError) -> None:
        super().__init__(str(error))
        self.error = error


def sentence(text: str) -> str:
    """`text` capitalised, with a full stop unless it already ends a sentence."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?…" else f"{text}."


def plural(count: int, noun: str) -> str:
    """`1 model`, `2 models`."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def human_duration(seconds: float) -> str:
    """A duration as people say it: `1 second`, `2.5 seconds`, `1 minute`, `90 seconds`."""
    if seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        return "1 minute" if minutes == 1 else f"{minutes} minutes"
    return "1 second" if seconds == 1 else f"{round(seconds, 1):g} seconds"


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


# Failures that already name what to fix are shown as they are; anything else is wrapped in SWITCH_FAILED.
_SHOWN_AS_IS = frozenset(
    {ErrorCode.KEY_INVALID, ErrorCode.KEY_MISSING, ErrorCode.CONFIG_ERROR, ErrorCode.UPSTREAM_UNREACHABLE}
)


def switch_failed(cause: AppError) -> AppError:
    """A switch's or Apply's failure as shown. The wrapped cause's code goes to `cause` (logs, --json), never
    into the text: "switch failed: EXE_NOT_FOUND: …" read as a stutter of codes."""
    if cause.code in _SHOWN_AS_IS or cause.code is ErrorCode.SWITCH_FAILED:
        return cause
    return AppError(
        ErrorCode.SWITCH_FAILED,
        f"the change was not made: {cause.message}",
        cause.suggestion,
        cause.details,
        cause=cause.code,
    )
