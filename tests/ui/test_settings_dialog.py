"""The settings dialog against a real llm-link and the upstream stand-in: validate, apply, errors."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit, QMessageBox
from pytestqt.qtbot import QtBot

from app.autostart import XdgAutostart
from app.controller import Controller, SwitchResult
from app.key_status import KeyStatus
from app.settings import SettingsFile
from app.supervisor.state import State
from app.ui.settings_dialog import SettingsDialog
from app.ui.tray import TrayIcon
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
    assert "The key works" in dialog.message.text() and "listed 2 models" in dialog.message.text()
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
    assert "401" in text and "Check the key" in text
    assert "KEY_INVALID" not in text  # codes are for logs and --json
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
    # Zhipu cannot be asked from here: stored, but marked until a request through llm-link works.
    assert "zhipu" in controller.unverified_keys
    assert dialog.key_note.isVisibleTo(dialog) and "Not verified" in dialog.key_note.text()
    saved = SettingsFile(controller.paths.config_dir).load()
    assert (saved.llmlink.provider, saved.llmlink.model) == ("zhipu", "glm-4-air")


async def test_apply_and_validate_at_once_use_the_stored_key_not_yet_shown(
    modern_binary: Path, make_controller: MakeController, make_dialog: MakeDialog
) -> None:
    """The stored key is read from the keyring after the dialog opens (the keyring can take a while). Clicked
    before it shows, Validate and Apply said "Zhipu needs an API key" although one was stored."""
    controller = await make_controller(modern_binary, keys={"zhipu": ZHIPU_KEY})
    dialog = make_dialog(controller)
    _choose(dialog, "zhipu")  # its stored key is being read now
    dialog.model.setEditText("glm-4-air")
    assert dialog.key.text() == ""
    await dialog.validate()  # Zhipu cannot be asked from here: the stored key's form is all it can check
    assert "The key has the right format" in dialog.message.text(), dialog.message.text()
    _choose(dialog, "ollama")
    _choose(dialog, "zhipu")
    dialog.model.setEditText("glm-4-air")
    assert dialog.key.text() == ""
    result = await dialog.apply()
    assert result is not None and result.ok, (result, dialog.message.text())
    assert "needs an API key" not in dialog.message.text()
    assert (controller.status.state, controller.config.provider) == (State.RUNNING, "zhipu")


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
    assert "sk-ant-" in dialog.message.text() and "KEY_INVALID" not in dialog.message.text()
    assert "anthropic" not in controller.keys.stored  # type: ignore[attr-defined]
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
    assert "does not exist" in dialog.binary_status.text() and "EXE_NOT_FOUND" not in dialog.binary_status.text()
    assert "cargo install llm-link" in dialog.binary_status.text()


async def test_models_from_the_upstream_stand_in_are_offered_for_ollama(
    modern_binary: Path, make_controller: MakeController, make_dialog: MakeDialog, ollama_upstream: UpstreamStub
) -> None:
    controller = await make_controller(modern_binary)
    dialog = make_dialog(controller)
    _choose(dialog, "ollama")
    assert await dialog.validate()
    assert [dialog.model.itemData(i) for i in range(dialog.model.count())] == ["stub-llama:latest", "stub-qwen:7b"]
    assert dialog.message.text() == "Ollama answers: 2 models installed."  # no key to call good


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


async def test_a_key_the_upstream_rejects_is_never_stored(
    modern_binary: Path, make_controller: MakeController, make_dialog: MakeDialog, upstream: UpstreamStub
) -> None:
    controller = await make_controller(modern_binary)
    pid = controller.status.pid
    dialog = make_dialog(controller)
    _choose(dialog, "openai")
    dialog.key.setText("sk-rejected-0123456789")
    dialog.base_url.setText(upstream.url)
    result = await dialog.apply()
    assert result is not None and not result.ok
    assert "rejected the key" in dialog.message.text()
    assert "openai" not in controller.keys.stored  # type: ignore[attr-defined]
    assert not controller.stored_keys["openai"]
    assert (controller.status.pid, controller.config.provider) == (pid, "ollama")


async def test_a_v1_base_url_is_shortened_and_a_404_is_not_verified(
    modern_binary: Path,
    make_controller: MakeController,
    make_dialog: MakeDialog,
    upstream: UpstreamStub,
    good_key: str,
    qtbot: QtBot,
) -> None:
    controller = await make_controller(modern_binary)
    dialog = make_dialog(controller)
    tray = TrayIcon(controller)
    dialog.open()
    _choose(dialog, "openai")
    dialog.key.setText(good_key)
    dialog.base_url.setText(f"{upstream.url}/v1/")
    result = await dialog.apply()
    assert result is not None and result.ok, result.error
    assert dialog.base_url.text() == upstream.url
    assert f"llm-link adds /v1 itself, so the base URL is now {upstream.url}" in dialog.message.text()
    assert controller.settings.base_urls["openai"] == upstream.url
    assert "openai" not in controller.unverified_keys  # the stand-in listed its models with this key
    assert tray.actions["provider:openai"].text() == "OpenAI"

    # A base URL where no model list answers: never "good", whatever the key.
    dialog.base_url.setText(f"{upstream.url}/elsewhere")
    assert not await dialog.validate()
    text = dialog.message.text()
    assert "Not verified" in text and "HTTP 404" in text and "works" not in text
    result = await dialog.apply()
    assert result is not None and result.ok, result.error
    assert "HTTP 404" in controller.unverified_keys["openai"]
    assert tray.actions["provider:openai"].text() == "OpenAI (key not verified)"
    assert "HTTP 404" in tray.actions["provider:openai"].toolTip()
    assert dialog.key_note.isVisibleTo(dialog) and "HTTP 404" in dialog.key_note.text()
    tray.dispose()


async def test_a_key_marked_not_verified_is_cleared_by_mark_key_verified(
    modern_binary: Path, make_controller: MakeController, make_dialog: MakeDialog
) -> None:
    controller = await make_controller(modern_binary)
    dialog = make_dialog(controller)
    _choose(dialog, "zhipu")
    dialog.key.setText(ZHIPU_KEY)
    dialog.model.setEditText("glm-4-air")
    result = await dialog.apply()
    assert result is not None and result.ok, result.error
    assert "zhipu" in KeyStatus(controller.paths.state_dir).unverified  # kept across a tray restart
    controller.mark_key_verified("zhipu")
    assert controller.unverified_keys == {}
    assert KeyStatus(controller.paths.state_dir).unverified == {}
    assert not dialog.key_note.isVisibleTo(dialog)
    controller.mark_key_verified("zhipu")  # twice is harmless


async def test_a_missing_binary_keeps_the_running_instance(
    modern_binary: Path, make_controller: MakeController, make_dialog: MakeDialog, tmp_path: Path
) -> None:
    controller = await make_controller(modern_binary, provider="zhipu", model="glm-4-air", keys={"zhipu": ZHIPU_KEY})
    pid = controller.status.pid
    dialog = make_dialog(controller)
    await next_emit(dialog.key.textChanged)  # the stored key, read from the keyring
    dialog.binary.setText(str(tmp_path / "gone" / "llm-link"))
    result = await dialog.apply()
    assert result is not None and not result.ok
    assert (controller.status.state, controller.status.pid) == (State.RUNNING, pid)
    text = dialog.message.text()
    assert "does not exist" in text and "gone/llm-link" in text
    assert "EXE_NOT_FOUND" not in text and "SWITCH_FAILED" not in text and "`" not in text
    assert SettingsFile(controller.paths.config_dir).load().llmlink.binary == str(modern_binary)


async def test_toggling_only_start_at_login_does_not_restart_llmlink(
    modern_binary: Path, make_controller: MakeController, make_dialog: MakeDialog
) -> None:
    controller = await make_controller(modern_binary)
    pid = controller.status.pid
    dialog = make_dialog(controller)
    dialog.autostart.setChecked(True)
    result = await dialog.apply()
    assert result is not None and result.ok
    assert controller.status.pid == pid and controller.autostart.is_enabled()
    assert "not restarted" in dialog.message.text()


async def test_the_open_dialog_follows_a_switch_from_the_command_line(
    modern_binary: Path, make_controller: MakeController, make_dialog: MakeDialog
) -> None:
    controller = await make_controller(modern_binary, keys={"zhipu": ZHIPU_KEY})
    dialog = make_dialog(controller)
    dialog.open()
    followed = asyncio.ensure_future(next_emit(dialog.followed, timeout=60))
    answer = await controller.handle_command("switch", ["zhipu", "glm-4-air"])  # what `llm-link-tray switch` sends
    assert answer["ok"], answer
    await followed
    assert (dialog.provider.currentData(), dialog.model.currentText()) == ("zhipu", "glm-4-air")
    assert "switched to zhipu / glm-4-air" in dialog.message.text()

    # With an edit under way the dialog keeps the user's fields and says what Apply would do.
    dialog.port.setValue(dialog.port.value() + 1)
    followed = asyncio.ensure_future(next_emit(dialog.followed, timeout=60))
    answer = await controller.handle_command("switch", ["zhipu", "glm-4-plus"])
    assert answer["ok"], answer
    await followed
    assert dialog.model.currentText() == "glm-4-air"
    assert "switched to zhipu / glm-4-plus" in dialog.message.text() and "Apply would" in dialog.message.text()


async def test_closing_with_a_typed_unapplied_key_asks_first(
    make_controller: MakeController, make_dialog: MakeDialog
) -> None:
    controller = await make_controller(None, open=False)
    dialog = make_dialog(controller)
    dialog.open()
    _choose(dialog, "moonshot")
    dialog.key.setText("typed-but-not-applied-key")
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    prompt = dialog.discard_prompt
    assert prompt is not None and prompt.isVisible() and dialog.isVisible()
    prompt.button(QMessageBox.StandardButton.Cancel).click()
    assert dialog.isVisible() and dialog.key.text() == "typed-but-not-applied-key"
    dialog.buttons.button(dialog.buttons.StandardButton.Close).click()
    prompt = dialog.discard_prompt
    assert prompt is not None
    prompt.button(QMessageBox.StandardButton.Discard).click()
    assert not dialog.isVisible()
    assert "moonshot" not in controller.keys.stored  # type: ignore[attr-defined]


async def test_settings_shows_the_binary_in_use_and_its_version(
    modern_binary: Path, make_controller: MakeController, make_dialog: MakeDialog
) -> None:
    controller = await make_controller(modern_binary)
    dialog = make_dialog(controller)
    await dialog.show_binary_in_use()
    text = dialog.binary_in_use.text()
    assert str(modern_binary.resolve()) in text
    assert "llm-link 0.7.0" in text and f"running, PID {controller.status.pid}" in text
