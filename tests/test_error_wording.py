"""Error texts are for people: no Markdown backticks, no error codes in the message or suggestion (codes are
for logs and --json), durations in words. Walks every AppError the app's source builds, and the builders."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.errors import (
    AppError,
    ErrorCode,
    human_duration,
    key_missing,
    key_rejected,
    plural,
    switch_failed,
    unknown_provider,
)

APP = Path(__file__).resolve().parent.parent / "app"
CODES = {code.value for code in ErrorCode}
# Being edited by the lead (its "--help within 1s" wording is theirs to change); AppError itself turns its
# backticks into quotes (tested below). Remove it from here once its texts are plain.
OWNED_ELSEWHERE = {"supervisor/contract.py", "supervisor/instance.py"}


def _error_texts() -> Iterator[tuple[str, int, ast.expr]]:
    """(file, line, expression) for every message and suggestion passed to AppError(...) in app/."""
    for path in sorted(APP.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # Names assigned a string anywhere in the module (a shared suggestion such as HOW_TO_INSTALL).
        named: dict[str, list[ast.expr]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        named.setdefault(target.id, []).append(node.value)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name != "AppError":
                continue
            for arg in node.args[1:3]:
                for expr in named.get(arg.id, []) if isinstance(arg, ast.Name) else [arg]:
                    yield str(path.relative_to(APP)), node.lineno, expr


def _problems(file: str, expr: ast.expr) -> list[str]:
    found = []
    parts = expr.values if isinstance(expr, ast.JoinedStr) else [expr]
    for index, part in enumerate(parts):
        after = parts[index + 1] if index + 1 < len(parts) else None
        if isinstance(part, ast.Constant) and isinstance(part.value, str):
            if "`" in part.value and file not in OWNED_ELSEWHERE:
                found.append(f"backtick in {part.value!r}")
            found += [f"code {code} in {part.value!r}" for code in CODES if code in part.value]
        elif isinstance(part, ast.FormattedValue):
            if isinstance(part.value, ast.Attribute) and part.value.attr == "code":
                found.append(f"an error code formatted into the text: {ast.unparse(part.value)}")
            # "{timeout:g}s" reads "1s": a number glued to a unit letter is for machines.
            text_after = after.value if isinstance(after, ast.Constant) and isinstance(after.value, str) else ""
            if text_after[:1] == "s" and not text_after[1:2].isalpha() and file not in OWNED_ELSEWHERE:
                found.append(f"a machine duration ({ast.unparse(part)}s): use human_duration")
    return found


def test_the_walk_finds_the_apps_errors() -> None:
    texts = list(_error_texts())
    assert len(texts) > 50  # every module's AppError(...) calls, not a handful
    assert {file for file, _, _ in texts} >= {"keys.py", "supervisor/binary.py", "supervisor/upstream.py"}


def test_no_error_text_has_backticks_or_codes() -> None:
    problems = [f"{file}:{line}: {p}" for file, line, expr in _error_texts() for p in _problems(file, expr)]
    assert problems == []


@pytest.mark.parametrize(
    "error",
    [
        key_missing("Zhipu"),
        key_rejected("OpenAI rejected the key (HTTP 401)"),
        unknown_provider("unknown provider 'x'"),
        switch_failed(AppError(ErrorCode.EXE_NOT_FOUND, "File does not exist: /x", "Install it.")),
        switch_failed(AppError(ErrorCode.START_TIMEOUT, "llm-link did not answer", "View logs.")),
        switch_failed(AppError(ErrorCode.KEY_INVALID, "bad key", "Check it.")),
    ],
    ids=lambda e: e.code.value,
)
def test_every_builder_leaves_codes_out_of_the_text(error: AppError) -> None:
    for text in (error.message, error.suggestion, error.text()):
        assert not any(code in text for code in CODES), text
        assert "`" not in text


def test_a_wrapped_failure_keeps_its_cause_for_logs_without_a_stutter() -> None:
    error = switch_failed(AppError(ErrorCode.EXE_NOT_FOUND, "File does not exist: /x", "Install it."))
    assert (error.code, error.cause) == (ErrorCode.SWITCH_FAILED, ErrorCode.EXE_NOT_FOUND)
    assert error.text() == "The change was not made: File does not exist: /x. Install it."
    assert str(error).startswith("SWITCH_FAILED (EXE_NOT_FOUND): ")  # the log line keeps both codes


def test_backticks_from_anywhere_become_plain_quotes() -> None:
    error = AppError(ErrorCode.EXE_NOT_LLM_LINK, "x did not answer `--help`", "Run `cargo install llm-link`.")
    assert (error.message, error.suggestion) == ("x did not answer '--help'", "Run 'cargo install llm-link'.")


def test_durations_and_counts_read_as_words() -> None:
    assert [human_duration(s) for s in (1, 0.5, 2.5, 60, 120, 90)] == [
        "1 second",
        "0.5 seconds",
        "2.5 seconds",
        "1 minute",
        "2 minutes",
        "90 seconds",
    ]
    assert (plural(1, "model"), plural(2, "model"), plural(0, "model")) == ("1 model", "2 models", "0 models")
