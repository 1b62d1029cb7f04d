"""Qt tests: a QApplication (pytest-qt's `qapp`) and, for async tests, asyncio running on Qt's loop (qasync),
as in the app. Async tests wait on futures fed by signals, never on qtbot's nested event loops."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtCore import SignalInstance
from PySide6.QtWidgets import QApplication

from app.autostart import XdgAutostart
from app.controller import Controller
from app.keys import KeyStore
from app.paths import Paths
from app.secret import Secret
from app.settings import Settings, SettingsFile
from app.supervisor.config import LlmLinkConfig
from tests.llmlink_harness import free_port
from tests.supervisor.conftest import FAST


def _qt_loop() -> asyncio.AbstractEventLoop:
    app = QApplication.instance() or QApplication([])
    return qasync.QEventLoop(app)


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> dict[str, Callable[[], Any]]:
    """Async tests under tests/ui run on qasync's loop, which is Qt's: widgets and coroutines interleave."""
    return {"qasync": _qt_loop}


class MemoryKeys(KeyStore):
    """Keys in a dict, for UI tests that are not about the keyring (that has its own tests)."""

    def __init__(self, keys: dict[str, str] | None = None) -> None:
        super().__init__()
        self.stored = dict(keys or {})

    async def get(self, provider_id: str) -> Secret | None:
        value = self.stored.get(provider_id)
        return Secret(value) if value else None

    async def set(self, provider_id: str, key: Secret) -> None:
        self.stored[provider_id] = key.reveal()

    async def delete(self, provider_id: str) -> None:
        self.stored.pop(provider_id, None)


MakeController = Callable[..., Any]


@pytest.fixture
async def make_controller(tmp_path: Path) -> AsyncIterator[MakeController]:
    """`await make(binary, keys={…}, open=True, **llmlink_config)`: a controller with its own config dir."""
    made: list[Controller] = []

    async def make(
        binary: Path | None,
        *,
        keys: dict[str, str] | None = None,
        open: bool = True,
        settings: Settings | None = None,
        **config: Any,
    ) -> Controller:
        paths = Paths.under(tmp_path / f"app{len(made)}")
        base = settings or Settings()
        llmlink = LlmLinkConfig(**{"port": free_port(), "binary": str(binary) if binary else None, **config})
        SettingsFile(paths.config_dir).save(Settings(**{**base.__dict__, "llmlink": llmlink}))
        controller = Controller(
            paths,
            keys=MemoryKeys(keys),
            policy=FAST,
            autostart=XdgAutostart(["llm-link-tray"], config_home=paths.config_dir / "xdg"),
        )
        made.append(controller)
        if open:
            await controller.open()
        return controller

    yield make
    for controller in made:
        await controller.close()


async def next_emit(signal: SignalInstance, timeout: float = 20.0) -> tuple[Any, ...]:
    """Wait for `signal`'s next emission on the running (qasync) loop; returns its arguments."""
    future: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()

    def on_emit(*args: Any) -> None:
        if not future.done():
            future.set_result(args)

    signal.connect(on_emit)
    try:
        return await asyncio.wait_for(future, timeout)
    finally:
        signal.disconnect(on_emit)
