"""The supervisor: keeps one llm-link running as configured, and switches it with the restart protocol.

Start, stop, restart and switch are serialised by one lock: a second request waits for the first to finish.
While one runs it publishes its own states (STARTING, …); the poll loop only watches in between.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

import psutil

from app.errors import AppError, AppErrorException, ErrorCode
from app.llmlink_client import Health, LlmLinkClient, LlmLinkError, LlmLinkHttpError, ModelInfo
from app.paths import Paths
from app.providers import Provider, key_problem, provider
from app.secret import Secret
from app.supervisor import pidfile
from app.supervisor.binary import find_binary
from app.supervisor.config import KeyLookup, LlmLinkConfig
from app.supervisor.contract import APP_PROTOCOLS, LOOPBACK_HOST, Contract, LaunchRequest, build_launch
from app.supervisor.disk import check_folders, folder_unusable
from app.supervisor.output_log import OutputLog
from app.supervisor.policy import Backoff, Policy
from app.supervisor.probe import EDITOR_ROUTES, Identity, probe
from app.supervisor.process import LlmLinkProcess, adopt, port_open, spawn, wait_port_free
from app.supervisor.state import KEYRING_WAIT, Failure, HealthDetails, State, Status, classify
from app.supervisor.store import StatusStore
from app.supervisor.upstream import check_upstream

log = logging.getLogger("llm_link_tray.supervisor")

READY_FIRST_DELAY: Final = 0.01
READY_MAX_DELAY: Final = 0.2
# Gentler than doubling: llm-link answers after ~130 ms, where doubling would wait until 150 ms and beyond.
READY_GROWTH: Final = 1.5
PROBE_HTTP_TIMEOUT: Final = 1.0

Progress = Callable[[str], None]


class _StartFailed(Exception):
    """A start that did not reach a verified instance; `retryable` when trying again may help."""

    def __init__(self, error: AppError, *, retryable: bool) -> None:
        super().__init__(str(error))
        self.error = error
        self.retryable = retryable


@dataclass(frozen=True)
class SwitchResult:
    ok: bool
    status: Status
    error: AppError | None = None
    # "hot" (applied in place), "restart" (new process), "start" (was not running), or "" (nothing changed).
    path: str = ""


class Supervisor:
    def __init__(
        self,
        config: LlmLinkConfig,
        keys: KeyLookup,
        *,
        paths: Paths,
        policy: Policy | None = None,
        auth_key: Secret | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.config = config
        self.policy = policy or Policy()
        self.paths = paths
        self._keys = keys
        self._auth_key = auth_key
        self._env = env
        self._output = OutputLog(paths.llmlink_log)
        self._lock = asyncio.Lock()
        self._proc: LlmLinkProcess | None = None
        self._watched: LlmLinkProcess | None = None  # the process whose unexpected exit is a crash
        self._active_key: Secret | None = None
        self._running_since: float | None = None
        self._user_stopped = False
        self._backoff = Backoff(self.policy)
        self._tasks: set[asyncio.Task[None]] = set()
        self._restart_task: asyncio.Task[None] | None = None
        self._poll_task: asyncio.Task[None] | None = None
        self._waker: asyncio.Future[None] | None = None  # the poll loop's nap; set it to wake the loop
        self._clients: dict[int, LlmLinkClient] = {}
        self._refresh_requested = False
        self.store = StatusStore(self.refresh_now, ttl=self.policy.status_ttl, history=self.policy.history_size)

    # --- public intents ---------------------------------------------------------------------------

    @property
    def status(self) -> Status:
        return self.store.current

    @property
    def log_path(self) -> Path:
        return self._output.path

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    async def open(self, *, autostart: bool = True) -> Status:
        """Adopt the llm-link our PID file names, or start one (unless `autostart` is off); start polling."""
        async with self._lock:
            if not self._try_adopt() and autostart:
                await self._start_locked()
        adopted_unverified = self._proc is not None and self.status.state is not State.RUNNING
        if adopted_unverified or (self._proc is None and not autostart):
            await self.refresh_now()
        # Always running: with polling off it still serves refreshes and restarts after DEGRADED.
        self._poll_task = asyncio.create_task(self._poll_loop(), name="llm-link-poll")
        return self.status

    def set_auth_key(self, key: Secret | None) -> None:
        """llm-link's own access key for the OpenAI-style app modes; used from the next start on."""
        self._auth_key = key

    async def close(self, *, stop_llmlink: bool = True) -> None:
        """Stop watching; stop llm-link too unless the user wants it kept running after quit."""
        tasks = [t for t in (self._poll_task, self._restart_task, *self._tasks) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        async with self._lock:
            if stop_llmlink:
                await self._stop_locked()
            elif self._proc is not None:
                self._watched = None
                await self._proc.detach()
        for client in self._clients.values():
            await client.aclose()
        self._output.close()

    async def start(self) -> Status:
        async with self._lock:
            self._user_stopped = False
            self._backoff.reset()
            self._cancel_restart()
            if self._proc is None:
                await self._start_locked()
        return self.status

    async def stop(self) -> Status:
        """A user's stop: auto-restart rests until the next start."""
        async with self._lock:
            self._user_stopped = True
            self._cancel_restart()
            await self._stop_locked()
            self._publish(State.STOPPED, error=None, details=HealthDetails())
        return self.status

    async def restart(self) -> Status:
        async with self._lock:
            self._user_stopped = False
            self._cancel_restart()
            await self._stop_locked()
            await self._start_locked()
        return self.status

    async def refresh_now(self) -> Status:
        """Probe now and publish what was found (the store's refresher)."""
        if self._lock.locked():
            return self.status  # a start/stop/switch is publishing its own states
        details = await self._probe()
        self._publish(self._state_from(details), details=details, probed=True)
        return self.status

    def refresh(self) -> None:
        """Refresh from the UI: forget the cached probe and wake the poll loop; returns at once."""
        self.store.invalidate()
        self._refresh_requested = True
        self._wake()

    async def switch(
        self,
        provider_id: str,
        model: str | None = None,
        *,
        api_key: Secret | None = None,
        base_url: str | None = None,
        hot: bool = False,
        progress: Progress | None = None,
    ) -> SwitchResult:
        """The restart protocol: validate → update → stop → respawn → verify; roll back on failure.

        `hot=True` tries llm-link's in-place switch first and falls back to a restart on any doubt.
        The new config is committed only once a verified instance runs it.
        """
        step = progress or (lambda _name: None)
        async with self._lock:
            try:
                spec = _provider(provider_id)
                key = api_key if api_key is not None else await self._key_for(spec)
                wanted = replace(self.config, provider=spec.id, model=model, base_url=base_url)
                step("validating")
                await _check_key_and_upstream(spec, key, base_url)
                if self._proc is None or not await self._api_answers():
                    return await self._switch_by_starting(wanted, key, step)
                await self._validate(spec, key, model, base_url)
                step("updating")
                plan = await self._client().update(spec.id, key or Secret(""), model=model, base_url=base_url)
            except AppErrorException as exc:
                # Nothing was stopped: the state keeps its own cause, the refusal is the last failed action.
                self._publish(self.status.state, last_failure=Failure(exc.error))
                return SwitchResult(False, self.status, exc.error)
            except LlmLinkError as exc:
                error = _switch_failed(exc.to_app_error())
                self._publish(self.status.state, last_failure=Failure(error))
                return SwitchResult(False, self.status, error)

            wanted = replace(wanted, model=plan.model)
            new_key = plan.env_vars.get(spec.key_env) if spec.key_env else None
            new_key = new_key or key
            if spec.base_url_env and spec.base_url_env in plan.env_vars:
                wanted = replace(wanted, base_url=plan.env_vars[spec.base_url_env].reveal())
            if hot and await self._switch_in_place(wanted, new_key, step):
                return SwitchResult(True, self.status, path="hot")

            step("restarting")
            previous, previous_key = self.config, self._active_key
            await self._stop_locked()
            try:
                await self._launch(wanted, new_key, step=step)
            except _StartFailed as failure:
                return await self._roll_back(previous, previous_key, failure.error, step)
            return SwitchResult(True, self.status, path="restart")

    # --- start / stop -----------------------------------------------------------------------------

    async def _start_locked(self) -> None:
        try:
            key = await self._key_for(_provider(self.config.provider), starting=True)
            await self._launch(self.config, key)
        except AppErrorException as exc:
            self._publish(State.ERROR, error=exc.error, pid=None)
        except _StartFailed as failure:
            self._publish(State.ERROR, error=failure.error, pid=None)
            if failure.retryable:
                self._schedule_restart()

    async def _launch(self, config: LlmLinkConfig, key: Secret | None, *, step: Progress | None = None) -> None:
        """Spawn llm-link for `config` and return once a verified instance serves it; commits `config`."""
        binary, contract = await self._resolve_binary(config)
        request = LaunchRequest(
            provider=config.provider,
            port=config.port,
            model=config.model,
            api_key=key,
            base_url=config.base_url,
            app_mode=config.app_mode,
            auth_key=self._auth_key,
            host=LOOPBACK_HOST,
            log_level=config.log_level,
        )
        try:
            plan = build_launch(contract, request, self._env)
        except AppErrorException as exc:
            raise _StartFailed(exc.error, retryable=False) from None
        if port_open(LOOPBACK_HOST, config.port):
            raise _StartFailed(_port_in_use(config.port), retryable=False)
        # Before the spawn: once llm-link runs, a PID file we cannot write leaves it unadoptable.
        # (A thread: the probe fsyncs, which can take a while on a busy disk.)
        unusable = await asyncio.to_thread(check_folders, {"state": self.paths.state_dir, "log": self.paths.log_dir})
        if unusable is not None:
            raise _StartFailed(unusable, retryable=False)

        self._publish(
            State.STARTING,
            error=None,
            provider=config.provider,
            model=config.model,
            port=config.port,
            details=HealthDetails(),
        )
        proc = await spawn(binary, plan, self._output)
        self._proc = proc
        self._publish(State.STARTING, pid=proc.pid)
        try:
            if step:
                step("verifying")
            health = await self._wait_ready(proc, config)
            if plan.key_swap is not None:
                swap = plan.key_swap
                result = await self._client(config.port).update_key(swap.provider, swap.api_key, base_url=swap.base_url)
                if not result.succeeded:
                    raise _StartFailed(
                        AppError(
                            ErrorCode.KEY_INVALID,
                            f"llm-link refused the {swap.provider} key: {result.message}",
                            "Check the key in Settings (copy it again from the provider's console).",
                        ),
                        retryable=False,
                    )
            verified = await self._verify(proc, config, health)
            # Still inside the try: a PID file that cannot be written (the disk filled since the check) stops
            # the new process, rather than leaving one no later tray could adopt.
            fingerprint = replace(config, model=verified.model).fingerprint()
            record = pidfile.PidRecord(proc.pid, proc.create_time, str(binary), config.port, fingerprint)
            try:
                pidfile.write(self.paths.pid_file, record)
            except OSError as exc:
                unusable = folder_unusable(self.paths.state_dir, "state", exc.strerror or str(exc))
                raise _StartFailed(unusable, retryable=False) from None
        except BaseException as exc:
            await self._stop_locked()
            if isinstance(exc, LlmLinkError):
                raise _StartFailed(exc.to_app_error(), retryable=True) from None
            raise
        self.config = replace(config, model=verified.model)
        self._active_key = key
        self._watched = proc
        self._running_since = time.monotonic()
        proc.exited.add_done_callback(lambda _f: self._on_exit(proc))
        details = await self._probe()
        self._publish(self._state_from(details), details=details, model=verified.model, error=None, probed=True)

    async def _wait_ready(self, proc: LlmLinkProcess, config: LlmLinkConfig) -> Health:
        """Poll `/api/health` (10 ms, growing to 200 ms) until *this* pid answers; early out on exit."""
        deadline = time.monotonic() + self.policy.start_timeout
        delay = READY_FIRST_DELAY
        client = self._client(config.port)
        while True:
            if proc.exited.done():
                outcome = proc.exited.result()
                raise _StartFailed(
                    AppError(
                        ErrorCode.CRASHED,
                        f"llm-link {outcome.describe()} while starting",
                        "View the log for llm-link's own message; check the binary and settings.",
                        outcome.last_lines,
                    ),
                    retryable=True,
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _StartFailed(
                    AppError(
                        ErrorCode.START_TIMEOUT,
                        f"llm-link (pid {proc.pid}) did not answer within {self.policy.start_timeout:g}s",
                        "View the log; if the machine is busy, try Start again.",
                        self._output.tail(),
                    ),
                    retryable=True,
                )
            try:
                health = await client.health(timeout=min(PROBE_HTTP_TIMEOUT, remaining))
            except LlmLinkError:
                pass
            else:
                if health.pid == proc.pid:
                    return health
                # Another llm-link answers on our port (two starts raced): not ours to call ready.
            await asyncio.wait({proc.exited}, timeout=min(delay, max(remaining, 0)))
            delay = min(delay * READY_GROWTH, READY_MAX_DELAY)

    async def _verify(self, proc: LlmLinkProcess, config: LlmLinkConfig, health: Health) -> Health:
        """The new instance runs what was asked: provider and (when one was named) model."""
        client = self._client(config.port)
        current = await client.current_config()
        if (
            health.provider != config.provider
            or current.provider != config.provider
            or (config.model is not None and (health.model != config.model or current.model != config.model))
        ):
            raise _StartFailed(
                AppError(
                    ErrorCode.SWITCH_FAILED,
                    f"llm-link (pid {proc.pid}) runs {health.provider}/{health.model}, "
                    f"not {config.provider}/{config.model or 'default'}",
                    "Try again; if it persists, check the binary version in Settings.",
                ),
                retryable=False,
            )
        return health

    async def _stop_locked(self) -> None:
        proc = self._proc
        if proc is None:
            return
        self._watched = None
        await proc.stop(self.policy.stop_grace)
        self._proc = None
        self._running_since = None
        pidfile.remove(self.paths.pid_file)
        await wait_port_free(LOOPBACK_HOST, self.config.port)

    async def _resolve_binary(self, config: LlmLinkConfig) -> tuple[Path, Contract]:
        check = await find_binary(config.binary)
        if check.contract is None or check.path is None:
            assert check.error is not None
            raise _StartFailed(check.error, retryable=False)
        return check.path, check.contract

    async def _key_for(self, spec: Provider, *, starting: bool = False, notice_after: float = 0.25) -> Secret | None:
        """The stored key for `spec` (None when it needs none); KEY_MISSING when none is stored.

        The lookup can sit behind the keyring's unlock prompt for as long as nobody answers it. Past
        `notice_after` seconds (an open keyring answers in ~20 ms, ~90 ms with the first import) the wait is
        published as `waiting`, in STARTING for a start, so menu, tooltip and `status` say why nothing
        happens. Ending the wait is up to the lookup (the controller bounds it for CLI callers and ends it on
        quit or a newer intent).
        """
        if not spec.needs_key:
            return None
        lookup = asyncio.ensure_future(self._keys(spec.id))
        try:
            await asyncio.wait({lookup}, timeout=notice_after)
            if not lookup.done():
                log.info("%s for the %s key", KEYRING_WAIT, spec.id)
                if starting:  # a new start begins: the last error or failed action is history
                    self._publish(
                        State.STARTING, waiting=KEYRING_WAIT, error=None, provider=spec.id, model=self.config.model
                    )
                else:
                    self._publish(self.status.state, waiting=KEYRING_WAIT)
                try:
                    await asyncio.wait({lookup})
                finally:
                    self._publish(self.status.state, waiting=None)
            key = lookup.result()
        finally:
            lookup.cancel()  # only matters when our caller was cancelled: nobody wants the key any more
        if not key:
            raise AppErrorException(
                AppError(
                    ErrorCode.KEY_MISSING,
                    f"no API key is stored for {spec.display_name}",
                    f"Enter your {spec.display_name} key in Settings.",
                )
            )
        return key

    # --- the switch's parts -----------------------------------------------------------------------

    async def validate(
        self, provider_id: str, key: Secret | None, *, model: str | None = None, base_url: str | None = None
    ) -> tuple[ModelInfo, ...]:
        """Settings' Validate: the checks a switch makes first, and the models llm-link lists.

        Raises AppErrorException (KEY_INVALID, UPSTREAM_UNREACHABLE, CONFIG_ERROR, …). Without a running
        llm-link only our own checks run and no models come back.
        """
        spec = _provider(provider_id)
        await _check_key_and_upstream(spec, key, base_url)
        if self._lock.locked() or self._proc is None:
            return ()
        try:
            return await self._validate(spec, key, model, base_url)
        except LlmLinkHttpError as exc:
            raise AppErrorException(_switch_failed(exc.to_app_error())) from None
        except LlmLinkError as exc:
            raise AppErrorException(exc.to_app_error()) from None

    async def _validate(
        self, spec: Provider, key: Secret | None, model: str | None, base_url: str | None
    ) -> tuple[ModelInfo, ...]:
        secret = key or Secret("")
        client = self._client()
        try:
            result = await client.validate(spec.id, secret, model=model, base_url=base_url)
        except LlmLinkHttpError as exc:
            if exc.status_code != 400:
                raise
            # 0.7.0's validate lacks minimax; validate-key knows all ten.
            result = await client.validate_key(spec.id, secret, base_url=base_url)
        if not result.is_valid:
            raise AppErrorException(
                AppError(
                    ErrorCode.KEY_INVALID,
                    f"{spec.display_name} rejected the key: {result.message or result.status}",
                    "Check the key in Settings (copy it again from the provider's console).",
                )
            )
        return result.models

    async def _switch_by_starting(self, wanted: LlmLinkConfig, key: Secret | None, step: Progress) -> SwitchResult:
        """Not running: a switch starts llm-link with the new config (the old one stays if that fails)."""
        self._user_stopped = False
        self._cancel_restart()
        await self._stop_locked()  # a process whose API does not answer is no use
        step("restarting")
        try:
            await self._launch(wanted, key, step=step)
        except _StartFailed as failure:
            error = _switch_failed(failure.error)
            # Nothing runs: the failure is the state's own cause, not a failure beside a running instance.
            self._publish(State.ERROR, error=error, pid=None, last_failure=None)
            return SwitchResult(False, self.status, error, path="start")
        return SwitchResult(True, self.status, path="start")

    async def _switch_in_place(self, wanted: LlmLinkConfig, key: Secret | None, step: Progress) -> bool:
        """llm-link's own hot switch, trusted only once health and current config both confirm it."""
        proc = self._proc
        if proc is None or wanted.port != self.config.port or wanted.app_mode != self.config.app_mode:
            return False
        step("restarting")
        client = self._client()
        try:
            result = await client.switch_provider(
                wanted.provider, model=wanted.model, api_key=key, base_url=wanted.base_url
            )
            if not result.succeeded:
                return False
            step("verifying")
            health = await client.health()
            current = await client.current_config()
        except LlmLinkError as exc:
            log.info("hot switch not confirmed (%s): restarting instead", exc)
            return False
        if (health.pid, health.provider, health.model) != (proc.pid, wanted.provider, wanted.model) or (
            current.provider,
            current.model,
        ) != (wanted.provider, wanted.model):
            log.info("hot switch not confirmed by health/current config: restarting instead")
            return False
        self.config, self._active_key = wanted, key
        pidfile.write(
            self.paths.pid_file,
            pidfile.PidRecord(
                proc.pid,
                proc.create_time,
                str((await self._resolve_binary(wanted))[0]),
                wanted.port,
                wanted.fingerprint(),
            ),
        )
        details = await self._probe()
        self._publish(
            self._state_from(details),
            details=details,
            provider=wanted.provider,
            model=wanted.model,
            error=None,
            probed=True,
        )
        return True

    async def _roll_back(
        self, previous: LlmLinkConfig, previous_key: Secret | None, cause: AppError, step: Progress
    ) -> SwitchResult:
        step("rolling back")
        log.warning("switch failed (%s): rolling back to %s/%s", cause.code, previous.provider, previous.model)
        error = _switch_failed(cause)
        try:
            await self._launch(previous, previous_key)
        except _StartFailed as failure:
            error = replace(error, message=f"{error.message}; rollback failed too: {failure.error.message}")
            self._publish(State.ERROR, error=error, pid=None, last_failure=None)
            return SwitchResult(False, self.status, error, path="restart")
        # The old config runs again, verified: its state is its own; the switch is the last failed action.
        self._publish(self.status.state, last_failure=Failure(error))
        return SwitchResult(False, self.status, error, path="restart")

    # --- crashes and auto-restart -----------------------------------------------------------------

    def _on_exit(self, proc: LlmLinkProcess) -> None:
        if proc is not self._watched:
            return  # a stop we asked for, or a start that handles its own failure
        task = asyncio.get_running_loop().create_task(self._handle_crash(proc))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle_crash(self, proc: LlmLinkProcess) -> None:
        async with self._lock:
            if proc is not self._watched:
                return
            outcome = proc.exited.result()
            ran_for = time.monotonic() - (self._running_since or time.monotonic())
            self._watched, self._proc, self._running_since = None, None, None
            pidfile.remove(self.paths.pid_file)
            if ran_for >= self.policy.backoff_reset_after:
                self._backoff.reset()
            error = AppError(
                ErrorCode.CRASHED,
                f"llm-link (pid {outcome.pid}) {outcome.describe()}",
                "It will be restarted automatically; View logs shows its last words."
                if self.policy.auto_restart and not self._user_stopped
                else "Start it again from the tray menu.",
                outcome.last_lines,
            )
            self._publish(State.ERROR, error=error, pid=None, details=HealthDetails())
            self._schedule_restart()

    def _schedule_restart(self) -> None:
        if not self.policy.auto_restart or self._user_stopped:
            return
        if self._backoff.record_failure(time.monotonic()):
            last = self.status.error
            self._publish(
                State.ERROR,
                error=AppError(
                    ErrorCode.CRASH_LOOP,
                    f"llm-link failed {self.policy.crash_loop_starts} times within "
                    f"{self.policy.crash_loop_window:g}s; not restarting it any more",
                    "View logs for the cause, fix it in Settings, then Start.",
                    last.details if last else self._output.tail(),
                ),
            )
            return
        delay = self._backoff.next_delay()
        log.info("restarting llm-link in %.2fs", delay)
        self._restart_task = asyncio.get_running_loop().create_task(self._restart_after(delay))

    async def _restart_after(self, delay: float) -> None:
        await asyncio.sleep(delay)
        async with self._lock:
            if self._user_stopped or self._proc is not None:
                return
            await self._start_locked()

    def _cancel_restart(self) -> None:
        if self._restart_task is not None:
            self._restart_task.cancel()
            self._restart_task = None

    # --- adoption ---------------------------------------------------------------------------------

    def _try_adopt(self) -> bool:
        record = pidfile.read(self.paths.pid_file)
        if record is None:
            return False
        if not pidfile.is_ours(record):
            log.info("PID file names pid %d, which is not our llm-link any more: ignoring it", record.pid)
            pidfile.remove(self.paths.pid_file)
            return False
        proc = adopt(record.pid, record.create_time)
        self._proc = self._watched = proc
        self._running_since = time.monotonic()
        self.config = replace(self.config, port=record.port)
        proc.exited.add_done_callback(lambda _f: self._on_exit(proc))
        self._output.note(f"adopted llm-link (pid {record.pid}) from an earlier run")
        if record.fingerprint != self.config.fingerprint():
            log.warning("adopted llm-link %d runs another config than the saved one", record.pid)
        self._publish(
            State.STARTING, pid=proc.pid, port=record.port, provider=self.config.provider, model=self.config.model
        )
        return True

    # --- probing and publishing -------------------------------------------------------------------

    async def _probe(self) -> HealthDetails:
        proc = self._proc
        identity = Identity(proc.pid, proc.create_time) if proc else None
        protocol = APP_PROTOCOLS.get(self.config.app_mode)
        route = EDITOR_ROUTES.get(protocol) if protocol else None
        return await probe(
            self._client(),
            LOOPBACK_HOST,
            self.config.port,
            identity,
            editor_route=route,
            auth_key=self._auth_key.reveal() if self._auth_key else None,
        )

    async def _api_answers(self) -> bool:
        try:
            health = await self._client().health(timeout=PROBE_HTTP_TIMEOUT)
        except LlmLinkError:
            return False
        return self._proc is not None and health.pid == self._proc.pid

    def _state_from(self, details: HealthDetails) -> State:
        managed = self._proc is not None
        state = classify(details, managed=managed)
        current = self.status.state
        if not managed and current is State.ERROR and state is State.STOPPED:
            return State.ERROR  # keep the error visible until the user acts or a start succeeds
        if not managed and self._user_stopped and state is State.STOPPED:
            return State.STOPPED
        if managed and state is State.STOPPED:
            return current  # it is exiting: the exit watcher reports how
        return state

    def _publish(self, state: State, *, probed: bool = False, **changes: object) -> None:
        status = self.status.moved_to(state, **changes)
        if "pid" not in changes:
            status = replace(status, pid=self._proc.pid if self._proc else None)
        if "port" not in changes:
            status = replace(status, port=self.config.port)
        if "provider" not in changes and state is not State.STARTING:
            status = replace(status, provider=self.config.provider, model=self.config.model)
        if state is State.RUNNING and "error" not in changes:
            # `error` is the cause of an ERROR/DEGRADED state; serving again, there is none. (A failed intent
            # beside a running instance is `last_failure`, never `error`.)
            status = replace(status, error=None)
        if "error" in changes and changes["error"] is None and "last_failure" not in changes:
            # An explicit `error=None` marks a success (a verified start, a user's stop, a new start
            # beginning): the last failed action is history. A rollback sets it again after its start.
            status = replace(status, last_failure=None)
        if state is not self.status.state:
            log.info(
                "state %s → %s%s",
                self.status.state,
                state,
                f" ({status.error.code})" if status.error and state is State.ERROR else "",
            )
        self.store.publish(status, probed=probed)
        self._wake()

    def _client(self, port: int | None = None) -> LlmLinkClient:
        """One pooled HTTP client per port: probes reuse their connection."""
        port = self.config.port if port is None else port
        if port not in self._clients:
            self._clients[port] = LlmLinkClient(f"http://{LOOPBACK_HOST}:{port}")
        return self._clients[port]

    # --- the poll loop ----------------------------------------------------------------------------

    async def _poll_loop(self) -> None:
        last_probe = time.monotonic()
        while True:
            await self._nap(self.policy.liveness_interval)
            if self._lock.locked():
                continue
            now = time.monotonic()
            interval = self.policy.poll_interval(self.status.state)
            due = interval is not None and now - last_probe >= interval
            hung = self.policy.poll_enabled and self._looks_hung()
            if due or hung or self._refresh_requested:
                self._refresh_requested = False
                last_probe = now
                await self.refresh_now()
            await self._restart_if_degraded_too_long()

    async def _nap(self, seconds: float) -> None:
        """Sleep up to `seconds`; `_wake()` ends it early (a refresh, a new state with a new interval)."""
        loop = asyncio.get_running_loop()
        waker = self._waker = loop.create_future()
        handle = loop.call_later(seconds, _settle, waker)
        try:
            await waker
        finally:
            handle.cancel()
            self._waker = None

    def _wake(self) -> None:
        if self._waker is not None:
            _settle(self._waker)

    def _looks_hung(self) -> bool:
        """Cheap check between full probes: a process stopped by a signal cannot answer."""
        proc = self._proc
        if proc is None or self.status.state is not State.RUNNING:
            return False
        try:
            return bool(psutil.Process(proc.pid).status() == psutil.STATUS_STOPPED)
        except psutil.Error:
            return False

    async def _restart_if_degraded_too_long(self) -> None:
        status = self.status
        if status.state is not State.DEGRADED or self._proc is None or not self.policy.auto_restart:
            return
        if time.time() - status.since < self.policy.degraded_restart_after:
            return
        log.warning("llm-link DEGRADED for %.0fs: restarting it", time.time() - status.since)
        async with self._lock:
            if self.status.state is State.DEGRADED and self._proc is not None:
                await self._stop_locked()
                await self._start_locked()


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _provider(provider_id: str) -> Provider:
    try:
        return provider(provider_id)
    except KeyError as exc:
        raise AppErrorException(
            AppError(ErrorCode.CONFIG_ERROR, str(exc.args[0]), "Pick one of the ten providers in Settings.")
        ) from None


async def _check_key_and_upstream(spec: Provider, key: Secret | None, base_url: str | None) -> None:
    """What llm-link's own validation misses: the key's format, and whether the upstream answers."""
    problem = key_problem(spec.id, key.reveal() if key else "")
    if problem:
        raise AppErrorException(
            AppError(
                ErrorCode.KEY_INVALID,
                f"{spec.display_name} key rejected: {problem}",
                "Check the key in Settings (copy it again from the provider's console).",
            )
        )
    error = await check_upstream(spec.id, key, base_url)
    if error is not None:
        raise AppErrorException(error)


def _switch_failed(cause: AppError) -> AppError:
    if cause.code in (
        ErrorCode.KEY_INVALID,
        ErrorCode.KEY_MISSING,
        ErrorCode.CONFIG_ERROR,
        ErrorCode.UPSTREAM_UNREACHABLE,
    ):
        return cause
    return AppError(
        ErrorCode.SWITCH_FAILED, f"switch failed: {cause.code}: {cause.message}", cause.suggestion, cause.details
    )


def _port_in_use(port: int) -> AppError:
    holder = _port_holder(port)
    who = f"{holder[1]} (pid {holder[0]})" if holder else "another program"
    return AppError(
        ErrorCode.PORT_IN_USE,
        f"port {port} is already used by {who}",
        "Quit that program, or pick another port for llm-link in Settings.",
    )


def _port_holder(port: int) -> tuple[int, str] | None:
    """(pid, "name: command line") of whoever listens on `port`, where the OS lets us see it."""
    try:
        connections = psutil.net_connections(kind="inet")
    except (psutil.AccessDenied, OSError):
        return None
    for conn in connections:
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port and conn.pid:
            try:
                proc = psutil.Process(conn.pid)
                cmdline = proc.cmdline()
            except psutil.Error:
                return conn.pid, "an unknown program"
            command = " ".join([Path(cmdline[0]).name, *cmdline[1:]]) if cmdline else ""
            if len(command) > 80:
                command = command[:79] + "…"
            return conn.pid, f"{proc.name()}: {command}" if command else proc.name()
    return None
