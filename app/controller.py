"""The app's brain without a face: settings, keys and the supervisor, and the intents the UI and CLI send.

No Qt here: the tray, the settings dialog and a second `llm-link-tray` process (through the single-instance
channel) all call these coroutines, and the tray renders what the supervisor publishes.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable, Coroutine
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from app.autostart import Autostart
from app.autostart import for_this_platform as autostart_for_this_platform
from app.errors import AppErrorException
from app.keys import AUTH_KEY_ENTRY, KeyStore
from app.paths import Paths
from app.providers import PROVIDERS, provider
from app.secret import Secret
from app.settings import Settings, SettingsFile
from app.supervisor.contract import APP_PROTOCOLS
from app.supervisor.installer import InstallResult, cargo_install
from app.supervisor.policy import Policy
from app.supervisor.state import Status
from app.supervisor.supervisor import Progress, Supervisor, SwitchResult

log = logging.getLogger("llm_link_tray.controller")


class Controller:
    def __init__(
        self,
        paths: Paths,
        *,
        keys: KeyStore | None = None,
        policy: Policy | None = None,
        autostart: Autostart | None = None,
    ) -> None:
        self.paths = paths
        self.keys = keys or KeyStore()
        self.autostart = autostart or autostart_for_this_platform()
        self._settings_file = SettingsFile(paths.config_dir)
        self.settings = self._settings_file.load()
        base = policy or Policy()
        self._policy = replace(
            base, auto_restart=self.settings.auto_restart, poll_enabled=self.settings.auto_refresh and base.poll_enabled
        )
        self.supervisor = Supervisor(self.settings.llmlink, self._key_for, paths=paths, policy=self._policy)
        self.quit_requested = asyncio.Event()
        self.stored_keys: dict[str, bool] = {p.id: not p.needs_key for p in PROVIDERS}
        self.keys_changed: list[Callable[[], None]] = []  # told when `stored_keys` was re-read
        self._tasks: set[asyncio.Task[Any]] = set()
        self._keys_requested = False

    # --- lifecycle --------------------------------------------------------------------------------

    async def open(self) -> Status:
        """Adopt or start llm-link. Which keys are stored is read later, when the menu first opens
        (`want_stored_keys`): a keyring can sit behind an unlock prompt, and with Ollama the tray then never
        loads the keyring stack (~8 MB) nor prompts at login."""
        await self._load_auth_key()
        return await self.supervisor.open()

    def want_stored_keys(self) -> None:
        """Read which providers have a key, once, in the background; `keys_changed` tells when it is known."""
        if not self._keys_requested:
            self._keys_requested = True
            self._background(self.refresh_stored_keys())

    async def close(self) -> None:
        """Quit: stop llm-link unless the user wants it kept running after quit."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.supervisor.close(stop_llmlink=not self.settings.keep_llmlink_after_quit)

    # --- intents ----------------------------------------------------------------------------------

    async def start(self) -> Status:
        return await self.supervisor.start()

    async def stop(self) -> Status:
        return await self.supervisor.stop()

    async def restart(self) -> Status:
        return await self.supervisor.restart()

    async def switch(
        self,
        provider_id: str,
        model: str | None = None,
        *,
        api_key: Secret | None = None,
        base_url: str | None = None,
        progress: Progress | None = None,
    ) -> SwitchResult:
        """Switch with the stored key and the model/base URL remembered for that provider unless given."""
        model = model or self.settings.models.get(provider_id)
        if base_url is None:
            base_url = self.settings.base_urls.get(provider_id)
        result = await self.supervisor.switch(provider_id, model, api_key=api_key, base_url=base_url, progress=progress)
        if result.ok:
            self.save(self.settings.remember(self.supervisor.config))
        return result

    async def apply(self, settings: Settings, key: Secret | None, progress: Progress | None = None) -> SwitchResult:
        """The settings dialog's Apply: store the key, run the restart protocol, then save what was verified.

        On failure nothing is saved and the previous config keeps running (the supervisor rolls back).
        """
        wanted = settings.llmlink
        spec = provider(wanted.provider)
        if key is not None and spec.needs_key:
            await self.keys.set(spec.id, key)
            self.stored_keys[spec.id] = True
        launch_changed = (wanted.port, wanted.app_mode, wanted.binary, wanted.log_level) != (
            self.supervisor.config.port,
            self.supervisor.config.app_mode,
            self.supervisor.config.binary,
            self.supervisor.config.log_level,
        )
        self._apply_policy(settings)
        if launch_changed:
            # Port, app mode or binary: a new launch, not a provider switch; stop the old one first.
            await self.supervisor.stop()
            self.supervisor.config = replace(
                wanted,
                provider=self.supervisor.config.provider,
                model=self.supervisor.config.model,
                base_url=self.supervisor.config.base_url,
            )
        result = await self.supervisor.switch(
            wanted.provider, wanted.model, api_key=key, base_url=wanted.base_url, progress=progress
        )
        if result.ok:
            self.save(replace(settings, llmlink=self.supervisor.config).remember(self.supervisor.config))
        return result

    async def install_llmlink(self, on_line: Callable[[str], None], *, root: Path | None = None) -> InstallResult:
        """First run: build llm-link with cargo, then start it; no restart of the tray needed."""
        result = await cargo_install(on_line, root=root)
        if result.binary is None:
            return result
        if root is not None:
            # Outside cargo's default bin folder discovery would not look: remember where it is.
            config = replace(self.supervisor.config, binary=str(result.binary))
            self.supervisor.config = config
            self.save(replace(self.settings, llmlink=config))
        await self.start()
        return result

    def set_autostart(self, enabled: bool) -> None:
        """The Settings switch: write or remove the login entry (only on the user's click)."""
        if enabled == self.autostart.is_enabled():
            return
        if enabled:
            self.autostart.enable()
        else:
            self.autostart.disable()
        self.save(replace(self.settings, autostart=enabled))

    def save(self, settings: Settings) -> None:
        self.settings = settings
        self._apply_policy(settings)
        self._settings_file.save(settings)

    async def refresh_stored_keys(self) -> dict[str, bool]:
        """Which providers have a key (for the menu's icons). A keyring problem reads as "no key"."""
        found: dict[str, bool] = {}
        for spec in PROVIDERS:
            if not spec.needs_key:
                found[spec.id] = True
                continue
            try:
                found[spec.id] = await self.keys.has(spec.id)
            except AppErrorException as exc:
                log.warning("cannot read keys: %s", exc.error.message)
                found = {p.id: not p.needs_key for p in PROVIDERS}
                break
        self.stored_keys = found
        for listener in self.keys_changed:
            listener()
        return found

    def _background(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- the single-instance channel ---------------------------------------------------------------

    async def handle_command(self, command: str, args: list[str]) -> dict[str, Any]:
        """A command from another `llm-link-tray` process; the answer is sent back as JSON."""
        if command == "status":
            return self.answer(True, self.status.headline())
        if command in ("start", "stop", "restart"):
            status = await getattr(self, command)()
            ok = status.error is None or command == "stop"
            return self.answer(ok, status.headline() if ok else str(status.error))
        if command == "switch":
            if not args:
                return self.answer(False, "usage: llm-link-tray switch PROVIDER [MODEL]", exit_code=2)
            result = await self.switch(args[0], args[1] if len(args) > 1 else None)
            return self.answer(result.ok, result.status.headline() if result.ok else str(result.error))
        if command == "quit":
            self.quit_requested.set()
            return self.answer(True, "quitting")
        return self.answer(False, f"unknown command {command!r}", exit_code=2)

    @property
    def status(self) -> Status:
        return self.supervisor.status

    def status_json(self) -> dict[str, Any]:
        status = self.status
        return {
            "state": status.state.value,
            "headline": status.headline(),
            "pid": status.pid,
            "port": status.port,
            "provider": status.provider,
            "model": status.model,
            "since": status.since,
            "health": {k: v for k, v in asdict(status.details).items() if k != "checked_at"},
            "error": None
            if status.error is None
            else {
                "code": status.error.code.value,
                "message": status.error.message,
                "suggestion": status.error.suggestion,
            },
            "log_file": str(self.supervisor.log_path),
        }

    def answer(self, ok: bool, message: str, *, exit_code: int | None = None) -> dict[str, Any]:
        return {
            "ok": ok,
            "message": message,
            "status": self.status_json(),
            "exit_code": exit_code if exit_code is not None else (0 if ok else 1),
        }

    # --- helpers ----------------------------------------------------------------------------------

    async def _key_for(self, provider_id: str) -> Secret | None:
        return await self.keys.get(provider_id)

    async def _load_auth_key(self) -> None:
        """llm-link's own access key, needed by the OpenAI-style app modes; generated once, kept in the keyring."""
        if APP_PROTOCOLS.get(self.settings.llmlink.app_mode) != "openai":
            return
        try:
            key = await self.keys.get(AUTH_KEY_ENTRY)
            if key is None:
                key = Secret(secrets.token_urlsafe(24))
                await self.keys.set(AUTH_KEY_ENTRY, key)
        except AppErrorException as exc:
            log.warning("no access key for llm-link: %s", exc.error.message)
            return
        self.supervisor.set_auth_key(key)

    def _apply_policy(self, settings: Settings) -> None:
        self.supervisor.policy = replace(
            self.supervisor.policy, auto_restart=settings.auto_restart, poll_enabled=settings.auto_refresh
        )
