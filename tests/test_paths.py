"""The llm-link builds folder is found by one rule, in Python and in scripts/bootstrap.sh alike."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from app.paths import llmlink_builds_dir
from tests.conftest import REPO_ROOT


def _shell_rule() -> str:
    """The `BUILDS=…` line of scripts/bootstrap.sh, which sets up the builds the tests use."""
    lines = (REPO_ROOT / "scripts" / "bootstrap.sh").read_text().splitlines()
    (line,) = [line for line in lines if line.startswith("BUILDS=")]
    return line


@pytest.mark.parametrize(
    ("builds", "cache", "expected"),
    [
        ("/opt/builds", "/xdg", "/opt/builds"),
        (None, "/xdg", "/xdg/llm-link-tray/llm-link"),
        (None, None, "HOME/.cache/llm-link-tray/llm-link"),
        ("", "", "HOME/.cache/llm-link-tray/llm-link"),  # empty counts as unset, as `${VAR:-…}` does
    ],
)
def test_python_and_the_bootstrap_script_agree(
    builds: str | None, cache: str | None, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    for name, value in (("LLM_LINK_TRAY_BUILDS", builds), ("XDG_CACHE_HOME", cache)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    wanted = Path(expected.replace("HOME", str(tmp_path)))
    assert llmlink_builds_dir() == wanted
    shell = subprocess.run(
        ["bash", "-c", f'{_shell_rule()}\nprintf %s "$BUILDS"'], env=dict(os.environ), capture_output=True, text=True
    )
    assert Path(shell.stdout) == wanted, shell.stderr
