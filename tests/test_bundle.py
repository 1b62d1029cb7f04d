"""The standalone bundle: `packaging/build-bundle` builds it, and the frozen app supervises a real llm-link.

The build is shared by the tests of this module (the first one pays for it; a rerun with nothing changed
reuses the bundle in seconds). The tray runs headless (offscreen) with its own config dir.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app import __version__
from tests.conftest import MODERN, REPO_ROOT, llmlink_build, missing
from tests.llmlink_harness import free_port
from tests.supervisor.conftest import llmlink_processes

pytestmark = pytest.mark.timeout(1200)

BUILD_SCRIPT = REPO_ROOT / "packaging" / "build-bundle"
BUILD_TIMEOUT = 1100.0
CLI_TIMEOUT = 60.0
READY_TIMEOUT = 60.0


@pytest.fixture(scope="module")
def bundle_dir() -> Path:
    """Run `packaging/build-bundle` and return the folder it printed last."""
    root = os.geteuid() == 0
    for tool in ("bash", "flock"):
        if shutil.which(tool) is None:
            missing(f"{tool} is not installed; packaging/build-bundle needs it")
    if not root and (shutil.which("strip") is None or shutil.which("ldd") is None):
        missing("strip/ldd are not installed (apt-get install binutils libc-bin); PyInstaller needs them")
    result = subprocess.run(
        [str(BUILD_SCRIPT)],
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, f"packaging/build-bundle failed:\n{result.stderr[-6000:]}"
    printed = Path(result.stdout.strip().splitlines()[-1])
    assert printed == REPO_ROOT / "packaging" / "dist" / "llm-link-tray", result.stdout
    assert (printed / "llm-link-tray").is_file() and os.access(printed / "llm-link-tray", os.X_OK)
    return printed


@pytest.fixture
def bundle(bundle_dir: Path) -> Path:
    return bundle_dir / "llm-link-tray"


def headless_env() -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    # The bundle must not lean on the test's Python for anything.
    for name in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "LLM_LINK_BINARY_PATH"):
        env.pop(name, None)
    return env


async def run(
    *argv: str | Path, timeout: float = CLI_TIMEOUT, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        *map(str, argv),
        env=env or headless_env(),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise AssertionError(f"{argv} did not finish within {timeout}s") from None
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


class StderrLines:
    """Reads a process's stderr for as long as it runs (so the pipe never fills) and lets a test wait for
    a line containing some text."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self._changed = asyncio.Condition()
        self._ended = False
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.proc.stderr is not None
        async for raw in self.proc.stderr:
            async with self._changed:
                self.lines.append(raw.decode(errors="replace"))
                self._changed.notify_all()
        async with self._changed:
            self._ended = True
            self._changed.notify_all()

    async def wait_for(self, text: str, timeout: float = READY_TIMEOUT) -> str:
        def found() -> str | None:
            return next((line for line in self.lines if text in line), None)

        async def wait() -> str:
            async with self._changed:
                await self._changed.wait_for(lambda: found() is not None or self._ended)
                line = found()
                if line is None:
                    raise AssertionError(f"the tray exited before logging {text!r}:\n{self.text()}")
                return line

        try:
            return await asyncio.wait_for(wait(), timeout)
        except TimeoutError:
            raise AssertionError(f"no {text!r} within {timeout}s:\n{self.text()}") from None

    def text(self) -> str:
        return "".join(self.lines)

    async def close(self) -> None:
        await self._task


@pytest.fixture
def tray_config_dir(tmp_path: Path) -> Path:
    """A config dir whose settings point at a real llm-link on a free port."""
    config_dir = tmp_path / "tray"
    (config_dir / "config").mkdir(parents=True)
    settings = {"llmlink": {"binary": str(llmlink_build(MODERN)), "port": free_port()}}
    (config_dir / "config" / "settings.json").write_text(json.dumps(settings))
    return config_dir


async def test_bundle_contains_what_the_tray_needs_and_not_what_it_does_not(bundle: Path, bundle_dir: Path) -> None:
    code, out, err = await run(bundle, "--bundle-check")
    report = json.loads(out)
    assert code == 0 and report["problems"] == [], err
    assert report["frozen"] is True
    # keyring finds its backends through entry points: the bundle must see the same ones as the source tree,
    # and on this machine the same ones must be usable (a Secret Service, when the session bus has one).
    code, out, err = await run(sys.executable, REPO_ROOT / "packaging" / "entry.py", "--bundle-check")
    source = json.loads(out)
    assert code == 0, err
    assert "keyring.backends.SecretService" in report["keyring_entry_points"]
    assert report["keyring_entry_points"] == source["keyring_entry_points"]
    assert report["keyring_viable"] == source["keyring_viable"]
    assert report["keyring"] == source["keyring"]
    assert report["qt_platforms"] == ["offscreen", "xcb"]
    assert {"png", "svg"} <= set(report["qt_image_formats"])

    code, out, _ = await run(bundle, "--version")
    assert code == 0 and out.strip() == f"llm-link-tray {__version__}"

    files = {str(p.relative_to(bundle_dir)) for p in bundle_dir.rglob("*")}
    left_out = (
        "libqgtk3",
        "libQt6Qml",
        "libQt6Quick",
        "libQt6Pdf",
        "libQt6Sql",
        "libQt6Network",  # the single-instance channel is a plain Unix socket now
        "libQt6WaylandClient",
        "libqtvirtualkeyboard",
        "libgtk-3",
        "/translations/",
        "tkinter",
    )
    assert not [f for f in files if any(name in f for name in left_out)]


async def test_bundle_loads_the_x11_platform_plugin(bundle: Path) -> None:
    """The xcb plugin and the X libraries it needs load from the bundle (on Xvfb when there is no display)."""
    env = dict(headless_env(), QT_QPA_PLATFORM="xcb")
    prefix: list[str] = []
    if not env.get("DISPLAY"):
        if shutil.which("xvfb-run") is None:
            missing("xvfb-run is not installed and there is no X display")
        prefix = ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24 -nolisten tcp"]
    code, out, err = await run(*prefix, bundle, "--bundle-check", env=env)
    assert code == 0, err
    report = json.loads(out)
    assert report["qt_platform"] == "xcb" and report["problems"] == [], report


async def test_bundled_tray_supervises_llmlink_and_quits_cleanly(bundle: Path, tray_config_dir: Path) -> None:
    tray = await asyncio.create_subprocess_exec(
        str(bundle), "--config-dir", str(tray_config_dir),
        env=headless_env(), stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    log = StderrLines(tray)
    try:
        await log.wait_for("supervising:")
        await log.wait_for("→ RUNNING")
        code, out, err = await run(bundle, "--config-dir", tray_config_dir, "status", "--json")
        assert code == 0, err
        status = json.loads(out)
        assert status["state"] == "RUNNING", status
        assert status["health"]["api_ok"], status
        assert [p.pid for p in llmlink_processes()] == [status["pid"]]

        code, out, err = await run(bundle, "--config-dir", tray_config_dir, "quit")
        assert code == 0, err
        assert await asyncio.wait_for(tray.wait(), 30) == 0, log.text()
        code, out, _ = await run(bundle, "--config-dir", tray_config_dir, "status", "--json")
        assert code == 1 and json.loads(out)["state"] == "NOT_RUNNING"
        assert llmlink_processes() == []  # quit stopped llm-link
    finally:
        if tray.returncode is None:  # a failed assertion: quit it the gentle way so llm-link stops too
            await run(bundle, "--config-dir", tray_config_dir, "quit")
            try:
                await asyncio.wait_for(tray.wait(), 30)
            except TimeoutError:
                tray.kill()
                await tray.wait()
        await log.close()
