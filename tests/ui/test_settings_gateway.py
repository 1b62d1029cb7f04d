"""What Settings changes on the gateway: the browser allow-list and the editor's port, on real llm-link."""

from __future__ import annotations

from pathlib import Path

import httpx
import psutil
from pytestqt.qtbot import QtBot

from app.controller import Controller
from app.settings import SettingsFile
from app.supervisor.state import State
from app.ui.settings_dialog import SettingsDialog
from tests.llmlink_harness import free_port
from tests.ui.conftest import MakeController


async def _from(origin: str, port: int) -> httpx.Response:
    async with httpx.AsyncClient() as browser:  # what a page's fetch() sends: an Origin header
        return await browser.get(f"http://127.0.0.1:{port}/api/tags", headers={"Origin": origin})


async def test_the_allowed_origins_typed_in_settings_are_what_the_gateway_lets_through(
    llmlink_binary: Path, make_controller: MakeController, qtbot: QtBot
) -> None:
    controller: Controller = await make_controller(llmlink_binary, provider="zhipu", keys={"zhipu": "zk-0123456789"})
    port, pid = controller.config.port, controller.supervisor.pid
    assert (await _from("http://localhost:5173", port)).status_code == 200  # a loopback page: a default
    assert (await _from("https://my-app.example", port)).status_code == 403
    dialog = SettingsDialog(controller)
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.key.setText("zk-0123456789")  # the stored key (it loads in the background otherwise)

    dialog.allowed_origins.setPlainText("localhost:3000")  # no scheme: refused, nothing changes
    assert await dialog.apply() is None
    assert "has no scheme" in dialog.message.text()
    assert (await _from("http://localhost:5173", port)).status_code == 200

    dialog.allowed_origins.setPlainText("https://my-app.example\n")
    result = await dialog.apply()
    assert result is not None and result.ok
    allowed = await _from("https://my-app.example", port)
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == "https://my-app.example"
    assert (await _from("http://localhost:5173", port)).status_code == 403  # the list replaced the defaults
    assert SettingsFile(controller.paths.config_dir).load().allowed_origins == ("https://my-app.example",)
    assert controller.supervisor.pid == pid  # a browser policy is the gateway's: llm-link was not restarted

    dialog.allowed_origins.setPlainText("")  # empty: the defaults again
    assert (await dialog.apply()) is not None
    assert (await _from("http://localhost:5173", port)).status_code == 200


async def test_a_new_port_moves_the_gateway_and_leaves_llmlink_running(
    llmlink_binary: Path, make_controller: MakeController, qtbot: QtBot
) -> None:
    controller: Controller = await make_controller(llmlink_binary, provider="zhipu", keys={"zhipu": "zk-0123456789"})
    old_port, pid, private = controller.config.port, controller.supervisor.pid, controller.supervisor.llmlink_port
    dialog = SettingsDialog(controller)
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.key.setText("zk-0123456789")  # the stored key (it loads in the background otherwise)
    new_port = free_port()
    dialog.port.setValue(new_port)
    result = await dialog.apply()
    assert result is not None and result.ok, dialog.message.text()
    assert controller.config.port == new_port and controller.status.port == new_port
    assert (controller.supervisor.pid, controller.supervisor.llmlink_port) == (pid, private)
    async with httpx.AsyncClient() as editor:
        assert (await editor.get(f"http://127.0.0.1:{new_port}/api/tags")).status_code == 200
        try:
            await editor.get(f"http://127.0.0.1:{old_port}/api/tags")
        except httpx.ConnectError:
            pass
        else:
            raise AssertionError(f"port {old_port} still answers after the move")
    assert SettingsFile(controller.paths.config_dir).load().llmlink.port == new_port
    assert (await controller.refresh_now()).state is State.RUNNING


async def test_an_openai_app_mode_gets_its_access_key_at_apply_time(
    llmlink_binary: Path, make_controller: MakeController, qtbot: QtBot
) -> None:
    """Not "Set an access key for llm-link in Settings", a field that does not exist: Apply makes the key,
    keeps it in the keyring, and the gateway asks editors for it."""
    controller: Controller = await make_controller(llmlink_binary, provider="zhipu", keys={"zhipu": "zk-0123456789"})
    port = controller.config.port
    dialog = SettingsDialog(controller)
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.key.setText("zk-0123456789")
    dialog.app_mode.setCurrentIndex(dialog.app_mode.findData("codex-cli"))
    result = await dialog.apply()
    assert result is not None and result.ok, dialog.message.text()
    key = await controller.access_key()
    assert key is not None and len(key.reveal()) >= 24
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as codex:
        assert (await codex.get("/v1/models")).status_code == 401
        answer = await codex.get("/v1/models", headers={"Authorization": f"Bearer {key.reveal()}"})
        assert answer.status_code == 200
    assert key.reveal() not in " ".join(psutil.Process(controller.supervisor.pid).cmdline())
    assert (await controller.refresh_now()).state is State.RUNNING
