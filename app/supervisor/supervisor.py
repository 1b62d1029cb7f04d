"""The supervisor keeps one llm-link running as configured: a façade that owns the lock, the current `Instance`
and the published status. Intents take the lock one after the other; while one runs it publishes its own states
and the monitor only watches. The rules live beside it: `instance` (launch), `switching` (switch, relaunch,
rollback), `restarts` (crashes, backoff), `monitor` (polling, hangs), `state` and `publisher` (the status)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from app.errors import AppError, AppErrorException
from app.llmlink_client import ModelInfo
from app.paths import Paths
from app.providers import Provider
from app.secret import Secret
from app.supervisor import pidfile, switching
from app.supervisor.clients import ClientPool
from app.supervisor.config import KeyLookup, LlmLinkConfig
from app.supervisor.contract import APP_PROTOCOLS, LOOPBACK_HOST
from app.supervisor.instance import Instance, Launcher, LaunchFailed, Progress, adopt_recorded
from app.supervisor.monitor import Monitor
from app.supervisor.output_log import OutputLog
from app.supervisor.policy import Policy
from app.supervisor.probe import EDITOR_ROUTES, probe
from app.supervisor.process import LlmLinkProcess
from app.supervisor.publisher import Publisher
from app.supervisor.restarts import Restarter
from app.supervisor.state import Failure, HealthDetails, State, Status
from app.supervisor.store import StatusStore
from app.supervisor.switching import Actions, Outcome, SwitchRequest, SwitchResult
from app.tasks import BackgroundTasks

__all__ = ["Progress", "Supervisor", "SwitchResult"]


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
        self.paths, self._config, self._policy, self._keys = paths, config, policy or Policy(), keys
        self._lock = asyncio.Lock()  # held by one intent at a time (start, switch, a crash's handling, …)
        self._current: Instance | None = None  # the llm-link we run (or adopted); None: nothing runs
        self._clients, self._output = ClientPool(), OutputLog(paths.llmlink_log)
        folders = {"state": paths.state_dir, "log": paths.log_dir}  # must take files before a spawn
        self._launch = Launcher(self._output, self._policy, paths.pid_file, folders, env, auth_key, self._clients.get)
        self._restarts = Restarter(self._policy, self._restart_if_down)
        self._monitor = Monitor(self, self._restart_degraded)
        self._tasks = BackgroundTasks("supervisor")  # crash handlers
        self.store = StatusStore(self.refresh_now, ttl=self._policy.status_ttl, history=self._policy.history_size)
        self._publish = Publisher(self.store, lambda: (self.pid, self._config), self._monitor.wake)
        self._launch.on_spawn = self._publish.starting

    @property
    def status(self) -> Status:
        return self.store.current

    @property
    def config(self) -> LlmLinkConfig:
        """What runs (or would be started); changed by a verified switch or apply, never from outside."""
        return self._config

    @property
    def policy(self) -> Policy:
        return self._policy

    @property
    def log_path(self) -> Path:
        return self._output.path

    @property
    def pid(self) -> int | None:
        return self._current.pid if self._current else None

    @property
    def busy(self) -> bool:
        """An intent (start, switch, …) holds the lock and publishes its own states: the monitor only watches."""
        return self._lock.locked()

    @property
    def restart_pending(self) -> bool:
        """An automatic restart (after a crash or a failed start) is scheduled and has not run yet."""
        return self._restarts.pending

    async def open(self, *, autostart: bool = True) -> Status:
        """Adopt the llm-link our PID file names, or start one (unless `autostart` is off); start polling."""
        async with self._lock:
            adopted = adopt_recorded(self.paths.pid_file, self._config, self._output)
            if adopted is not None:
                self._watch(adopted.process)
                self._current, self._config = adopted, adopted.config
                self._publish.starting(adopted.config, adopted.pid)
            elif autostart:
                await self._start_locked()
        adopted_unverified = self._current is not None and self.status.state is not State.RUNNING
        if adopted_unverified or (self._current is None and not autostart):
            await self.refresh_now()
        self._monitor.start()
        return self.status

    async def close(self, *, stop_llmlink: bool = True) -> None:
        """Stop watching; stop llm-link too unless the user wants it kept running after quit."""
        await self._monitor.stop()
        await self._restarts.close()
        await self._tasks.cancel_all()
        async with self._lock:
            if stop_llmlink:
                await self._stop_current()
            elif self._current is not None:
                await self._current.detach()  # its exit goes unseen from now on: never a crash
        await self._clients.aclose()
        self._output.close()

    async def start(self) -> Status:
        async with self._lock:
            self._restarts.started_by_user(reset=True)
            if self._current is None:
                await self._start_locked()
        return self.status

    async def stop(self) -> Status:
        """A user's stop: auto-restart rests until the next start."""
        async with self._lock:
            self._restarts.stopped_by_user()
            await self._stop_current()
            self._publish(State.STOPPED, error=None, details=HealthDetails())
        return self.status

    async def restart(self) -> Status:
        async with self._lock:
            self._restarts.started_by_user()
            await self._stop_current()
            await self._start_locked()
        return self.status

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
        """The restart protocol (see `switching`): the new config is committed only once a verified instance
        runs it; on failure the previous one runs again. `hot=True` tries llm-link's in-place switch first."""
        request = SwitchRequest(provider_id, model, api_key, base_url, hot)
        async with self._lock:
            outcome = await switching.switch(request, self._current, self._config, self._hands(progress))
            return await self._settle(outcome)

    async def apply(
        self, config: LlmLinkConfig, key: Secret | None, *, progress: Progress | None = None
    ) -> SwitchResult:
        """Settings' Apply of `config` with provider key `key` (None: the stored one): a changed launch gets a
        new instance, and the old one runs on if that one fails (see `switching.relaunch`); else a switch."""
        async with self._lock:
            if switching.launch_changed(config, self._config):
                outcome = await switching.relaunch(config, key, self._current, self._hands(progress))
            else:
                request = SwitchRequest(config.provider, config.model, key, config.base_url)
                outcome = await switching.switch(request, self._current, self._config, self._hands(progress))
            return await self._settle(outcome)

    async def validate(
        self, provider_id: str, key: Secret | None, *, model: str | None = None, base_url: str | None = None
    ) -> tuple[ModelInfo, ...]:
        """Settings' Validate (see `switching.validate`): llm-link is asked only when it runs and is idle."""
        client = None if self.busy or self._current is None else self._clients.get(self._config.port)
        return await switching.validate(provider_id, key, model=model, base_url=base_url, client=client)

    def set_policy(self, policy: Policy) -> None:
        """The one way to change the policy: launches, restarts, polling and the status cache follow it."""
        self._policy = self._launch.policy = self._restarts.policy = policy
        self.store.ttl = policy.status_ttl
        self._monitor.wake()  # a new interval counts from now

    def set_auth_key(self, key: Secret | None) -> None:
        """llm-link's own access key for the OpenAI-style app modes; used from the next start on."""
        self._launch.auth_key = key

    def set_binary(self, binary: str | None) -> None:
        """The llm-link binary for the next start (first run, once installed); a running one is left alone."""
        self._config = replace(self._config, binary=binary)

    async def refresh_now(self) -> Status:
        """Probe now and publish what was found (the store's refresher)."""
        if self.busy:
            return self.status  # an intent is publishing its own states
        self._publish.probed(await self.probe())
        return self.status

    def refresh(self) -> None:
        """Refresh from the UI: forget the cached probe and wake the poll loop; returns at once."""
        self.store.invalidate()
        self._monitor.refresh_soon()

    async def probe(self) -> HealthDetails:
        """One full check of the configured port and the current instance; publishes nothing."""
        port, protocol, auth = self._config.port, APP_PROTOCOLS.get(self._config.app_mode), self._launch.auth_key
        identity = self._current.identity if self._current else None
        route, key = EDITOR_ROUTES.get(protocol) if protocol else None, auth.reveal() if auth else None
        return await probe(self._clients.get(port), LOOPBACK_HOST, port, identity, editor_route=route, auth_key=key)

    # --- starting, committing, stopping, crashes ---------------------------------------------------

    def _hands(self, progress: Progress | None) -> Actions:
        client = self._clients.get(self._config.port)
        return Actions(self._launch, self._stop_current, self._key_for, client, progress or (lambda _step: None))

    async def _start_locked(self) -> None:
        try:
            key = await self._key_for(switching.provider_spec(self._config.provider), starting=True)
            instance = await self._launch(self._config, key)
        except AppErrorException as exc:
            self._failed(exc.error, retry=False)
        except LaunchFailed as failure:
            self._failed(failure.error, retry=failure.retryable)
        else:
            await self._commit(instance)

    async def _commit(self, instance: Instance, failure: AppError | None = None, old: Instance | None = None) -> None:
        """`instance` is the current one from now on: watched, probed, published, with a failed intent beside
        it if any; `old` (the one it replaces on another port) is stopped meanwhile."""
        if self._current is not None and self._current.process is instance.process:
            pidfile.rewrite(self.paths.pid_file, instance.record())  # the same process, with a new config (hot)
        else:
            self._watch(instance.process)
        self._current, self._config = instance, instance.config
        if old is not None:
            await old.stop(self._policy.stop_grace)  # not current: its exit is no crash; the PID file is new
        details, last = await self.probe(), Failure(failure) if failure else None
        self._publish.probed(details, error=None, last_failure=last)

    async def _settle(self, outcome: Outcome) -> SwitchResult:
        if not outcome.changed:  # refused before anything was stopped: the state keeps its own cause
            assert outcome.error is not None
            self._publish.refused(outcome.error)
            return SwitchResult(False, self.status, outcome.error)
        if outcome.path == "start":  # llm-link was not running: this was a user's start
            self._restarts.started_by_user()
        if outcome.instance is None:  # nothing runs: the failure is the state's own cause
            self._publish(State.ERROR, error=outcome.error, pid=None, last_failure=None)
        else:
            await self._commit(outcome.instance, outcome.error, outcome.retire)
        return SwitchResult(outcome.error is None, self.status, outcome.error, outcome.path)

    async def _stop_current(self) -> None:
        instance, self._current = self._current, None  # first: its exit is no crash
        if instance is not None:
            await instance.stop(self._policy.stop_grace)
            pidfile.remove(self.paths.pid_file)

    async def _key_for(self, spec: Provider, *, starting: bool = False) -> Secret | None:
        show = self._publish.key_wait(spec.id, starting=starting)  # a wait on the keyring's unlock prompt
        return await switching.lookup_key(spec, self._keys, show=show)

    def _watch(self, process: LlmLinkProcess) -> None:
        def exited(_: object) -> None:
            # Only the current instance's exit is a crash: not a stop we asked for, nor a failed launch.
            if self._current is not None and self._current.process is process:
                self._tasks.spawn(self._handle_crash(process), name=f"llm-link {process.pid} crashed")

        process.exited.add_done_callback(exited)

    async def _handle_crash(self, process: LlmLinkProcess) -> None:
        async with self._lock:
            current = self._current
            if current is not None and current.process is process:  # else: stopped or replaced meanwhile
                self._current = None
                pidfile.remove(self.paths.pid_file)
                error = self._restarts.crashed(process.exited.result(), time.monotonic() - current.started_at)
                self._failed(error, retry=True, details=HealthDetails())

    def _failed(self, error: AppError, *, retry: bool, **changes: object) -> None:
        """Nothing runs, because of `error`; with `retry` the Restarter starts it again later, or gives up."""
        self._publish(State.ERROR, error=error, pid=None, **changes)
        if retry and (gave_up := self._restarts.schedule(error.details)) is not None:
            self._publish(State.ERROR, error=gave_up)  # CRASH_LOOP, with the same last words

    async def _restart_if_down(self) -> None:
        async with self._lock:  # the Restarter's: only if, by now, nothing runs and no user stopped it
            if not self._restarts.user_stopped and self._current is None:
                await self._start_locked()

    async def _restart_degraded(self) -> None:
        async with self._lock:  # the monitor's: only if, by now, llm-link is still DEGRADED
            if self.status.state is State.DEGRADED and self._current is not None:
                await self._stop_current()
                await self._start_locked()
