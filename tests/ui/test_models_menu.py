"""The tray menu connects an editor and switches models: "Connect an editor…", and a Models submenu for the
active provider, from real llm-link's lists, where one click switches the model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QMenu

from app.controller import Controller
from app.llmlink_client import LlmLinkClient
from app.supervisor.state import State
from app.ui.tray import TrayIcon
from tests.conftest import REPO_ROOT
from tests.ui.conftest import MakeController, next_emit

ARTIFACTS = REPO_ROOT / "artifacts"


@pytest.fixture
def trays(qapp: QApplication) -> Iterator[list[TrayIcon]]:
    made: list[TrayIcon] = []
    yield made
    for tray in made:
        tray.dispose()


def llmlink_port(pid: int) -> int:
    """The port llm-link itself listens on: config.port before the gateway, a private one behind it."""
    ports = {c.laddr.port for c in psutil.Process(pid).net_connections("tcp") if c.status == psutil.CONN_LISTEN}
    assert len(ports) == 1, ports
    return ports.pop()


def texts(menu: QMenu) -> list[str]:
    return [action.text() for action in menu.actions() if not action.isSeparator()]


def save_menu_screenshot(tray: TrayIcon, path: Path) -> None:
    """The menu with its Models submenu open beside it, as one picture."""
    tray.menu.popup(QPoint(0, 0))
    tray.models_menu.popup(QPoint(tray.menu.sizeHint().width(), 0))
    menu, models = tray.menu.grab(), tray.models_menu.grab()
    picture = QPixmap(menu.width() + models.width(), max(menu.height(), models.height()))
    picture.fill()
    painter = QPainter(picture)
    painter.drawPixmap(0, 0, menu)
    painter.drawPixmap(menu.width(), 0, models)
    painter.end()
    tray.models_menu.hide()
    tray.menu.hide()
    path.parent.mkdir(exist_ok=True)
    assert picture.save(str(path))


async def test_the_models_submenu_lists_the_providers_models_and_one_click_switches(
    modern_binary: Path, make_controller: MakeController, trays: list[TrayIcon]
) -> None:
    controller: Controller = await make_controller(
        modern_binary, provider="zhipu", keys={"zhipu": "zhipu-key-0123456789"}
    )
    assert controller.status.state is State.RUNNING
    tray = TrayIcon(controller)
    trays.append(tray)
    controller.subscribe(tray.render)
    assert "Connect an editor…" in texts(tray.menu)
    assert "Models" in texts(tray.menu)

    loaded = next_emit(tray.models_loaded)
    tray.menu.aboutToShow.emit()  # what opening the menu does
    await loaded
    models = texts(tray.models_menu)
    assert {"glm-4.6", "glm-4.5", "glm-4.5-air", "glm-4.5-flash"} <= set(models), models
    checked = [a.text() for a in tray.models_menu.actions() if a.isChecked()]
    assert checked == [controller.status.model]
    save_menu_screenshot(tray, ARTIFACTS / "tray-menu-models.png")

    (air,) = [a for a in tray.models_menu.actions() if a.text() == "glm-4.5-air"]
    done = next_emit(tray.intent_finished)
    air.trigger()
    assert not any(a.isEnabled() for a in tray.models_menu.actions())  # busy while it switches
    await done
    assert (controller.status.state, controller.status.model) == (State.RUNNING, "glm-4.5-air")
    assert controller.status.pid is not None
    async with LlmLinkClient(f"http://127.0.0.1:{llmlink_port(controller.status.pid)}") as client:
        current = await client.current_config()
    assert (current.provider, current.model) == ("zhipu", "glm-4.5-air")
    assert [a.text() for a in tray.models_menu.actions() if a.isChecked()] == ["glm-4.5-air"]
    assert not air.isEnabled()  # the current one
    assert all(a.isEnabled() for a in tray.models_menu.actions() if a.text() != "glm-4.5-air")
