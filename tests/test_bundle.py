"""The standalone bundle: `packaging/build-bundle` builds it, the frozen app supervises a real llm-link, runs
the editor-facing gateway (`llm-link-tray --gateway`) and installs its application-menu entry.

The build is shared by the tests of this module (the first one pays for it; a rerun with nothing changed
reuses the bundle in seconds). The tray runs headless (offscreen) with its own config dir.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from app import __version__
from tests.conftest import MODERN, REPO_ROOT, llmlink_build, missing
from tests.llmlink_harness import free_port
from tests.supervisor.conftest import llmlink_processes
from tests.upstream_stub import GOOD_KEY, OPENAI_MODELS, UpstreamStub

pytestmark = pytest.mark.timeout(1200)

BUILD_SCRIPT = REPO_ROOT / "packaging" / "build-bundle"
BUILD_TIMEOUT = 1100.0
CLI_TIMEOUT = 60.0
READY_TIMEOUT = 60.0
APP_ID = "io.github.llm_link_tray"
GATEWAY_RSS_BUDGET = 25 * 1024 * 1024  # as for `python -m app.gateway` (tests/gateway/test_process.py)


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
    # The check started the bundle's own gateway, as the supervisor does, and it answered as the one started.
    assert report["gateway_command"] == [str(bundle.resolve()), "--gateway"]
    assert report["gateway"]["hello"] and report["gateway"]["exit_code"] == 0, report["gateway"]
    assert report["gateway"]["libraries"] == []

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
        "PySide6/Qt/translations/",  # Qt's own; the app's are in resources/translations
        "tkinter",
    )
    assert not [f for f in files if any(name in f for name in left_out)]
    # The app's data files are where it reads them from: resources/ (icons, translations) below _internal.
    resources = REPO_ROOT / "resources"
    shipped = [p.relative_to(REPO_ROOT) for p in resources.rglob("*") if p.suffix in (".png", ".svg", ".qm")]
    assert shipped and all(f"_internal/{p}" in files for p in shipped), sorted(files)


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


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A private folder with a short path, for a control socket (tmp_path can exceed a socket path's 108 bytes)."""
    path = Path(tempfile.mkdtemp(prefix="bundle-gw-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def upstream_stub() -> Iterator[UpstreamStub]:
    stub = UpstreamStub().start()
    yield stub
    stub.stop()


async def control(path: Path, cmd: str, **args: Any) -> dict[str, Any]:
    """One command on the gateway's control socket, as app/supervisor/gateway.py sends it."""
    reader, writer = await asyncio.open_unix_connection(str(path))
    try:
        writer.write(json.dumps({"cmd": cmd, "id": 1, **args}).encode() + b"\n")
        await writer.drain()
        answer: dict[str, Any] = json.loads(await asyncio.wait_for(reader.readline(), CLI_TIMEOUT))
    finally:
        writer.close()
    return answer


async def test_bundled_gateway_proves_its_identity_and_forwards_to_its_upstream(
    bundle: Path, short_dir: Path, upstream_stub: UpstreamStub
) -> None:
    """`llm-link-tray --gateway`, as the supervisor starts it from a bundle: ready line, `hello` with the token
    it was given, an editor's request forwarded to the upstream named by `set_upstream`, small, no Qt."""
    token = secrets.token_urlsafe(32)
    socket_path = short_dir / "gw.sock"
    gateway = await asyncio.create_subprocess_exec(
        str(bundle), "--gateway", "--listen", "127.0.0.1:0", "--control", str(socket_path), "--hold-seconds", "5",
        env=dict(headless_env(), LLM_LINK_TRAY_GATEWAY_TOKEN=token), stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    log = StderrLines(gateway)
    try:
        assert gateway.stdout is not None
        line = (await asyncio.wait_for(gateway.stdout.readline(), READY_TIMEOUT)).decode()
        assert line.startswith("GATEWAY_READY "), f"{line!r}\n{log.text()}"
        port = json.loads(line.removeprefix("GATEWAY_READY "))["port"]

        hello = await control(socket_path, "hello")
        assert hello["ok"] and hello["token"] == token and hello["pid"] == gateway.pid, hello
        assert hello["listen"]["port"] == port and hello["upstream"]["serving"] is False

        flip = await control(socket_path, "set_upstream", port=upstream_stub.port, auth=GOOD_KEY, label="stub")
        assert flip["ok"], flip
        async with httpx.AsyncClient(timeout=CLI_TIMEOUT) as client:
            reply = await client.get(f"http://127.0.0.1:{port}/v1/models", headers={"Authorization": "Bearer editor"})
        assert reply.status_code == 200, reply.text
        assert [m["id"] for m in reply.json()["data"]] == list(OPENAI_MODELS)
        seen = upstream_stub.wait_for_request("/v1/models")
        assert seen.authorization == f"Bearer {GOOD_KEY}"  # the key set_upstream gave, not the editor's

        process = psutil.Process(gateway.pid)
        rss = process.memory_info().rss
        assert rss <= GATEWAY_RSS_BUDGET, f"the bundle's gateway: RSS {rss / 2**20:.1f} MB"
        mapped = {Path(m.path).name for m in process.memory_maps()}
        assert not [name for name in mapped if name.startswith(("libQt6", "libpyside6", "libshiboken6"))]

        assert (await control(socket_path, "shutdown"))["ok"]
        assert await asyncio.wait_for(gateway.wait(), CLI_TIMEOUT) == 0, log.text()
    finally:
        if gateway.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                gateway.kill()
            await gateway.wait()
        await log.close()


async def test_bundle_installs_a_valid_menu_entry_that_starts_the_bundle(bundle: Path, tmp_path: Path) -> None:
    """`llm-link-tray install-desktop` from the bundle finds its .desktop template and icons inside it."""
    if shutil.which("desktop-file-validate") is None:
        missing("desktop-file-validate (Debian: desktop-file-utils) is not installed")
    data, config_dir = tmp_path / "data", tmp_path / "app"
    env = dict(headless_env(), XDG_DATA_HOME=str(data), HOME=str(tmp_path / "home"))
    code, out, err = await run(bundle, "--config-dir", config_dir, "install-desktop", env=env)
    assert code == 0, err
    assert "uninstall-desktop" in out

    entry = data / "applications" / f"{APP_ID}.desktop"
    code, out, err = await run("desktop-file-validate", entry)
    assert code == 0 and not out.strip(), out + err
    text = entry.read_text()
    assert f"Exec={bundle.resolve()} --config-dir {config_dir}\n" in text  # this very bundle, this instance
    assert f"Icon={APP_ID}\n" in text
    icons = REPO_ROOT / "resources" / "icons"
    for icon in icons.rglob(f"{APP_ID}*"):
        assert (data / "icons" / icon.relative_to(icons)).read_bytes() == icon.read_bytes()

    code, out, err = await run(bundle, "--config-dir", config_dir, "uninstall-desktop", env=env)
    assert code == 0, err
    assert not entry.exists()
