"""The supervisor keeps one llm-link running as configured: a façade that owns the lock, the current `Instance`
and the published status. Intents take the lock one after the other; while one runs it publishes its own states
and the monitor only watches. The rules live beside it: `instance` (launch), `switching` (switch, relaunch,
rollback), `restarts` (crashes, backoff), `monitor` (polling, hangs), `state` and `publisher` (the status).

With a gateway (the app's arrangement; see `gateway`), the editor's port is the gateway's and every llm-link
runs on a private port of its own: a switch or restart starts the new one beside the serving one, the gateway
flips to it, and the old one is stopped once its requests have drained. Without one (tests of llm-link
itself, benchmarks of bare supervision), llm-link listens on the configured port directly."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from app.errors import AppError, AppErrorException, ErrorCode
from app.llmlink_client import ModelInfo
from app.paths import Paths
from app.providers import Provider
from app.secret import Secret
from app.supervisor import pidfile, switching, traffic
from app.supervisor.clients import ClientPool
from app.supervisor.config import KeyLookup, LlmLinkConfig
from app.supervisor.contract import APP_PROTOCOLS, LOOPBACK_HOST
from app.supervisor.front import Front
from app.supervisor.gateway import RESTARTING_REASON, STOPPED_REASON, GatewaySetup
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
from app.supervisor.tamper import TamperWatch
from app.tasks import BackgroundTasks

__all__ = ["GatewaySetup", "Progress", "Supervisor", "SwitchResult"]

log = logging.getLogger("llm_link_tray.supervisor")


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
        gateway: GatewaySetup | None = None,
    ) -> None:
        self.paths, self._config, self._policy, self._keys = paths, config, policy or Policy(), keys
        self._lock = asyncio.Lock()  # held by one intent at a time (start, switch, a crash's handling, …)
        self._current: Instance | None = None  # the llm-link we run (or adopted); None: nothing runs
        self._clients, self._output = ClientPool(), OutputLog(paths.llmlink_log)
        folders = {"state": paths.state_dir, "log": paths.log_dir}  # must take files before a spawn
        self._launch = Launcher(self._output, self._policy, paths.pid_file, folders, env, auth_key, self._clients)
        self._launch.private = gateway is not None
        self._tasks = BackgroundTasks("supervisor")  # crash handlers, retirements
        # The editor's side behind the gateway (front.py); None: llm-link itself on the configured port.
        self._front = Front(gateway, self._policy, self._clients, self._tasks, self.refresh) if gateway else None
        # Behind the gateway, changes of llm-link's settings by other local programs are noticed and undone.
        self._tamper = TamperWatch(self._tampered) if gateway else None
        if self._tamper is not None:
            self._launch.on_line, self._launch.announce = self._tamper.line, self._tamper.expect
        self._restoring = False  # a restore after tampering is on its way
        self._restarts = Restarter(self._policy, self._restart_if_down)
        self._monitor = Monitor(self, self._restart_degraded)
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
    def llmlink_port(self) -> int | None:
        """The port llm-link itself listens on: a private one behind the gateway (only the supervisor, tests
        and benchmarks talk there), else the configured one. None while nothing runs."""
        return self._current.port if self._current else None

    @property
    def gateway_pid(self) -> int | None:
        return self._front.keeper.pid if self._front else None

    @property
    def traffic(self) -> traffic.Traffic | None:
        """Activity and provider health from real editor traffic, as of the last probe (None: no gateway)."""
        return self._front.traffic if self._front else None

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
            behind = self._front is not None
            on_line = self._tamper.line if self._tamper else None
            adopted = None
            if self._current is None:  # else an intent that came first (a CLI `start`) has started one
                recorded = self.paths.pid_file
                adopted = adopt_recorded(recorded, self._config, self._output, private=behind, on_line=on_line)
            if adopted is not None and behind and adopted.port == self._config.port:
                # A tray from before the gateway left llm-link on the editor's port: the gateway needs it.
                log.info("replacing llm-link %d, started before the gateway, on port %d", adopted.pid, adopted.port)
                await adopted.stop(self._policy.stop_grace)
                pidfile.remove(self.paths.pid_file)
                adopted = None
            if self._front is not None:
                await self._front.keeper.open(self._config.port)  # adopted if it is ours, else started
            if adopted is not None:
                self._watch(adopted.process)
                self._current, self._config = adopted, adopted.config
                self._publish.starting(adopted.config, adopted.pid)
                await self._serve(adopted)
            elif autostart and self._current is None:
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
            if self._front is not None:  # first: it lets the requests in flight finish
                await self._front.close(stop=stop_llmlink)
            if stop_llmlink:
                await self._stop_current()
            elif self._current is not None:
                await self._current.detach()  # its exit goes unseen from now on: never a crash
        await self._clients.aclose()
        self._output.close()

    async def start(self) -> Status:
        async with self._lock:
            self._restarts.started_by_user(reset=True)
            if self._front is not None:
                await self._front.keeper.restart_if_down()
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
            if self._front is not None:
                await self._front.keeper.restart_if_down()
            await self._replace_locked()
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
            if self._front is not None and config.port != self._config.port:
                moved = await self._front.keeper.move(config.port)  # the editor's port is the gateway's
                if moved is not None:
                    self._publish.refused(moved)
                    return SwitchResult(False, self.status, moved)
                self._moved_to(config.port)
                if key is None and config == self._config:
                    self._publish(self.status.state)
                    return SwitchResult(True, self.status, None, "")
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
        client = None if self.busy or self._current is None else self._clients.get(self._current.port)
        return await switching.validate(provider_id, key, model=model, base_url=base_url, client=client)

    def set_policy(self, policy: Policy) -> None:
        """The one way to change the policy: launches, restarts, polling and the status cache follow it."""
        self._policy = self._launch.policy = self._restarts.policy = policy
        if self._front is not None:
            self._front.follow(policy)
        self.store.ttl = policy.status_ttl
        self._monitor.wake()  # a new interval counts from now

    def set_auth_key(self, key: Secret | None) -> None:
        """The editor-facing access key of the OpenAI-style app modes (None: none asked). Behind the gateway it
        is the gateway's to check, at once (llm-link gets a throwaway of its own); else llm-link's, from the
        next start on."""
        if self._front is None:
            self._launch.auth_key = key
        else:
            self._tasks.spawn(self._front.set_access_key(key), name="gateway policy")

    async def set_allowed_origins(self, origins: list[str] | None) -> AppError | None:
        """The browser origins the gateway lets through (None: Ollama's defaults). No gateway: nothing to do."""
        return None if self._front is None else await self._front.set_origins(origins)

    def set_binary(self, binary: str | None) -> None:
        """The llm-link binary for the next start (first run, once installed); a running one is left alone."""
        self._config = replace(self._config, binary=binary)

    async def refresh_now(self) -> Status:
        """Probe now and publish what was found (the store's refresher)."""
        if self.busy:
            return self.status  # an intent is publishing its own states
        details = await self.probe()
        self._publish_probe(details)
        current = self._current
        ours = current is not None and details.api_pid == current.pid
        if self._tamper is not None and current is not None and ours and self._drifted(details):
            # What it runs is not what we started (changed while no tray watched its output, say): restore.
            self._tampered(current.pid, f"it runs {details.provider}/{details.model}")
        return self.status

    def refresh(self) -> None:
        """Refresh from the UI: forget the cached probe and wake the poll loop; returns at once."""
        self.store.invalidate()
        self._monitor.refresh_soon()

    async def probe(self) -> HealthDetails:
        """One full check of llm-link's port, the current instance and the gateway; publishes nothing (it
        keeps what the gateway counted in `traffic`)."""
        current, protocol = self._current, APP_PROTOCOLS.get(self._config.app_mode)
        auth = current.auth_key if current and current.auth_key else self._launch.auth_key
        route, key = EDITOR_ROUTES.get(protocol) if protocol else None, auth.reveal() if auth else None
        if self._front is None:
            port, identity = self._config.port, current.identity if current else None
            return await probe(self._clients.get(port), LOOPBACK_HOST, port, identity, editor_route=route, auth_key=key)
        details = HealthDetails()
        if current is not None:
            client, port = self._clients.get(current.port), current.port
            details = await probe(client, LOOPBACK_HOST, port, current.identity, editor_route=route, auth_key=key)
        return await self._front.probe(details, self._config.provider)

    # --- starting, committing, stopping, crashes ---------------------------------------------------

    def _hands(self, progress: Progress | None) -> Actions:
        client = self._clients.get(self._current.port if self._current else self._config.port)
        step = progress or (lambda _step: None)
        announce = self._tamper.expect if self._tamper else (lambda _pid: None)
        beside = self._front is not None
        return Actions(self._launch, self._stop_current, self._key_for, client, step, beside=beside, announce=announce)

    def _publish_probe(self, details: HealthDetails, **changes: object) -> None:
        """What a probe found. A gateway that could not start (its port taken, a crash loop) is an ERROR the
        user must act on, whatever llm-link does: editors cannot reach it."""
        front = self._front
        if front is None:
            self._publish.probed(details, **changes)
            return
        if (blocking := front.blocking_error()) is not None:
            self._publish(State.ERROR, **{**changes, "error": blocking, "details": details, "traffic": None})
            return
        causes = front.causes(details, self._config.port) if self._current is not None else {}
        self._publish.probed(details, **{"traffic": front.traffic, **causes, **changes})

    def _moved_to(self, port: int) -> None:
        """The gateway listens on `port` now: the config (and what the current instance serves under) say so."""
        self._config = replace(self._config, port=port)
        if self._current is not None:
            self._current = replace(self._current, config=replace(self._current.config, port=port))

    async def _serve(self, instance: Instance, old: Instance | None = None) -> None:
        """Behind the gateway: new requests go to `instance` now; `old` is stopped once its requests are done
        (front.py). Without one, `old` (on another port) is stopped now."""
        if self._front is not None:
            await self._front.serve(instance, old, self._config.port)
        elif old is not None:
            await old.stop(self._policy.stop_grace)  # not current: its exit is no crash; the PID file is new

    def _drifted(self, details: HealthDetails) -> bool:
        config = self._config
        return details.provider != config.provider or (
            config.model is not None and details.model is not None and details.model != config.model
        )

    def _tampered(self, pid: int, what: str) -> None:
        """llm-link `pid` had its settings changed by another program (see `tamper`): restore ours, at once."""
        current = self._current
        if current is None or current.pid != pid or self._restoring:
            return
        self._restoring = True
        self._tasks.spawn(self._restore(pid, what), name=f"restore llm-link {pid}")

    async def _restore(self, pid: int, what: str) -> None:
        try:
            async with self._lock:
                if self._current is None or self._current.pid != pid:
                    return  # replaced or stopped meanwhile: nothing of the change is left
                log.warning("restoring llm-link's settings (another program changed them: %s)", what)
                error = AppError(
                    ErrorCode.TAMPERED,
                    "another program changed llm-link's settings; the tray restored them",
                    "If you did not expect this, check which programs run as your user (see docs/SECURITY.md).",
                )
                await self._replace_locked(failure=error)
        finally:
            self._restoring = False

    async def _replace_locked(self, failure: AppError | None = None) -> None:
        """A restart: behind the gateway the new instance starts beside the current one, which serves until the
        flip (and on, if the new one fails); else stop, then start. `failure` is shown as the last one."""
        current = self._current
        if self._front is None or current is None:
            await self._stop_current()
            await self._start_locked()
            return
        try:
            key = current.key or await self._key_for(switching.provider_spec(self._config.provider))
            new = await self._launch(self._config, key)
        except AppErrorException as exc:
            self._publish.refused(exc.error)
        except LaunchFailed as failed:
            self._publish.refused(failed.error)
        else:
            await self._commit(new, failure, old=current)

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
        await self._serve(instance, old)
        details, last = await self.probe(), Failure(failure) if failure else None
        self._publish_probe(details, error=None, last_failure=last)

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

    async def _stop_current(self, reason: str = STOPPED_REASON) -> None:
        instance, self._current = self._current, None  # first: its exit is no crash
        if instance is not None:
            if self._front is not None:  # editors wait (then get `reason`), never a refused connection
                await self._front.clear(reason)
            await instance.stop(self._policy.stop_grace)
            pidfile.remove(self.paths.pid_file)
            if self._front is not None:
                await self._front.forget(instance)

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
                if self._front is not None:  # editors' requests wait for the restart (or get the reason)
                    restarting = self._policy.auto_restart and not self._restarts.user_stopped
                    await self._front.clear(RESTARTING_REASON if restarting else STOPPED_REASON)
                    await self._front.forget(current)
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
                await self._replace_locked()
