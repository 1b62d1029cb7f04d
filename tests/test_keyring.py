"""Keys in gnome-keyring's Secret Service, on a private D-Bus session bus per test: round trip, locked, absent,
and a whole app run in which the key never shows in the config file, a log, or any process's argv."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psutil
import pytest

from app.controller import Controller
from app.errors import AppErrorException, ErrorCode
from app.keys import SERVICE, KeyStore
from app.paths import Paths
from app.secret import Secret
from app.settings import Settings, SettingsFile
from app.supervisor.config import LlmLinkConfig
from app.supervisor.state import KEYRING_WAIT, State, Status
from app.ui.tray import tooltip_text
from bench.desktop import name_has_owner, wait_until
from tests.app_process import cli, start_app, wait_for_output, write_settings
from tests.conftest import MODERN, llmlink_build, missing
from tests.llmlink_harness import free_port
from tests.upstream_stub import UpstreamStub

KEY = "sk-keyring-test-0123456789abcdef"

# keyring's SecretService backend leaves each D-Bus connection for the garbage collector to close.


@pytest.fixture
def secret_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """A private session bus with an unlocked gnome-keyring on it; this process talks to it too."""
    for tool in ("dbus-daemon", "gnome-keyring-daemon"):
        if shutil.which(tool) is None:
            missing(f"{tool} is not installed")
    home = tmp_path / "home"
    runtime = tmp_path / "run"
    for folder in (home, runtime):
        folder.mkdir(mode=0o700)
    bus = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1"], stdout=subprocess.PIPE, text=True
    )
    assert bus.stdout is not None
    address = bus.stdout.readline().strip()  # printed once the bus listens
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "XDG_RUNTIME_DIR": str(runtime),
        "XDG_DATA_HOME": str(home / "data"),
        "DBUS_SESSION_BUS_ADDRESS": address,
    }
    daemon = subprocess.run(
        ["gnome-keyring-daemon", "--unlock", "--components=secrets", "--daemonize"],
        input="test-password",
        text=True,
        env=env,
        capture_output=True,
        timeout=30,
        check=True,
    )
    assert "GNOME_KEYRING_CONTROL" in daemon.stdout or daemon.returncode == 0
    # --daemonize returns before the daemon owns org.freedesktop.secrets on the bus. A client that comes first
    # makes D-Bus start a second, locked and passwordless daemon (`--start --foreground`), whose
    # create-keyring prompt fails: keyring's InitError, seen in 1 of 6 loaded runs.
    wait_until(lambda: name_has_owner("org.freedesktop.secrets", env), 10, "the Secret Service on the test bus")
    # Something on the way (seen in CI) puts the outer DISPLAY into the bus's activation environment; blank
    # it, so the prompter D-Bus starts cannot open a window that nobody would click.
    subprocess.run(
        ["dbus-update-activation-environment", "DISPLAY=", "WAYLAND_DISPLAY="], env=env, check=True, timeout=10
    )
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
    # The tray's command socket lives under XDG_RUNTIME_DIR: `cli()` from this process must look where the
    # app started with `env` listens.
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    yield env
    for proc in psutil.process_iter(["name", "environ"]):
        try:
            if (
                proc.info["name"] == "gnome-keyring-daemon"
                and (proc.info["environ"] or {}).get("DBUS_SESSION_BUS_ADDRESS") == address
            ):
                proc.kill()
        except psutil.Error:
            pass
    bus.kill()
    bus.wait()
    bus.stdout.close()


async def test_a_key_round_trips_through_the_secret_service(secret_service: dict[str, str]) -> None:
    import keyring

    store = KeyStore()
    await store.set("zhipu", Secret(KEY))
    assert (await store.get("zhipu")) == Secret(KEY)
    assert keyring.get_password(SERVICE, "zhipu") == KEY  # one entry per provider under our service name
    assert await store.has("zhipu") and not await store.has("openai")
    await store.delete("zhipu")
    await store.delete("zhipu")  # deleting nothing is fine
    assert await store.get("zhipu") is None


def lock_the_keyring() -> None:
    """What "Lock" in Seahorse does: the Secret Service's Lock on the default collection."""
    from jeepney import DBusAddress, new_method_call
    from jeepney.io.blocking import open_dbus_connection

    service = DBusAddress(
        "/org/freedesktop/secrets", bus_name="org.freedesktop.secrets", interface="org.freedesktop.Secret.Service"
    )
    with open_dbus_connection(bus="SESSION") as connection:
        connection.send_and_get_reply(
            new_method_call(service, "Lock", "ao", (["/org/freedesktop/secrets/aliases/default"],))
        )


async def test_a_locked_keyring_is_reported_as_such(secret_service: dict[str, str]) -> None:
    store = KeyStore()
    await store.set("zhipu", Secret(KEY))
    lock_the_keyring()  # no display for the prompter here: gnome-keyring reports "dismissed" at once
    with pytest.raises(AppErrorException) as caught:
        await asyncio.wait_for(store.get("zhipu"), 30)
    assert caught.value.error.code is ErrorCode.KEYRING_LOCKED
    assert "Unlock" in caught.value.error.suggestion


async def test_no_usable_keyring_is_a_clear_error_without_plaintext_fallback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import keyring
    import keyring.backends.fail

    monkeypatch.setattr(keyring.core, "_keyring_backend", keyring.backends.fail.Keyring())
    with pytest.raises(AppErrorException) as caught:
        await KeyStore().set("zhipu", Secret(KEY))
    assert caught.value.error.code is ErrorCode.KEYRING_UNAVAILABLE
    assert "Ollama works without a key" in caught.value.error.suggestion


@pytest.fixture
def locked_keyring_nobody_unlocks(secret_service: dict[str, str]) -> Iterator[dict[str, str]]:
    """The openai key stored, then the keyring locked, with gnome-keyring's unlock prompt (the real gcr-prompter)
    shown on an X display of its own that nobody looks at: every key lookup now waits for that prompt, as on a
    desktop whose user does not answer it."""
    if shutil.which("Xvfb") is None:
        missing("Xvfb is not installed")
    import keyring

    keyring.set_password(SERVICE, "openai", KEY)
    read_end, write_end = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-nolisten", "tcp", "-noreset", "-screen", "0", "640x480x24"],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    with os.fdopen(read_end) as numbers:
        display = f":{numbers.readline().strip()}"  # written once Xvfb accepts connections
    try:
        assert display != ":", "Xvfb did not start"
        subprocess.run(
            ["dbus-update-activation-environment", f"DISPLAY={display}", "NO_AT_BRIDGE=1"],
            env=secret_service,
            check=True,
            timeout=10,
        )
        lock_the_keyring()
        yield secret_service
    finally:
        xvfb.terminate()  # the prompter loses its display and exits
        xvfb.wait()


@pytest.fixture
async def tray_with_a_stored_key(
    secret_service: dict[str, str], tmp_path: Path, upstream: UpstreamStub, good_key: str
) -> AsyncIterator[tuple[Path, asyncio.subprocess.Process]]:
    """The real app on the private bus, configured for openai (custom endpoint: the stand-in) with its key
    in the keyring only."""
    await KeyStore().set("openai", Secret(good_key))
    root = tmp_path / "tray"
    write_settings(
        root,
        binary=str(llmlink_build(MODERN)),
        port=free_port(),
        provider="openai",
        model="stub-gpt-4o",
        base_url=upstream.url,
    )
    env = {**os.environ, **secret_service, "QT_QPA_PLATFORM": "offscreen"}
    proc = await start_app("--config-dir", str(root), "--log-level", "DEBUG", env=env)
    line = await wait_for_output(proc, "supervising:")
    assert "Running" in line, line
    yield root, proc
    if proc.returncode is None:
        await cli(root, "quit")
        assert proc.stderr is not None
        await asyncio.wait_for(proc.stderr.read(), 30)
        await proc.wait()


async def test_the_key_reaches_llmlink_and_shows_nowhere_else(
    tray_with_a_stored_key: tuple[Path, asyncio.subprocess.Process], upstream: UpstreamStub, good_key: str
) -> None:
    root, _ = tray_with_a_stored_key
    _, out, _ = await cli(root, "status", "--json")
    status = json.loads(out)
    assert (status["state"], status["provider"]) == ("RUNNING", "openai")
    import httpx

    async with httpx.AsyncClient(trust_env=False) as http:
        chat = await http.post(
            f"http://127.0.0.1:{status['port']}/api/chat",
            timeout=15,
            json={"model": "stub-gpt-4o", "stream": False, "messages": [{"role": "user", "content": "hi"}]},
        )
    assert chat.status_code == 200
    assert upstream.wait_for_request("/chat/completions").authorization == f"Bearer {good_key}"
    for proc in psutil.process_iter(["pid", "cmdline"]):
        assert not any(good_key in arg for arg in proc.info["cmdline"] or []), proc.info
    for path in root.rglob("*"):
        if path.is_file():
            assert good_key not in path.read_text(errors="replace"), path


async def test_the_logs_never_carry_the_key(
    tray_with_a_stored_key: tuple[Path, asyncio.subprocess.Process], good_key: str
) -> None:
    root, proc = tray_with_a_stored_key
    await cli(root, "restart")  # more log lines: a stop, a start, a key swap
    await cli(root, "quit")
    assert proc.stderr is not None
    text = (await asyncio.wait_for(proc.stderr.read(), 30)).decode(errors="replace")
    assert await proc.wait() == 0
    assert "POST /api/config/update-key" in text  # DEBUG logging was on, and the swap happened
    for path in root.rglob("*.log*"):
        text += path.read_text(errors="replace")
    assert good_key not in text


async def test_switch_from_the_cli_uses_the_stored_key_and_ends_on_the_new_provider(
    tray_with_a_stored_key: tuple[Path, asyncio.subprocess.Process],
) -> None:
    root, _ = tray_with_a_stored_key
    await KeyStore().set("zhipu", Secret("zhipu-cli-key-0123456789"))
    _, before, _ = await cli(root, "status", "--json")
    code, out, err = await cli(root, "switch", "zhipu", "glm-4-air")
    assert code == 0, err
    assert out.startswith("Running (PID ")
    _, after, _ = await cli(root, "status", "--json")
    status = json.loads(after)
    assert (status["state"], status["provider"], status["model"]) == ("RUNNING", "zhipu", "glm-4-air")
    assert status["pid"] != json.loads(before)["pid"]
    code, _, err = await cli(root, "switch", "anthropic")  # no key stored for it
    assert code == 1 and "KEY_MISSING" in err


async def test_a_tray_waiting_for_the_keyring_answers_status_and_quits_at_once(
    locked_keyring_nobody_unlocks: dict[str, str], tmp_path: Path
) -> None:
    root = tmp_path / "tray"
    write_settings(root, binary=str(llmlink_build(MODERN)), port=free_port(), provider="openai", model="gpt-4o")
    env = {**os.environ, **locked_keyring_nobody_unlocks, "QT_QPA_PLATFORM": "offscreen"}
    proc = await start_app("--config-dir", str(root), env=env)
    try:
        await wait_for_output(proc, "waiting for the keyring to be unlocked", timeout=20)
        async with asyncio.timeout(10):  # a CLI process of its own starts in ~1 s; the tray answers at once
            code, out, _ = await cli(root, "status", "--json")
        status = json.loads(out)
        assert (code, status["state"], status["waiting"]) == (0, "STARTING", "waiting for the keyring to be unlocked")
        _, text, _ = await cli(root, "status")
        assert "waiting for the keyring to be unlocked" in text
        async with asyncio.timeout(10):
            code, _, _ = await cli(root, "quit")
            assert code == 0
            assert await proc.wait() == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


@pytest.fixture
async def controller_waiting_for_the_keyring(
    locked_keyring_nobody_unlocks: dict[str, str], tmp_path: Path
) -> AsyncIterator[tuple[Controller, asyncio.Task[Status]]]:
    """A controller whose start (openai) is waiting on the unlock prompt, as published; CLI bound 2 s."""
    paths = Paths.under(tmp_path / "app")
    config = LlmLinkConfig(provider="openai", model="gpt-4o", port=free_port(), binary=str(llmlink_build(MODERN)))
    SettingsFile(paths.config_dir).save(Settings(llmlink=config))
    controller = Controller(paths, cli_key_wait=2.0)
    waiting = asyncio.get_running_loop().create_future()
    unsubscribe = controller.subscribe(
        lambda status: status.waiting and not waiting.done() and waiting.set_result(status)
    )
    started = time.monotonic()
    opening = asyncio.ensure_future(controller.open())
    status = await asyncio.wait_for(waiting, 10)
    unsubscribe()
    assert time.monotonic() - started < 1.0, "the wait was published late"
    assert (status.state, status.provider, status.waiting) == (State.STARTING, "openai", KEYRING_WAIT)
    yield controller, opening
    controller.quit_requested.set()
    await asyncio.wait_for(asyncio.gather(opening, return_exceptions=True), 10)
    await asyncio.wait_for(controller.close(), 10)


async def test_a_start_waiting_for_the_keyring_says_so_and_blocks_neither_status_nor_quit(
    controller_waiting_for_the_keyring: tuple[Controller, asyncio.Task[Status]],
) -> None:
    controller, opening = controller_waiting_for_the_keyring
    status = controller.status
    assert tooltip_text(status).splitlines()[0] == "llm-link: Starting — waiting for the keyring to be unlocked"
    assert status.headline().startswith("Starting, waiting for the keyring to be unlocked [")
    answer = await asyncio.wait_for(controller.handle_command("status", []), 0.5)
    assert answer["ok"] and answer["status"]["waiting"] == KEYRING_WAIT
    assert "waiting for the keyring to be unlocked" in answer["message"]
    assert not opening.done()  # still waiting: the tray itself waits as long as the prompt stays open
    started = time.monotonic()
    answer = await asyncio.wait_for(controller.handle_command("quit", []), 0.5)
    assert answer["ok"]
    await asyncio.wait_for(opening, 2)  # the quit ended the wait
    await asyncio.wait_for(controller.close(), 10)
    assert time.monotonic() - started < 5
    assert controller.status.waiting is None


async def test_a_cli_switch_answers_keyring_locked_within_its_bound(
    controller_waiting_for_the_keyring: tuple[Controller, asyncio.Task[Status]],
) -> None:
    controller, _ = controller_waiting_for_the_keyring
    started = time.monotonic()
    answer = await asyncio.wait_for(controller.handle_command("switch", ["openai"]), 10)
    took = time.monotonic() - started
    assert not answer["ok"] and answer["exit_code"] == 1
    locked = "KEYRING_LOCKED: the system keyring is locked (nobody unlocked it within 2 seconds)"
    assert answer["message"].startswith(locked)
    assert 2.0 <= took < 4.0, took
    assert controller.status.waiting is None  # the menu no longer says it waits
    stop = await asyncio.wait_for(controller.handle_command("stop", []), 10)  # and nothing else is blocked
    assert stop["ok"] and stop["status"]["state"] == "STOPPED"
