"""The app's brain without a face: settings, keys and the supervisor, and the intents the UI and CLI send.

No Qt here: the tray, the settings dialog and a second `llm-link-tray` process (through the single-instance
channel) all call these coroutines, and the tray renders what the supervisor publishes.
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import logging
import os
import secrets
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Final

from app.autostart import Autostart
from app.autostart import for_this_platform as autostart_for_this_platform
from app.editors import Target, target_for
from app.errors import AppError, AppErrorException, ErrorCode, human_duration
from app.key_status import KeyStatus
from app.keys import AUTH_KEY_ENTRY, KeyStore
from app.llmlink_client import LlmLinkClient, LlmLinkError, ModelInfo
from app.paths import Paths
from app.providers import PROVIDERS, is_known, provider
from app.runtime_dir import instance_files
from app.secret import Secret
from app.settings import Settings, SettingsFile
from app.stream_check import StreamResult, stream_test
from app.supervisor.binary import HOW_TO_INSTALL as HOW_TO_INSTALL
from app.supervisor.binary import BinaryCheck as BinaryCheck
from app.supervisor.binary import check_binary, find_binary
from app.supervisor.binary_version import version_of
from app.supervisor.config import LlmLinkConfig
from app.supervisor.contract import APP_PROTOCOLS
from app.supervisor.installer import InstallResult as InstallResult
from app.supervisor.installer import cargo, cargo_install
from app.supervisor.notices import Notices
from app.supervisor.policy import Policy
from app.supervisor.state import State, Status
from app.supervisor.supervisor import GatewaySetup, Progress, Supervisor
from app.supervisor.supervisor import SwitchResult as SwitchResult
from app.supervisor.traffic import ClientActivity as ClientActivity
from app.supervisor.traffic import Traffic as Traffic
from app.supervisor.traffic import as_json as traffic_json
from app.supervisor.upstream import NOT_CHECKED
from app.supervisor.upstream import UpstreamVerdict as UpstreamVerdict
from app.supervisor.validation import check_key_and_upstream, key_checkable, provider_spec
from app.supervisor.validation import normalise_base_url as normalise_base_url
from app.tasks import BackgroundTasks

log = logging.getLogger("llm_link_tray.controller")

# The UI reaches the supervisor only through this module (tests/ui/test_ui_imports.py): the names it needs
# from there are re-exported above (`X as X`), and these are the llm-link app modes Settings offers.
APP_MODES: Final = tuple(APP_PROTOCOLS)

# How long a command from the CLI waits for a locked keyring before it answers KEYRING_LOCKED. The tray's own
# lookups wait as long as the unlock prompt stays open: the user may be about to answer it.
CLI_KEY_WAIT: Final = 20.0
# The bound for key lookups made on behalf of the command being handled (None: the tray's own, unbounded).
# A context variable, so it reaches the supervisor's lookup through the intent without a parameter on every
# intent; tasks started meanwhile (an automatic restart) inherit it.
_KEY_WAIT_LIMIT: contextvars.ContextVar[float | None] = contextvars.ContextVar("key_wait_limit", default=None)


@dataclass(frozen=True)
class KeyCheck:
    """Settings' Validate: what the upstream said (`upstream.verified`, or why not) and llm-link's models
    (none when it is not running)."""

    upstream: UpstreamVerdict
    models: tuple[ModelInfo, ...]


@dataclass(frozen=True)
class BinaryInUse:
    """The llm-link binary Settings shows: the running instance's (`running`), else the one a start would
    use; `version` where the install recorded it, `label` the launch contract its --help describes."""

    path: Path | None
    version: str | None
    label: str | None
    running: bool
    error: AppError | None = None


class Controller:
    def __init__(
        self,
        paths: Paths,
        *,
        keys: KeyStore | None = None,
        policy: Policy | None = None,
        autostart: Autostart | None = None,
        cli_key_wait: float = CLI_KEY_WAIT,
        gateway: bool = True,
    ) -> None:
        self.paths = paths
        self.cli_key_wait = cli_key_wait
        self.keys = keys or KeyStore()
        self.autostart = autostart or autostart_for_this_platform()
        self._settings_file = SettingsFile(paths.config_dir)
        self.settings = self._settings_file.load()
        self._base_policy = policy or Policy()  # the caller's (tests, benchmarks); the settings adjust it
        policy = self._policy_for(self.settings)
        # The gateway owns the editor's port (browser policy, blue/green switches, activity); `gateway=False`
        # puts llm-link itself on that port, for tests and benchmarks of bare supervision.
        gateway_files = gateway_files_for(paths) if gateway else None
        self.supervisor = Supervisor(
            self.settings.llmlink, self._key_for, paths=paths, policy=policy, gateway=gateway_files
        )
        self.quit_requested = asyncio.Event()
        self.stored_keys: dict[str, bool] = {p.id: not p.needs_key for p in PROVIDERS}
        self.keys_changed: list[Callable[[], None]] = []  # told when `stored_keys` or `unverified_keys` changed
        self.key_status = KeyStatus(paths.state_dir)
        self._tasks = BackgroundTasks("controller")
        # Notification rules on the supervisor's statuses; the UI shows what they decide.
        self.notices = Notices(self.supervisor.store, lambda: self.settings.notifications)
        self.supervisor.store.subscribe(self._verify_key_by_traffic)
        self._keys_requested = False
        # Set to end every key lookup waiting on the keyring's unlock prompt; a new one per round of waits.
        self._stop_waiting: asyncio.Future[None] | None = None

    # --- lifecycle --------------------------------------------------------------------------------

    async def open(self) -> Status:
        """Adopt or start llm-link. Which keys are stored is read later, when the menu first opens
        (`want_stored_keys`): a keyring can sit behind an unlock prompt, and with Ollama the tray then never
        loads the keyring stack (~8 MB) nor prompts at login.

        A start with a cloud provider can wait on that prompt for as long as nobody answers it; a quit
        meanwhile ends the wait, so this returns and the quit goes ahead."""
        opening = asyncio.ensure_future(self._open())
        quitting = asyncio.ensure_future(self.quit_requested.wait())
        try:
            await asyncio.wait({opening, quitting}, return_when=asyncio.FIRST_COMPLETED)
            if not opening.done():
                self._stop_key_waits()
            return await opening
        finally:
            quitting.cancel()
            opening.cancel()  # only when we were cancelled ourselves; a no-op once it is done

    async def _open(self) -> Status:
        await self._load_auth_key()
        await self.supervisor.set_allowed_origins(_origins(self.settings))
        return await self.supervisor.open()

    def want_stored_keys(self) -> None:
        """Read which providers have a key, once, in the background; `keys_changed` tells when it is known."""
        if not self._keys_requested:
            self._keys_requested = True
            self._tasks.spawn(self.refresh_stored_keys(), name="read stored keys")

    async def close(self, *, leave_llmlink_running: bool = False) -> None:
        """Quit: stop llm-link unless the user wants it kept running after quit, or the session is ending
        under us (`leave_llmlink_running`: SIGHUP, the display went away) and the next tray will adopt it."""
        self._stop_key_waits()  # a start or switch waiting on the unlock prompt would hold the supervisor
        await self._tasks.cancel_all()
        keep = leave_llmlink_running or self.settings.keep_llmlink_after_quit
        await self.supervisor.close(stop_llmlink=not keep)

    # --- intents ----------------------------------------------------------------------------------
    # Each intent first ends key lookups that wait on the keyring's unlock prompt: the start or switch
    # waiting holds the supervisor, and the new intent would otherwise queue behind it for as long as nobody
    # answers the prompt. The superseded one fails with KEYRING_LOCKED; the prompt stays open.

    async def start(self) -> Status:
        self._stop_key_waits()
        return await self.supervisor.start()

    async def stop(self) -> Status:
        self._stop_key_waits()
        return await self.supervisor.stop()

    async def restart(self) -> Status:
        self._stop_key_waits()
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
        if base_url is None and is_known(provider_id) and provider(provider_id).takes_base_url:
            base_url = self.settings.base_urls.get(provider_id)  # (one remembered for Zhipu is never used)
        self._stop_key_waits()
        result = await self.supervisor.switch(provider_id, model, api_key=api_key, base_url=base_url, progress=progress)
        if result.ok:
            self.save(self.settings.remember(self.supervisor.config))
        return result

    async def apply(self, settings: Settings, key: Secret | None, progress: Progress | None = None) -> SwitchResult:
        """The settings dialog's Apply: let the supervisor apply the config (a switch, or a new instance when
        port, app mode, binary or log level changed), then save what was verified and store the key.

        On failure nothing is saved or stored and the previous config keeps running (the supervisor rolls
        back). A new key is stored only once llm-link runs with it: verified where the upstream can be asked
        (Ollama, a custom base URL), else marked not verified (`unverified_keys`). When neither the config nor
        the key changed (only start at login, notifications…), llm-link is left as it is.
        """
        if settings.allowed_origins != self.settings.allowed_origins:
            refused = await self.supervisor.set_allowed_origins(_origins(settings))
            if refused is not None:
                raise AppErrorException(refused)
        base_url = normalise_base_url(settings.llmlink.base_url)
        settings = replace(settings, llmlink=replace(settings.llmlink, base_url=base_url))
        spec = provider(settings.llmlink.provider)
        if key is not None and (not spec.needs_key or key == await self._stored_quietly(spec.id)):
            key = None  # the key it runs with, or would start with: nothing to store or verify again
        if key is None and settings.llmlink in (self.settings.llmlink, self.supervisor.config):
            failed = self.save(replace(settings, llmlink=self.settings.llmlink))
            if failed is not None:
                raise AppErrorException(failed)
            return SwitchResult(True, self.status)
        self._apply_policy(settings)
        self._stop_key_waits()
        if settings.llmlink.app_mode != self.supervisor.config.app_mode:
            await self._load_auth_key(settings.llmlink.app_mode)  # before the new mode's first request
        result = await self.supervisor.apply(settings.llmlink, key, progress=progress)
        if not result.ok:
            await self.supervisor.set_allowed_origins(_origins(self.settings))  # nothing of it is kept
            return result
        failed = self.save(replace(settings, llmlink=self.supervisor.config).remember(self.supervisor.config))
        if key is not None:
            await self._store_key(spec.id, key, settings.llmlink.base_url)  # a keyring failure reaches the dialog
        elif key_checkable(spec.id, settings.llmlink.base_url):
            # The stored key at a new base URL: what that upstream says about it replaces the old mark.
            stored = await self._stored_quietly(spec.id)
            if stored is not None:
                await self._mark_key(spec.id, stored, settings.llmlink.base_url)
        if failed is not None:
            raise AppErrorException(failed)  # it runs, but will not after a restart: the dialog says so
        return result

    @property
    def unverified_keys(self) -> dict[str, str]:
        """Providers whose stored key is not verified yet → why (shown in the menu and Settings)."""
        return self.key_status.unverified

    def mark_key_verified(self, provider_id: str) -> None:
        """A request through llm-link with `provider_id`'s stored key succeeded (the gateway tells): the key
        works, so its "not verified" mark goes."""
        if self.key_status.mark_verified(provider_id):
            log.info("the %s key is verified: a request with it succeeded", provider_id)
            self._keys_changed()

    def _verify_key_by_traffic(self, status: Status) -> None:
        """An editor request through the gateway succeeded with the provider's key: it works (issue 12's
        "not verified until the first editor request succeeds")."""
        traffic = status.traffic
        if traffic is not None and traffic.chat_succeeded and status.provider in self.unverified_keys:
            self.mark_key_verified(status.provider)

    async def _store_key(self, provider_id: str, key: Secret, base_url: str | None) -> None:
        """Store a key llm-link now runs with, marked by what its upstream says about it."""
        await self.keys.set(provider_id, key)
        self.stored_keys[provider_id] = True
        await self._mark_key(provider_id, key, base_url)

    async def _mark_key(self, provider_id: str, key: Secret, base_url: str | None) -> None:
        verdict = await self._upstream_verdict(provider_id, key, base_url)
        if verdict.verified:
            self.key_status.mark_verified(provider_id)
        else:
            self.key_status.mark_unverified(provider_id, verdict.reason)
        self._keys_changed()

    async def _upstream_verdict(self, provider_id: str, key: Secret | None, base_url: str | None) -> UpstreamVerdict:
        if not key_checkable(provider_id, base_url):
            return NOT_CHECKED
        try:
            return await check_key_and_upstream(provider_spec(provider_id), key, base_url)
        except AppErrorException as exc:  # it answered the switch's check moments ago: flaky, not verified
            return UpstreamVerdict(True, False, exc.error.message)

    async def _stored_quietly(self, provider_id: str) -> Secret | None:
        """The stored key, or None when the keyring cannot say (then the typed key counts as new)."""
        try:
            return await self.keys.get(provider_id)
        except AppErrorException:
            return None

    def _keys_changed(self) -> None:
        for listener in list(self.keys_changed):
            listener()

    async def install_llmlink(self, on_line: Callable[[str], None], *, root: Path | None = None) -> InstallResult:
        """First run: build llm-link with cargo, then start it; no restart of the tray needed."""
        result = await cargo_install(on_line, root=root)
        if result.binary is None:
            return result
        if root is not None:
            # Outside cargo's default bin folder discovery would not look: remember where it is.
            self.supervisor.set_binary(str(result.binary))
            self.save(replace(self.settings, llmlink=self.supervisor.config))
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

    def save(self, settings: Settings) -> AppError | None:
        """Use `settings` now and write them; what kept them from the disk is logged and returned (they still
        apply until quit), never raised: a menu toggle must not fail because of a settings file."""
        self.settings = settings
        self._apply_policy(settings)
        try:
            self._settings_file.save(settings)
        except AppErrorException as exc:
            log.warning("%s", exc.error)
            return exc.error
        return None

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
        self._keys_changed()
        return found

    # --- what the UI reads and asks: it reaches nothing past these -----------------------------------

    @property
    def config(self) -> LlmLinkConfig:
        """What llm-link runs (or would run): the supervisor's verified config, not the settings' wish."""
        return self.supervisor.config

    @property
    def log_path(self) -> Path:
        """llm-link's own output, as the log window shows it."""
        return self.supervisor.log_path

    def subscribe(self, listener: Callable[[Status], None]) -> Callable[[], None]:
        """Hear every status the supervisor publishes; call the returned function to stop."""
        return self.supervisor.store.subscribe(listener)

    def refresh(self) -> None:
        """The menu's Refresh: probe again soon; returns at once."""
        self.supervisor.refresh()

    async def refresh_now(self) -> Status:
        """Probe now and return what was found (also published to subscribers)."""
        return await self.supervisor.refresh_now()

    async def validate(
        self, provider_id: str, key: Secret | None, *, model: str | None = None, base_url: str | None = None
    ) -> tuple[ModelInfo, ...]:
        """Settings' Validate: the checks a switch makes first, and the models llm-link lists (none when it
        is not running). Raises AppErrorException (KEY_INVALID, UPSTREAM_UNREACHABLE, …)."""
        return await self.supervisor.validate(provider_id, key, model=model, base_url=normalise_base_url(base_url))

    async def check_key(
        self, provider_id: str, key: Secret | None, *, model: str | None = None, base_url: str | None = None
    ) -> KeyCheck:
        """Settings' Validate with the upstream's verdict: `validate`'s checks, and whether the key could be
        verified (and if not, why). Raises AppErrorException like `validate`."""
        base_url = normalise_base_url(base_url)
        verdict = await check_key_and_upstream(provider_spec(provider_id), key, base_url)
        models = await self.supervisor.validate(provider_id, key, model=model, base_url=base_url)
        return KeyCheck(verdict, models)

    async def binary_in_use(self) -> BinaryInUse:
        """The binary of the running llm-link (what the kernel says it runs), else the one a start would use."""
        pid = self.status.pid
        if pid:
            try:
                running: Path | None = Path(os.readlink(f"/proc/{pid}/exe"))
            except OSError:
                running = None  # not Linux, or gone: say what a start would use instead
            if running is not None and running.is_file():
                check = await check_binary(running)
                label = check.contract.label if check.contract else None
                return BinaryInUse(running, version_of(running), label, True)
        check = await self.check_binary(self.config.binary)
        version = version_of(check.path) if check.path is not None and check.exists else None
        label = check.contract.label if check.contract else None
        return BinaryInUse(check.path, version, label, False, check.error)

    async def stored_key(self, provider_id: str) -> Secret | None:
        """The key in the keyring for `provider_id`, for Settings to show (masked). Unlike a start's lookup it
        waits on the keyring's unlock prompt however long it stays open: the user opened Settings to answer
        it. Raises AppErrorException (KEYRING_LOCKED, KEYRING_UNAVAILABLE, …)."""
        return await self.keys.get(provider_id)

    async def check_binary(self, path: str | None) -> BinaryCheck:
        """Is `path` an llm-link we can drive? None: the one that would be found without a configured path."""
        if path:
            return await check_binary(Path(path).expanduser())
        return await find_binary()

    def can_build_llmlink(self) -> bool:
        """Cargo is there, so `install_llmlink` can build llm-link."""
        return cargo() is not None

    # --- the single-instance channel ---------------------------------------------------------------

    async def handle_command(self, command: str, args: list[str]) -> dict[str, Any]:
        """A command from another `llm-link-tray` process; the answer is sent back as JSON. Key lookups for it
        wait at most `cli_key_wait` seconds for a locked keyring: the caller is a person at a terminal."""
        bound = _KEY_WAIT_LIMIT.set(self.cli_key_wait)
        try:
            return await self._handle_command(command, args)
        finally:
            _KEY_WAIT_LIMIT.reset(bound)

    async def _handle_command(self, command: str, args: list[str]) -> dict[str, Any]:
        if command == "status":
            return self.answer(True, status_text(self.status))
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
            "error": None if status.error is None else _error_json(status.error),
            # A failed intent beside a running instance (not the state's cause); `at` is a Unix timestamp.
            "last_failure": None
            if status.last_failure is None
            else {**_error_json(status.last_failure.error), "at": status.last_failure.at},
            "waiting": status.waiting,
            "log_file": str(self.supervisor.log_path),
            # Behind the gateway: llm-link's own (private) port, the gateway's pid, and what editors did.
            "llmlink_port": self.supervisor.llmlink_port,
            "gateway": {"pid": self.supervisor.gateway_pid, "log_file": str(self.paths.gateway_log)},
            "activity": None if status.traffic is None else traffic_json(status.traffic),
            "tray": _tray_diagnostics(),
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
        """The supervisor's key lookup."""
        return await self._lookup(provider_id)

    async def _lookup(self, entry: str) -> Secret | None:
        """A keyring read, which waits while the keyring's unlock prompt is open. It gives up, with
        KEYRING_LOCKED, after `cli_key_wait` seconds for a CLI command and at once on `_stop_key_waits`; the
        read itself goes on in its thread (the prompt stays up), so answering the prompt later still works."""
        if self._stop_waiting is None or self._stop_waiting.done():
            self._stop_waiting = asyncio.get_running_loop().create_future()
        stop_waiting = self._stop_waiting
        limit = _KEY_WAIT_LIMIT.get()
        lookup = asyncio.ensure_future(self.keys.get(entry))
        try:
            either: set[asyncio.Future[Any]] = {lookup, stop_waiting}
            await asyncio.wait(either, timeout=limit, return_when=asyncio.FIRST_COMPLETED)
        finally:
            answered = lookup.done()
            lookup.cancel()  # a no-op once it is done
        if answered:
            return lookup.result()
        waited = "stopped waiting" if stop_waiting.done() else f"nobody unlocked it within {human_duration(limit or 0)}"
        raise AppErrorException(
            AppError(
                ErrorCode.KEYRING_LOCKED,
                f"the system keyring is locked ({waited})",
                "Unlock it (answer its unlock prompt, or open your keyring manager), then try again.",
            )
        )

    def _stop_key_waits(self) -> None:
        """End the key lookups waiting on the unlock prompt now (they raise KEYRING_LOCKED)."""
        if self._stop_waiting is not None and not self._stop_waiting.done():
            self._stop_waiting.set_result(None)

    async def _load_auth_key(self, app_mode: str | None = None) -> None:
        """The editor-facing access key of the OpenAI-style app modes (`app_mode`, default the saved one):
        generated the first time one is needed (at start, or at the Apply that picks such a mode), kept in the
        keyring. The gateway checks it; other app modes' editors send none, so it is off for them."""
        if APP_PROTOCOLS.get(app_mode or self.settings.llmlink.app_mode) != "openai":
            self.supervisor.set_auth_key(None)
            return
        try:
            key = await self._lookup(AUTH_KEY_ENTRY)
            if key is None:
                key = Secret(secrets.token_urlsafe(24))
                await self.keys.set(AUTH_KEY_ENTRY, key)
        except AppErrorException as exc:
            log.warning("no access key for llm-link: %s", exc.error.message)
            return
        self.supervisor.set_auth_key(key)

    def _apply_policy(self, settings: Settings) -> None:
        self.supervisor.set_policy(self._policy_for(settings))

    def _policy_for(self, settings: Settings) -> Policy:
        """The caller's policy under the user's settings. Polling runs only if both want it: a caller that
        switched it off (a test, a benchmark) keeps it off whatever the settings say."""
        base = self._base_policy
        return replace(
            base, auto_restart=settings.auto_restart, poll_enabled=settings.auto_refresh and base.poll_enabled
        )

    # --- connecting an editor (the tray's Models menu and the Connect dialog) -------------------------

    def editor_target(self) -> Target:
        """Where an editor connects now: the editor-facing port, its protocol and the running model."""
        return target_for(self.config, self.status.model)

    async def access_key(self) -> Secret | None:
        """The access key editors send in the OpenAI-protocol app modes (None in the others, or when the
        keyring cannot give it). For a copy on the user's click only: never shown, never logged."""
        if APP_PROTOCOLS.get(self.config.app_mode) != "openai":
            return None
        return await self._lookup(AUTH_KEY_ENTRY)

    async def models(self) -> tuple[str, ...]:
        """The active provider's models for the Models menu: llm-link's own list (`/api/info`, asked on
        llm-link's own port: the gateway would want the editors' access key in OpenAI modes) and the validated
        list (`validate`: for Ollama the models the local Ollama has). The current model is always among them.
        Never raises: the list is a convenience, so what failed is logged and the rest is returned."""
        config = self.config
        found: list[str] = [config.model] if config.model else []
        port = self.supervisor.llmlink_port or config.port
        try:
            async with LlmLinkClient(f"http://127.0.0.1:{port}") as client:
                info = await client.info()
            found += [m.id for m in info.provider_models.get(config.provider, ())]
        except LlmLinkError as exc:
            log.info("no model list from llm-link's /api/info: %s", exc)
        try:
            spec = provider(config.provider)
            key = await self._lookup(spec.id) if spec.needs_key else None
            validated = await self.supervisor.validate(spec.id, key, model=config.model, base_url=config.base_url)
            found += [m.id for m in validated]
        except (AppErrorException, KeyError) as exc:
            log.info("no validated model list for %s: %s", config.provider, exc)
        return tuple(dict.fromkeys(found))

    async def test_stream(self) -> StreamResult:
        """The Connect dialog's Test: one streamed chat of a few tokens through the editor-facing port, as an
        editor sends it (it spends the user's quota: only on a click). Raises AppErrorException."""
        target = self.editor_target()
        key = await self.access_key() if target.needs_access_key else None
        return await stream_test(target, key)


def _origins(settings: Settings) -> list[str] | None:
    return None if settings.allowed_origins is None else list(settings.allowed_origins)


def gateway_files_for(paths: Paths) -> GatewaySetup:
    """Where the gateway of the tray using `paths` keeps its control socket, PID file and log."""
    return GatewaySetup(instance_files(paths.config_dir).gateway, paths.gateway_pid_file, paths.gateway_log)


def status_text(status: Status) -> str:
    """Plain `status`: the headline, why an ERROR/DEGRADED state is so and what to do, the last failed action."""
    lines = [status.headline()]
    if status.error is not None:
        lines += [f"{status.error.code}: {status.error.message}", f"  {status.error.suggestion}"]
    elif status.state is State.DEGRADED and status.details.problem:
        lines.append(f"problem: {status.details.problem}")
    if status.last_failure is not None:
        lines += [status.last_failure.describe(), f"  {status.last_failure.error.suggestion}"]
    return "\n".join(lines)


def _error_json(error: AppError) -> dict[str, str]:
    return {"code": error.code.value, "message": error.message, "suggestion": error.suggestion}


def _tray_diagnostics() -> dict[str, Any]:
    """The tray process itself, for long runs (bench/soak_tray.py) and bug reports. `none_refcount` is there
    because PySide6 6.12.0 leaked references to None until CPython 3.11 aborted; a count that keeps falling
    is that bug back (on Python >= 3.12 None is immortal and the number never moves)."""
    return {
        "pid": os.getpid(),
        "python": sys.version.split()[0],
        "none_refcount": sys.getrefcount(None),
        # False in the tray: garbage is collected on the GUI thread only (app/ui/main_thread_gc.py).
        "automatic_gc": gc.isenabled(),
    }
