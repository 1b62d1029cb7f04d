"""Connect an editor in one click, against real llm-link: the snippet on the clipboard is what Zed needs, the
access key is copied but never shown, and Test streams one short chat through the tray's port (or says that
llm-link's Ollama provider streams nothing)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import ollama
import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from app.controller import Controller
from app.errors import AppError
from app.keys import AUTH_KEY_ENTRY
from app.stream_check import StreamResult
from app.supervisor.state import State
from app.ui.connect_dialog import ConnectDialog
from app.ui.shell import Shell
from tests.conftest import REPO_ROOT
from tests.ui.conftest import MakeController, MemoryKeys, next_emit
from tests.upstream_stub import GOOD_KEY, UpstreamStub

ARTIFACTS = REPO_ROOT / "artifacts"


@pytest.fixture
def dialogs(qapp: QApplication) -> Iterator[list[ConnectDialog]]:
    made: list[ConnectDialog] = []
    yield made
    for dialog in made:
        dialog.close()
        dialog.deleteLater()


def clipboard() -> str:
    return QGuiApplication.clipboard().text()


async def cloud_controller(make: MakeController, binary: Path, upstream: UpstreamStub, **config: object) -> Controller:
    """The cloud path: llm-link with an OpenAI-compatible provider whose base URL is the SSE-speaking stand-in."""
    controller: Controller = await make(
        binary, keys={"openai": GOOD_KEY}, provider="openai", base_url=upstream.url, **config
    )
    assert controller.status.state is State.RUNNING, controller.status
    return controller


async def test_zeds_snippet_from_the_clipboard_is_json_naming_the_port_and_test_shows_the_latency(
    modern_binary: Path, make_controller: MakeController, upstream: UpstreamStub, dialogs: list[ConnectDialog]
) -> None:
    controller = await cloud_controller(make_controller, modern_binary, upstream, model="stub-gpt-4o")
    dialog = ConnectDialog(controller)
    dialogs.append(dialog)
    dialog.show()
    assert not dialog.isModal()
    assert [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())] == ["Zed", "Codex CLI", "Aider", "curl"]
    assert not dialog.copy_key.isVisible()  # Zed's mode has no access key
    assert not dialog.ollama_note.isVisible()

    dialog.editor_tabs["zed"].copy.click()  # copies at once: no waiting
    settings = json.loads(clipboard())
    assert settings["language_models"]["ollama"]["api_url"] == f"http://127.0.0.1:{controller.config.port}"
    assert "Copied the Zed snippet" in dialog.message.text()
    ARTIFACTS.mkdir(exist_ok=True)
    assert dialog.grab().save(str(ARTIFACTS / "connect-dialog.png"))

    dialog.tabs.setCurrentIndex(1)
    notes = dialog.editor_tabs["codex-cli"].notes.text()
    assert "0.94.0" in notes and "0.95.0" in notes and "does not work" in notes

    finished = next_emit(dialog.test_finished)
    dialog.test.click()
    assert not dialog.test.isEnabled()  # one test at a time
    (outcome,) = await finished
    assert isinstance(outcome, StreamResult), outcome
    assert outcome.text == "".join(upstream.stream_pieces)
    assert "First token after" in dialog.message.text() and " ms" in dialog.message.text()
    assert dialog.test.isEnabled()


async def test_a_real_ollama_client_streams_through_the_trays_port_on_the_cloud_path(
    llmlink_binary: Path, make_controller: MakeController, upstream: UpstreamStub
) -> None:
    """Zed → llm-link → an OpenAI-compatible provider: PyPI `ollama` with stream=True gets every piece."""
    controller = await cloud_controller(make_controller, llmlink_binary, upstream, model="stub-gpt-4o")
    client = ollama.AsyncClient(host=f"http://127.0.0.1:{controller.config.port}")
    try:
        stream = await client.chat(model="stub-gpt-4o", messages=[{"role": "user", "content": "hello"}], stream=True)
        pieces = [part.message.content or "" async for part in stream]
    finally:
        await client.close()
    assert "".join(pieces) == "".join(upstream.stream_pieces)
    assert len([p for p in pieces if p]) > 1  # streamed in pieces, not one block


async def test_copy_access_key_puts_the_key_on_the_clipboard_and_never_shows_it(
    modern_binary: Path, make_controller: MakeController, upstream: UpstreamStub, dialogs: list[ConnectDialog]
) -> None:
    controller = await cloud_controller(make_controller, modern_binary, upstream, model="gpt-4o", app_mode="codex-cli")
    assert isinstance(controller.keys, MemoryKeys)
    key = controller.keys.stored[AUTH_KEY_ENTRY]  # generated at start, kept in the keyring
    dialog = ConnectDialog(controller)
    dialogs.append(dialog)
    dialog.show()
    assert dialog.copy_key.isVisible()
    QGuiApplication.clipboard().setText("something else")

    copied = next_emit(dialog.copied)
    dialog.copy_key.click()
    assert await copied == ("access key",)
    assert clipboard() == key
    assert key not in dialog.text_shown()
    assert "Copied the access key (not shown)" in dialog.message.text()

    # The snippets name the variable the key goes in, and the Test uses the key itself.
    assert "LLM_LINK_TRAY_KEY" in dialog.editor_tabs["codex-cli"].snippet.toPlainText()
    finished = next_emit(dialog.test_finished)
    dialog.test.click()
    (outcome,) = await finished
    assert isinstance(outcome, StreamResult), outcome
    assert "First token after" in dialog.message.text()
    assert key not in dialog.text_shown()


async def test_with_provider_ollama_the_dialog_and_the_test_say_to_point_zed_at_ollama(
    llmlink_binary: Path,
    make_controller: MakeController,
    ollama_upstream: UpstreamStub,
    dialogs: list[ConnectDialog],
) -> None:
    controller: Controller = await make_controller(llmlink_binary, provider="ollama")
    assert controller.status.state is State.RUNNING, controller.status
    dialog = ConnectDialog(controller)
    dialogs.append(dialog)
    dialog.show()
    assert dialog.ollama_note.isVisible()
    assert "Point Zed at Ollama directly" in dialog.ollama_note.text()

    finished = next_emit(dialog.test_finished)
    dialog.test.click()
    (outcome,) = await finished
    assert isinstance(outcome, AppError), outcome
    line = dialog.message.text()
    assert line.startswith("llm-link's Ollama provider returned an empty stream. "), line
    assert "\n" not in line and outcome.code.value not in line  # one line for people, no code


async def test_the_menus_entry_opens_the_dialog_without_blocking(
    modern_binary: Path, make_controller: MakeController, qapp: QApplication
) -> None:
    controller: Controller = await make_controller(
        modern_binary, provider="zhipu", keys={"zhipu": "zhipu-key-0123456789"}
    )
    shell = Shell(controller)
    try:
        shell.tray.actions["connect"].trigger()
        dialog = shell.connect_dialog
        assert dialog is not None and dialog.isVisible() and not dialog.isModal()
        assert f":{controller.config.port}" in dialog.editor_tabs["zed"].snippet.toPlainText()
        dialog.close()
    finally:
        await shell.close()
        shell.tray.dispose()
