"""API keys as values that cannot leak by accident.

A `Secret` prints masked in logs, reprs and f-strings; only `reveal()` gives the key, and the code that
calls it is the code that hands the key to llm-link (HTTP body or environment) or to the keyring.
`RedactingFilter` is the second line of defence: it scrubs every revealed key from log records,
including llm-link's own output that we copy into our log file.
"""

from __future__ import annotations

import logging
import threading
from typing import Final

_MIN_VISIBLE_LENGTH: Final = 12


def mask(value: str) -> str:
    """`sk-abcdef1234567890` → `sk-a…7890`; short values become stars only."""
    if len(value) < _MIN_VISIBLE_LENGTH:
        return "*" * len(value)
    return f"{value[:4]}…{value[-4:]}"


class Secret:
    """A key that shows itself only when asked to."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        if value:
            _registry.add(value)

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return f"Secret({mask(self._value)!r})"

    __str__ = __repr__


class _Registry:
    """Every key wrapped in a `Secret` this run, so log output can be scrubbed of it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: frozenset[str] = frozenset()

    def add(self, value: str) -> None:
        # Too-short values would turn ordinary words into stars; keys are never that short.
        if len(value) < 6:
            return
        with self._lock:
            self._values = self._values | {value}

    def scrub(self, text: str) -> str:
        for value in self._values:
            if value in text:
                text = text.replace(value, mask(value))
        return text


_registry = _Registry()


def scrub(text: str) -> str:
    """Mask every known key inside `text`."""
    return _registry.scrub(text)


class RedactingFilter(logging.Filter):
    """Rewrites a record's message so no known key reaches a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
