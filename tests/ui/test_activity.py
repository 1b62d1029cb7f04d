"""Who used llm-link, seen in the tray: a real editor-like request through the gateway shows up in the menu,
the tooltip, `status --json` and the Activity window's table and chart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PySide6.QtWidgets import QApplication

from app.controller import Controller
from app.supervisor.state import State
from app.ui.activity_window import ActivityWindow
from app.ui.tray import TrayIcon
from tests.ui.conftest import MakeController

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


@pytest.fixture
def tray_for(qapp: QApplication) -> Iterator[list[TrayIcon]]:
    made: list[TrayIcon] = []
    yield made
    for tray in made:
        tray.dispose()


async def test_editor_requests_show_in_menu_tooltip_status_and_activity_window(
    llmlink_binary: Path, make_controller: MakeController, tray_for: list[TrayIcon]
) -> None:
    controller: Controller = await make_controller(llmlink_binary, provider="zhipu", keys={"zhipu": "zk-0123456789"})
    tray = TrayIcon(controller)
    tray_for.append(tray)
    status = await controller.refresh_now()
    tray.render(status)
    assert tray.actions["activity"].text() == "No editor requests yet"
    port = controller.config.port
    async with httpx.AsyncClient(headers={"User-Agent": "Zed/0.160.7 (linux; x86_64)"}) as zed:
        for _ in range(3):
            assert (await zed.get(f"http://127.0.0.1:{port}/api/tags")).status_code == 200
    status = await controller.refresh_now()
    assert status.state is State.RUNNING
    tray.render(status)
    line = "Zed · 3 requests in the last hour · last just now"
    assert tray.actions["activity"].text() == line and tray.actions["activity"].isVisible()
    assert line in tray.icon.toolTip()
    activity = controller.status_json()["activity"]
    assert activity["requests_last_hour"] == 3
    assert activity["clients"][0]["name"] == "Zed" and activity["clients"][0]["requests"] == 3

    window = ActivityWindow(controller)
    try:
        window.show()
        window.show_status(controller.status)
        assert window.table.rowCount() == 1
        assert [window.table.item(0, c).text() for c in (0, 1, 3)] == ["Zed", "3", "0"]
        assert sum(window.chart.counts) == 3 and window.chart.counts[-1] == 3  # this minute, the last bar
        ARTIFACTS.mkdir(exist_ok=True)
        window.grab().save(str(ARTIFACTS / "activity-window.png"))
    finally:
        window.close()
        window.deleteLater()
