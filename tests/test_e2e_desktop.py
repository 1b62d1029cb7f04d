"""End to end on a real desktop: Xvfb with an XEmbed tray host (trayer), a real notification daemon watched
with dbus-monitor, the real app and a real llm-link. Screenshots go to artifacts/ for people to look at."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication

from app.settings import Settings
from app.supervisor.state import State
from app.ui.icons import STATE_COLOURS
from bench.desktop import name_has_owner, wait_until
from tests.app_process import cli, start_app, wait_for_output, write_settings
from tests.conftest import MODERN, REPO_ROOT, llmlink_build, missing
from tests.desktop_parts import NotifyMonitor, require
from tests.desktop_parts import notification_daemon as running_notification_daemon
from tests.llmlink_harness import free_port

ARTIFACTS = REPO_ROOT / "artifacts"


@pytest.fixture
def tray_host() -> Iterator[None]:
    require("trayer", "xwininfo")
    proc = subprocess.Popen(
        [
            "trayer",
            "--edge",
            "bottom",
            "--align",
            "right",
            "--widthtype",
            "request",
            "--height",
            "32",
            "--transparent",
            "false",
            "--tint",
            "0x202020",
            "--SetDockType",
            "true",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until(
        lambda: (
            '"panel"'
            in subprocess.run(["xwininfo", "-root", "-tree"], capture_output=True, text=True, check=False).stdout
        ),
        10,
        "trayer's panel",
    )
    yield
    proc.terminate()
    proc.wait()


@pytest.fixture
def notification_daemon() -> Iterator[None]:
    with running_notification_daemon():
        yield


def screenshot(name: str) -> QImage:
    require("import")
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    subprocess.run(["import", "-window", "root", str(path)], check=True, timeout=30)
    image = QImage(str(path))
    assert not image.isNull()
    return image


def tray_pixels_like(image: QImage, colour: QColor, strip: int = 40) -> int:
    """How many pixels in the bottom strip (trayer's panel) are close to `colour`."""
    count = 0
    for y in range(image.height() - strip, image.height()):
        for x in range(image.width() - 300, image.width()):
            pixel = image.pixelColor(x, y)
            if (
                abs(pixel.red() - colour.red())
                + abs(pixel.green() - colour.green())
                + abs(pixel.blue() - colour.blue())
                < 40
            ):
                count += 1
    return count


async def test_tray_turns_green_then_notifies_and_changes_when_llmlink_dies(
    tray_host: None, notification_daemon: None, tmp_path: Path, qapp: QApplication
) -> None:
    monitor = NotifyMonitor()
    root = tmp_path / "tray"
    # No auto-restart here, so the red ERROR icon stays long enough to be photographed.
    write_settings(root, Settings(auto_restart=False), binary=str(llmlink_build(MODERN)), port=free_port())
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    proc = await start_app("--config-dir", str(root), env=env)
    try:
        shown = await wait_for_output(proc, "tray shown")
        assert "tray host available: True" in shown
        await wait_for_output(proc, "tray icon: RUNNING")
        assert "Running" in await wait_for_output(proc, "supervising:")
        green = screenshot("tray-running.png")
        assert tray_pixels_like(green, STATE_COLOURS[State.RUNNING]) > 20

        _, out, _ = await cli(root, "status", "--json")
        os.kill(json.loads(out)["pid"], signal.SIGKILL)
        call = monitor.wait_for("llm-link has a problem", "CRASHED", "SIGKILL", 'string "View logs"')
        assert re.search(r'string "restart"\s+string "Restart"', call.text)  # an action button
        await wait_for_output(proc, "tray icon: ERROR")
        red = screenshot("tray-error.png")
        assert tray_pixels_like(red, STATE_COLOURS[State.ERROR]) > 20
        assert tray_pixels_like(red, STATE_COLOURS[State.RUNNING]) < 5

        await cli(root, "settings")
        wait_until(
            lambda: (
                "Settings"
                in subprocess.run(["xwininfo", "-root", "-tree"], capture_output=True, text=True, check=False).stdout
            ),
            10,
            "the settings dialog",
        )
        screenshot("settings-dialog.png")
        await cli(root, "quit")
        assert await asyncio.wait_for(proc.wait(), 30) == 0
    finally:
        monitor.close()
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


@pytest.fixture
def sni_host() -> Iterator[None]:
    """A StatusNotifierItem watcher and host, as KDE Plasma and GNOME's AppIndicator extension provide."""
    require("status-notifier-watcher", "gtk-sni-tray-standalone", "dbus-send")
    if name_has_owner("org.kde.StatusNotifierWatcher"):
        missing("another StatusNotifierWatcher already owns the session bus name")
    watcher = subprocess.Popen(["status-notifier-watcher"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until(lambda: name_has_owner("org.kde.StatusNotifierWatcher"), 10, "the SNI watcher")
    host = subprocess.Popen(["gtk-sni-tray-standalone"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    yield
    for proc in (host, watcher):
        proc.terminate()
        proc.wait()


def _registered_items() -> str:
    return subprocess.run(
        [
            "dbus-send",
            "--session",
            "--print-reply",
            "--dest=org.kde.StatusNotifierWatcher",
            "/StatusNotifierWatcher",
            "org.freedesktop.DBus.Properties.Get",
            "string:org.kde.StatusNotifierWatcher",
            "string:RegisteredStatusNotifierItems",
        ],
        capture_output=True,
        text=True,
        check=False,
    ).stdout


async def test_the_tray_registers_with_a_status_notifier_host(sni_host: None, tmp_path: Path) -> None:
    root = tmp_path / "tray"
    write_settings(root, binary=str(llmlink_build(MODERN)), port=free_port())
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    proc = await start_app("--config-dir", str(root), env=env)
    try:
        assert "tray host available: True" in await wait_for_output(proc, "tray shown")
        assert "Running" in await wait_for_output(proc, "supervising:")
        wait_until(lambda: 'string ":' in _registered_items(), 10, "the tray's item registered with the watcher")
        screenshot("tray-sni.png")
        await cli(root, "quit")
        assert await asyncio.wait_for(proc.wait(), 30) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
