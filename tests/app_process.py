"""The app as a user runs it: `python -m app …` in a process of its own, plus its settings file."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from app.settings import Settings, SettingsFile
from app.supervisor.config import LlmLinkConfig
from tests.conftest import REPO_ROOT

PIPE, DEVNULL = asyncio.subprocess.PIPE, asyncio.subprocess.DEVNULL


def write_settings(config_dir: Path, settings: Settings | None = None, **llmlink: object) -> None:
    """`config_dir` as given to `--config-dir`: the settings file lives in its `config/` folder."""
    config = LlmLinkConfig(**llmlink)  # type: ignore[arg-type]
    base = settings or Settings()
    SettingsFile(config_dir / "config").save(Settings(**{**base.__dict__, "llmlink": config}))


async def start_app(
    *args: str, env: dict[str, str] | None = None, stdout: int = DEVNULL, stderr: int = PIPE
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app", *args, cwd=REPO_ROOT, env=env, stdin=DEVNULL, stdout=stdout, stderr=stderr
    )


async def wait_for_output(proc: asyncio.subprocess.Process, text: str, timeout: float = 30) -> str:
    """The first stderr line containing `text` (the app logs there)."""
    assert proc.stderr is not None
    seen: list[str] = []

    async def read() -> str:
        assert proc.stderr is not None
        async for raw in proc.stderr:
            seen.append(raw.decode(errors="replace"))
            if text in seen[-1]:
                return seen[-1]
        raise AssertionError(f"the app exited before printing {text!r}: {''.join(seen)}")

    try:
        return await asyncio.wait_for(read(), timeout)
    except TimeoutError:
        raise AssertionError(f"no {text!r} within {timeout}s: {''.join(seen)}") from None


async def cli(config_dir: Path, *args: str, timeout: float = 60) -> tuple[int, str, str]:
    """`llm-link-tray --config-dir DIR ARGS…` to completion: (exit code, stdout, stderr)."""
    proc = await start_app("--config-dir", str(config_dir), *args, stdout=PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()
