"""The settings dialog against a real llm-link and the upstream stand-in: validate, apply, errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from app.autostart import XdgAutostart
from app.controller import Controller, SwitchResult
from app.settings import SettingsFile
from app.supervisor.state import State
from app.ui.settings_dialog import SettingsDialog
from tests.ui.conftest import MakeController, next_emit
from tests.upstream_stub import UpstreamStub

ZHIPU_KEY = "zhipu-dialog-key-0123456789"

MakeDialog = Callable[[Controller], SettingsDialog]


@pytest.fixture
def make_dialog(qtbot: QtBot) -> MakeDialog:
    def make(controller: Controller) -> SettingsDialog:
        dialog = SettingsDialog(controller)
        qtbot.addWidget(dialog)  # closed and deleted at teardown, while the QApplication still exists
        return dialog

    return make


def _choose(dialog: SettingsDialog, provider_id: str) -> None:
    dialog.provider.setCurrentIndex(dialog.provider.findData(provider_id))


async def test_validate_fills_the_model_list_from_llmlinks_answer(
    modern_binary: Path, make_controller: MakeController, make_dialog: MakeDialog, upstream: UpstreamStub, good_key: str
) -> None:
    controller = await make_controller(modern_binary)
    dialog = make_dialog(controller)
    _choose(dialog, "openai")
    dialog.key.setText(good_key)
    dialog.base_url.setText(upstream.url)
    dialog.open()
    assert await dialog.validate()
    models = [dialog.model.itemData(i) for i in range(dialog.model.count())]
    assert "gpt-4o" in models  # llm-link's list for openai
    assert "models listed" in dialog.message.text()
    assert upstream.wait_for_request("/v1/models").authorization == f"Bearer {good_key}"
    assert dialog.isVisible()  # open(), not exec(): the loop kept running
    dialog.close()


async def test_validate_shows_a_bad_key_with_code_and_suggestion(
    modern_binary: Path, make_controller: MakeController, make_dialog: MakeDialog, upstream: UpstreamStub
) -> None:
    controller = await make_controller(modern_binary)
    dialog = make_dialog(controller)
    _choose(dialog, "openai")
    dialog.key.setText("sk-wrong-0123456789")
    dialog.base_url.setText(upstream.url)
    emitted = next_emit(dialog.validated)
    dialog.validate_button.click()
    assert await emitted == (False,)
    text = dialog.message.text()
    assert "KEY_INVALID" in text and "401" in text and "Check the key" in text
    assert "Traceback" not in text


async def test_apply_runs_the_restart_protocol_with_visible_steps(
    llmlink_binary: Path, make_controller: MakeController, make_dialog: MakeDialog
) -> None:
    controller = await make_controller(llmlink_binary)
    old_pid = controller.status.pid
    dialog = make_dialog(controller)
    _choose(dialog, "zhipu")
    dialog.key.setText(ZHIPU_KEY)
    dialog.model.setEditText("glm-4-air")
    steps: list[str] = []
    dialog.step_changed.connect(steps.append)
    applied = next_emit(dialog.applied, timeout=60)
    dialog.apply_button.click()
    (result,) = await applied
    assert isinstance(result, SwitchResult) and result.ok, result.error
    assert steps == ["validating", "updating", "restarting", "verifying"]
    status = controller.status
    assert (status.state, status.provider, status.model) == (State.RUNNING, "zhipu", "glm-4-air")
    assert status.pid != old_pid
    assert "Done: zhipu / glm-4-air" in dialog.message.text()
    assert controller.keys.stored["zhipu"] == ZHIPU_KEY  # type: ignore[attr-defined]
    saved = SettingsFile(controller.paths.config_dir).load()
    assert (saved.llmlink.provider, saved.llmlink.model) == ("zhipu", "glm-4-air")


async def test_a_failed_apply_shows_the_error_and_keeps_the_old_config(
    modern_binary: Path, make_controller: MakeController, make_dialog: MakeDialog
) -> None:
    controller = await make_controller(modern_binary, provider="zhipu", model="glm-4-air", keys={"zhipu": ZHIPU_KEY})
    pid = controller.status.pid
    dialog = make_dialog(controller)
    _choose(dialog, "anthropic")
    dialog.key.setText("not-an-anthropic-key")
    result = await dialog.apply()
    assert result is not None and not result.ok
    assert "KEY_INVALID" in dialog.message.text() and "sk-ant-" in dialog.message.text()
    assert (controller.status.pid, controller.config.provider) == (pid, "zhipu")
    assert SettingsFile(controller.paths.config_dir).load().llmlink.provider == "zhipu"


async def test_the_key_is_masked_read_from_the_keyring_and_can_be_shown(
    modern_binary: Path, make_controller: MakeController, make_dialog: MakeDialog
) -> None:
    controller = await make_controller(modern_binary, open=False, keys={"zhipu": ZHIPU_KEY})
    dialog = make_dialog(controller)
    _choose(dialog, "zhipu")
    await next_emit(dialog.key.textChanged)
    assert dialog.key.text() == ZHIPU_KEY
    assert dialog.key.echoMode() is QLineEdit.EchoMode.Password
    dialog.show_key.trigger()
    assert dialog.key.echoMode() is QLineEdit.EchoMode.Normal
    _choose(dialog, "ollama")
    assert not dialog.key.isEnabled() and dialog.key.text() == ""
    assert dialog.base_url.isEnabled()
    _choose(dialog, "anthropic")
    assert not dialog.base_url.isEnabled()


async def test_a_bad_binary_path_is_explained(
    make_controller: MakeController, make_dialog: MakeDialog, tmp_path: Path
) -> None:
    controller = await make_controller(None, open=False)
    dialog = make_dialog(controller)
    dialog.binary.setText(str(tmp_path / "nowhere" / "llm-link"))
    await dialog.check_binary()
    assert "EXE_NOT_FOUND" in dialog.binary_status.text()
    assert "cargo install llm-link" in dialog.binary_status.text()


async def test_models_from_the_upstream_stand_in_are_offered_for_ollama(
    modern_binary: Path, make_controller: MakeController, make_dialog: MakeDialog, ollama_upstream: UpstreamStub
) -> None:
    controller = await make_controller(modern_binary)
    dialog = make_dialog(controller)
    _choose(dialog, "ollama")
    assert await dialog.validate()
    assert [dialog.model.itemData(i) for i in range(dialog.model.count())] == ["stub-llama:latest", "stub-qwen:7b"]


async def test_start_at_login_round_trips_and_a_deleted_entry_stays_deleted(
    make_controller: MakeController, make_dialog: MakeDialog, tmp_path: Path
) -> None:
    controller = await make_controller(None, open=False)
    controller.autostart = XdgAutostart(["llm-link-tray"], config_home=tmp_path / "xdg")
    dialog = make_dialog(controller)
    assert not dialog.autostart.isChecked()
    dialog.autostart.setChecked(True)
    controller.set_autostart(dialog.autostart.isChecked())
    assert controller.autostart.is_enabled() and controller.settings.autostart
    controller.autostart.path.unlink()  # the user removes it by hand
    dialog.load(controller.settings)
    assert not dialog.autostart.isChecked()  # shown as it really is, not re-created
    assert not controller.autostart.path.exists()
