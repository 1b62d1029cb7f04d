"""The app as a user runs it: `python -m app …` in a process of its own, plus its settings file."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from app.settings import Settings, SettingsFile
from app.supervisor.config import LlmLinkConfig
from tests.conftest import REPO_ROOT, missing

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


async def cli(
    config_dir: Path, *args: str, timeout: float = 60, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """`llm-link-tray --config-dir DIR ARGS…` to completion: (exit code, stdout, stderr)."""
    proc = await start_app("--config-dir", str(config_dir), *args, env=env, stdout=PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def app_env(runtime_dir: Path, **overrides: str) -> dict[str, str]:
    """Our environment with a private `$XDG_RUNTIME_DIR` (made 0700, as a session's is) for the app's lock and
    socket; `overrides` with an empty value remove that variable."""
    runtime_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime_dir), **overrides}
    return {k: v for k, v in env.items() if v}


@dataclass
class XServer:
    display: str
    proc: asyncio.subprocess.Process

    async def kill(self) -> None:
        """The display goes away, as at a display crash (or a logout that takes the X server down)."""
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
            await self.proc.wait()


@contextlib.asynccontextmanager
async def own_display(timeout: float = 20) -> AsyncIterator[XServer]:
    """An Xvfb of the test's own, on a display number it picks itself (-displayfd), so the test can take
    that display away without touching the one the suite runs on."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        missing("Xvfb is not installed (Debian package xvfb)")
        raise AssertionError("unreachable")  # missing() raises
    read_end, write_end = os.pipe()
    proc = await asyncio.create_subprocess_exec(
        xvfb, "-displayfd", str(write_end), "-nolisten", "tcp", "-noreset", "-screen", "0", "640x480x24",
        pass_fds=(write_end,), stdin=DEVNULL, stdout=DEVNULL, stderr=DEVNULL,
    )  # fmt: skip
    os.close(write_end)
    try:
        # Xvfb writes its display number once it accepts connections; EOF means it died first.
        number = await asyncio.wait_for(asyncio.to_thread(os.read, read_end, 32), timeout)
        if not number.strip():
            raise AssertionError(f"Xvfb exited with status {await proc.wait()} before taking a display")
        yield XServer(f":{number.decode().strip()}", proc)
    finally:
        os.close(read_end)
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
