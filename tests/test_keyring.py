"""Keys in gnome-keyring's Secret Service, on a private D-Bus session bus per test: round trip, locked, absent,
and a whole app run in which the key never shows in the config file, a log, or any process's argv."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psutil
import pytest

from app.errors import AppErrorException, ErrorCode
from app.keys import SERVICE, KeyStore
from app.secret import Secret
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
    # Something on the way (seen in CI) puts the outer DISPLAY into the bus's activation environment; blank
    # it, so the prompter D-Bus starts cannot open a window that nobody would click.
    subprocess.run(
        ["dbus-update-activation-environment", "DISPLAY=", "WAYLAND_DISPLAY="], env=env, check=True, timeout=10
    )
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
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


async def test_a_locked_keyring_is_reported_as_such(secret_service: dict[str, str]) -> None:
    from jeepney import DBusAddress, new_method_call
    from jeepney.io.blocking import open_dbus_connection

    store = KeyStore()
    await store.set("zhipu", Secret(KEY))
    service = DBusAddress(
        "/org/freedesktop/secrets", bus_name="org.freedesktop.secrets", interface="org.freedesktop.Secret.Service"
    )
    with open_dbus_connection(bus="SESSION") as connection:
        connection.send_and_get_reply(
            new_method_call(service, "Lock", "ao", (["/org/freedesktop/secrets/aliases/default"],))
        )
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
