"""The tray icon and menu render each state, and only offer what makes sense."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from app.controller import Controller
from app.errors import AppError, ErrorCode
from app.supervisor.state import HealthDetails, State, Status
from app.ui.icons import key_icon, state_icon
from app.ui.tray import TrayIcon, tooltip_text
from tests.supervisor.conftest import llmlink_processes
from tests.ui.conftest import MakeController, next_emit

MakeTray = Callable[[Controller], TrayIcon]


@pytest.fixture
def make_tray(qapp: QApplication) -> Iterator[MakeTray]:
    made: list[TrayIcon] = []

    def make(controller: Controller) -> TrayIcon:
        made.append(TrayIcon(controller))
        return made[-1]

    yield make
    for tray in made:
        tray.dispose()
    # (deleteLater runs when the next test spins the event loop)


ALL_OK = HealthDetails(pid=4242, pid_ok=True, port_ok=True, api_ok=True, api_pid=4242, editor_api_ok=True)


LIFECYCLE_ITEMS = {
    State.UNKNOWN: {"start"},
    State.STOPPED: {"start"},
    State.STARTING: {"stop"},
    State.RUNNING: {"stop", "restart"},
    State.DEGRADED: {"stop", "restart"},
    State.ERROR: {"start", "restart"},
}


def _same_icon(a: object, b: object) -> bool:
    return a.pixmap(32, 32).toImage() == b.pixmap(32, 32).toImage()  # type: ignore[attr-defined]


async def test_each_state_shows_its_icon_status_line_and_items(
    make_controller: MakeController, make_tray: MakeTray
) -> None:
    controller = await make_controller(None, open=False, keys={"zhipu": "zhipu-key-0123456789"})
    controller.stored_keys.update(zhipu=True)
    tray = make_tray(controller)
    for state in State:
        status = Status(
            state, ALL_OK if state is State.RUNNING else HealthDetails(), pid=4242, port=11435, provider="ollama"
        )
        tray.render(status)
        assert _same_icon(tray.icon.icon(), state_icon(state))
        assert tray.actions["status"].text() == status.headline()
        enabled = {name for name in ("start", "stop", "restart") if tray.actions[name].isEnabled()}
        assert enabled == LIFECYCLE_ITEMS[state]
        assert tray.actions["quit"].isEnabled() and tray.actions["view_logs"].isEnabled()
    assert tray.actions["status"].text() == "Error (PID 4242) [PID -, Port ✗, API ✗]"


async def test_running_reads_like_the_spec(make_controller: MakeController, make_tray: MakeTray) -> None:
    controller = await make_controller(None, open=False)
    tray = make_tray(controller)
    tray.render(Status(State.RUNNING, ALL_OK, pid=12345, port=11435, provider="ollama", model="llama2"))
    assert tray.actions["status"].text() == "Running (PID 12345) [PID ✓, Port ✓, API ✓]"
    tip = tray.icon.toolTip()
    assert "Running" in tip and "ollama / llama2" in tip and "port 11435" in tip
    assert not tray.actions["start"].isEnabled() and tray.actions["stop"].isEnabled()


def test_the_tooltip_carries_the_last_error() -> None:
    status = Status(
        State.ERROR,
        provider="zhipu",
        port=11435,
        error=AppError(ErrorCode.PORT_IN_USE, "port 11435 is used by nginx (pid 7)", "Quit it"),
    )
    tip = tooltip_text(status)
    assert "PORT_IN_USE: port 11435 is used by nginx (pid 7)" in tip


async def test_providers_with_a_stored_key_are_one_click_away(
    make_controller: MakeController, make_tray: MakeTray
) -> None:
    controller = await make_controller(None, open=False)
    controller.stored_keys = {p: p in ("ollama", "zhipu") for p in controller.stored_keys}
    tray = make_tray(controller)
    tray.render(Status(State.RUNNING, ALL_OK, pid=1, port=11435, provider="ollama"))
    zhipu, openai, ollama = (tray.actions[f"provider:{p}"] for p in ("zhipu", "openai", "ollama"))
    assert zhipu.isEnabled() and _same_icon(zhipu.icon(), key_icon(True))
    assert not openai.isEnabled() and _same_icon(openai.icon(), key_icon(False))
    assert "No key stored" in openai.toolTip()
    assert ollama.isChecked() and not ollama.isEnabled()  # the active one
    assert _same_icon(ollama.icon(), state_icon(State.RUNNING))


async def test_clicking_a_provider_switches_to_it(
    modern_binary: Path, make_controller: MakeController, make_tray: MakeTray
) -> None:
    controller = await make_controller(modern_binary, keys={"zhipu": "zhipu-key-0123456789"})
    await controller.refresh_stored_keys()
    tray = make_tray(controller)
    controller.subscribe(tray.render)
    tray.render(controller.status)
    done = next_emit(tray.intent_finished)
    tray.actions["provider:zhipu"].trigger()
    assert not tray.actions["stop"].isEnabled()  # busy while it runs
    await done
    assert (controller.status.state, controller.status.provider) == (State.RUNNING, "zhipu")
    assert tray.actions["provider:zhipu"].isChecked()
    assert [p.pid for p in llmlink_processes()] == [controller.status.pid]


async def test_stored_keys_are_read_when_the_menu_first_opens(
    make_controller: MakeController, make_tray: MakeTray
) -> None:
    """Not at start-up: a keyring may prompt, and with Ollama the keyring is not needed at all."""
    controller = await make_controller(None, open=False, keys={"zhipu": "zhipu-key-0123456789"})
    tray = make_tray(controller)
    tray.render(Status(State.RUNNING, ALL_OK, pid=1, port=11435, provider="ollama"))
    assert not tray.actions["provider:zhipu"].isEnabled()  # not known yet
    read: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    controller.keys_changed.append(lambda: read.done() or read.set_result(None))
    tray.menu.aboutToShow.emit()
    await asyncio.wait_for(read, 10)
    assert tray.actions["provider:zhipu"].isEnabled()
    assert not tray.actions["provider:openai"].isEnabled()


async def test_an_unchanged_status_costs_no_qt_call(
    modern_binary: Path, make_controller: MakeController, make_tray: MakeTray
) -> None:
    """Idle polls publish a new probe every 10 s; the menu must not be redrawn for them (a redraw per poll
    was what drove PySide6 6.12.0's None leak to an abort in ~20 idle minutes)."""
    controller = await make_controller(modern_binary)
    tray = make_tray(controller)
    controller.subscribe(tray.render)
    tray.render(controller.status)
    assert controller.status.state is State.RUNNING
    written = tray.qt_writes
    probes = []
    for _ in range(20):
        probes.append(await controller.refresh_now())
    assert len({p.details.checked_at for p in probes}) > 1  # real, fresh probes
    assert tray.qt_writes == written
    stopped = await controller.stop()
    assert stopped.state is State.STOPPED
    # A real change writes only what changed: icon, tooltip, status line, a few items, the active provider's icon.
    assert 0 < tray.qt_writes - written < 15
    assert tray.actions["start"].isEnabled() and not tray.actions["stop"].isEnabled()
