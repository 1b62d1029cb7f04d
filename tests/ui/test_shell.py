"""The shell shows what the controller decides: a crash of the real llm-link reaches the user as one notice."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from app.controller import Controller
from app.errors import ErrorCode
from app.supervisor.state import State
from app.ui.shell import Shell
from tests.ui.conftest import MakeController, next_emit


@pytest.fixture
def shells(qapp: QApplication) -> Iterator[list[Shell]]:
    made: list[Shell] = []
    yield made
    for shell in made:
        shell.tray.dispose()


async def test_a_crash_is_announced_through_the_shell(
    modern_binary: Path, make_controller: MakeController, shells: list[Shell]
) -> None:
    controller: Controller = await make_controller(modern_binary)
    shell = Shell(controller)  # no D-Bus connection: notices go to the tray's balloon
    shells.append(shell)
    assert controller.status.state is State.RUNNING and controller.status.pid is not None
    notified = next_emit(shell.notified)
    os.kill(controller.status.pid, signal.SIGKILL)
    (notice,) = await notified
    assert notice.kind == "error" and ErrorCode.CRASHED.value in notice.body, notice
    await shell.close()
