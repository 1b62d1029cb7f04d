"""One running llm-link (`Instance`), and the one way to get a verified one (`launch`).

launch: resolve the binary → build the plan → port free? → folders usable → spawn → wait until *this* pid
answers → key swap (0.7.0) → verify provider and model → an Instance. It publishes nothing and writes no PID
file: what a new instance means (the supervisor's current one, one beside it for a blue/green switch, a test's
or a benchmark's) is up to the caller. It works on any port, whatever else runs on other ports. A failure is a
`LaunchFailed`, and whatever it spawned has been stopped by then.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final

from app.errors import AppError, AppErrorException, ErrorCode, key_rejected
from app.llmlink_client import Health, LlmLinkClient, LlmLinkError
from app.secret import Secret
from app.supervisor import pidfile
from app.supervisor.binary import find_binary
from app.supervisor.clients import ClientPool
from app.supervisor.config import LlmLinkConfig
from app.supervisor.contract import APP_PROTOCOLS, LOOPBACK_HOST, Contract, LaunchPlan, LaunchRequest, build_launch
from app.supervisor.disk import check_folders, folder_unusable
from app.supervisor.output_log import OutputLog
from app.supervisor.policy import Policy
from app.supervisor.ports import free_port, port_in_use_error
from app.supervisor.probe import Identity
from app.supervisor.process import STOP_GRACE, Exit, LlmLinkProcess, adopt, port_open, spawn, wait_port_free

log = logging.getLogger("llm_link_tray.supervisor.instance")

START_TIMEOUT: Final = 15.0
READY_FIRST_DELAY: Final = 0.01
READY_MAX_DELAY: Final = 0.2
# llm-link answers 50-130 ms after its spawn (cold start, bench/): within this window it is asked every 10 ms,
# so it is seen at most 10 ms late. Growing from the start (10, 15, 22, 34 … ms) saw an answer possible at 51 ms
# only at 81 ms, a third of the tray's R1 above its floor (docs/PERFORMANCE.md). A refused connection on
# loopback costs well under a millisecond.
READY_STEADY_FOR: Final = 1.0
READY_GROWTH: Final = 1.5  # after that window: a slow machine, no need to ask that often
PROBE_HTTP_TIMEOUT: Final = 1.0

# Told the name of each step a switch or launch reaches ("validating", "verifying", …), for a progress line.
Progress = Callable[[str], None]


class LaunchFailed(Exception):
    """A launch that did not reach a verified instance. `retryable` when trying again may help (a crash or a
    timeout while starting), not when the config itself is wrong (no binary, port taken, bad key)."""

    def __init__(self, error: AppError, *, retryable: bool) -> None:
        super().__init__(str(error))
        self.error = error
        self.retryable = retryable


@dataclass(frozen=True, eq=False)
class Instance:
    """One llm-link we run (or adopted). Frozen: a hot switch makes a new Instance around the same process."""

    process: LlmLinkProcess
    binary: Path
    # What it runs, as verified (the model llm-link picked filled in); `port` is where it listens.
    config: LlmLinkConfig
    # The provider key it runs with; None when the provider needs none, or for an adopted one (not known).
    key: Secret | None
    port: int
    started_at: float  # time.monotonic() once verified (or adopted)
    adopted: bool = False
    contract: Contract | None = None  # not asked for an adopted one
    # llm-link's own access key on its port: behind the gateway a throwaway, made anew for every start.
    auth_key: Secret | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def exited(self) -> asyncio.Future[Exit]:
        return self.process.exited

    async def stop(self, grace: float = STOP_GRACE) -> Exit:
        """SIGTERM, SIGKILL after `grace` seconds; returns once it is gone and its port free for the next one."""
        outcome = await self.process.stop(grace)
        await wait_port_free(LOOPBACK_HOST, self.port)
        return outcome

    async def detach(self) -> None:
        """Stop watching it and leave it running (the user keeps llm-link after quitting)."""
        await self.process.detach()

    @property
    def identity(self) -> Identity:
        return Identity(self.pid, self.process.create_time)

    def record(self) -> pidfile.PidRecord:
        """What the PID file says about it, so a later tray can adopt it."""
        return pidfile.PidRecord(
            self.pid,
            self.process.create_time,
            str(self.binary),
            self.port,
            self.config.fingerprint(),
            self.config.fingerprint(with_model=False),
            self.auth_key.reveal() if self.auth_key else "",
        )


@dataclass(frozen=True)
class Prepared:
    binary: Path
    contract: Contract
    plan: LaunchPlan


async def prepare(
    config: LlmLinkConfig,
    key: Secret | None,
    *,
    port: int | None = None,
    auth_key: Secret | None = None,
    env: Mapping[str, str] | None = None,
) -> Prepared:
    """A launch's checks before anything runs: the binary is an llm-link we can drive, and the config makes a
    launch plan for it. Raises LaunchFailed (never retryable). Cheap (the binary's contract is cached), so a
    switch makes them before it stops the old instance: a config that cannot start never stops one that runs."""
    check = await find_binary(config.binary)
    if check.contract is None or check.path is None:
        assert check.error is not None
        raise LaunchFailed(check.error, retryable=False)
    request = LaunchRequest(
        provider=config.provider,
        port=config.port if port is None else port,
        model=config.model,
        api_key=key,
        base_url=config.base_url,
        app_mode=config.app_mode,
        auth_key=auth_key,
        host=LOOPBACK_HOST,
        log_level=config.log_level,
    )
    try:
        return Prepared(check.path, check.contract, build_launch(check.contract, request, env))
    except AppErrorException as exc:
        raise LaunchFailed(exc.error, retryable=False) from None


async def launch(
    config: LlmLinkConfig,
    key: Secret | None,
    *,
    output: OutputLog,
    port: int | None = None,
    auth_key: Secret | None = None,
    env: Mapping[str, str] | None = None,
    start_timeout: float = START_TIMEOUT,
    stop_grace: float = STOP_GRACE,
    state_dirs: Mapping[str, Path] | None = None,
    client: LlmLinkClient | None = None,
    progress: Progress | None = None,
    on_spawn: Callable[[int], None] | None = None,
    on_line: Callable[[int, str], None] | None = None,
    announce: Callable[[int], None] | None = None,
) -> Instance:
    """Start llm-link for `config` with provider key `key` on `port` (default `config.port`), verified.

    `output` takes its output; `auth_key` is llm-link's own access key (OpenAI-style app modes); `env` the
    environment it starts from (default ours); `state_dirs` ({what: folder}) must take files before it is
    spawned; `client` is a client for `port` to reuse (one is made otherwise); `on_spawn(pid)` is told the new
    pid at once, `progress("verifying")` once it waits for it; `on_line(pid, line)` hears its output, and
    `announce(pid)` is told before each change of settings it makes itself (the key swap), so that a tamper
    watch can tell them from changes by others. Raises LaunchFailed.
    """
    port = config.port if port is None else port
    prepared = await prepare(config, key, port=port, auth_key=auth_key, env=env)
    plan = prepared.plan
    if port_open(LOOPBACK_HOST, port):
        raise LaunchFailed(port_in_use_error(port), retryable=False)
    if state_dirs:
        # Before the spawn: once llm-link runs, a PID file we cannot write leaves it unadoptable.
        # (A thread: the probe fsyncs, which can take a while on a busy disk.)
        unusable = await asyncio.to_thread(check_folders, dict(state_dirs))
        if unusable is not None:
            raise LaunchFailed(unusable, retryable=False)

    proc = await spawn(prepared.binary, plan, output, on_line)
    own_client = client is None
    http = client or LlmLinkClient(f"http://{LOOPBACK_HOST}:{port}")
    try:
        if on_spawn is not None:
            on_spawn(proc.pid)
        if progress is not None:
            progress("verifying")
        health = await _wait_ready(proc, http, start_timeout, output)
        if plan.key_swap is not None:
            swap = plan.key_swap
            if announce is not None:
                announce(proc.pid)
            result = await http.update_key(swap.provider, swap.api_key, base_url=swap.base_url)
            if not result.succeeded:
                error = key_rejected(f"llm-link refused the {swap.provider} key: {result.message}")
                raise LaunchFailed(error, retryable=False)
        verified = await _verify(proc, http, config, health)
    except BaseException as exc:
        # Whatever went wrong (a cancel too), nothing we spawned stays behind.
        await proc.stop(stop_grace)
        await wait_port_free(LOOPBACK_HOST, port)
        if isinstance(exc, LlmLinkError):
            raise LaunchFailed(exc.to_app_error(), retryable=True) from None
        raise
    finally:
        if own_client:
            await http.aclose()
    verified_config = replace(config, model=verified.model)
    started = time.monotonic()
    return Instance(
        proc, prepared.binary, verified_config, key, port, started, contract=prepared.contract, auth_key=auth_key
    )


@dataclass
class Launcher:
    """`launch` with one owner's settings (the supervisor's). With a `pid_file`, each new instance is recorded
    there before it is handed out, and stopped instead if that write fails (the disk filled since the folder
    check): one running unrecorded could not be adopted by a later tray."""

    output: OutputLog
    policy: Policy = field(default_factory=Policy)  # its start timeout and stop grace
    pid_file: Path | None = None
    state_dirs: Mapping[str, Path] = field(default_factory=dict)
    env: Mapping[str, str] | None = None
    auth_key: Secret | None = None
    clients: ClientPool | None = None  # the clients to reuse, one per port
    on_spawn: Callable[[LlmLinkConfig, int], None] | None = None
    # Behind the gateway: every launch gets a fresh private port and a throwaway access key (where the app
    # mode wants one), never the editor-facing ones, so a new instance can start beside the serving one.
    private: bool = False
    on_line: Callable[[int, str], None] | None = None  # see `launch`
    announce: Callable[[int], None] | None = None

    async def check(self, config: LlmLinkConfig, key: Secret | None) -> None:
        """`prepare`'s checks for `config`, without launching anything. Raises LaunchFailed."""
        await prepare(config, key, auth_key=self._auth_for(config), env=self.env)

    def _auth_for(self, config: LlmLinkConfig) -> Secret | None:
        if not self.private:
            return self.auth_key
        return Secret(secrets.token_urlsafe(24)) if APP_PROTOCOLS.get(config.app_mode) == "openai" else None

    async def __call__(
        self, config: LlmLinkConfig, key: Secret | None, progress: Progress | None = None, *, port: int | None = None
    ) -> Instance:
        if port is None:
            port = free_port() if self.private else config.port
        on_spawn = self.on_spawn
        try:
            instance = await launch(
                config,
                key,
                output=self.output,
                port=port,
                auth_key=self._auth_for(config),
                env=self.env,
                start_timeout=self.policy.start_timeout,
                stop_grace=self.policy.stop_grace,
                state_dirs=self.state_dirs,
                client=self.clients.get(port) if self.clients else None,
                progress=progress,
                on_spawn=(lambda pid: on_spawn(config, pid)) if on_spawn else None,
                on_line=self.on_line,
                announce=self.announce,
            )
        except BaseException:
            await self._release(port)
            raise
        if self.pid_file is not None:  # recorded before it is handed out, or stopped (see above)
            try:
                pidfile.write(self.pid_file, instance.record())
            except OSError as exc:
                await self.discard(instance)
                reason = exc.strerror or str(exc)
                raise LaunchFailed(folder_unusable(self.pid_file.parent, "state", reason), retryable=False) from None
        return instance

    async def discard(self, instance: Instance) -> None:
        """Stop `instance`, launched but never to serve (a check refused it), and close its port's client."""
        await instance.stop(self.policy.stop_grace)
        await self._release(instance.port)

    async def _release(self, port: int) -> None:
        # A private port is never used again (the next launch draws a new one): without this, every refused
        # switch left a client, and its connection to a dead process, in the pool until the tray quit.
        if self.private and self.clients is not None:
            await self.clients.drop(port)


def adopt_recorded(
    pid_file: Path,
    config: LlmLinkConfig,
    output: OutputLog,
    *,
    private: bool = False,
    on_line: Callable[[int, str], None] | None = None,
) -> Instance | None:
    """The llm-link our PID file names, if it is still ours (see `pidfile.is_ours`), watched from now on; its
    config is `config` on the recorded port (what it really runs is only known from its fingerprint). With
    `private` (behind the gateway) its config keeps the editor's port: the recorded one is its private port."""
    record = pidfile.adoptable(pid_file)
    if record is None:
        return None
    # Its output is read again (see `process.reopen_output`): behind the gateway the tamper watch needs it.
    process = adopt(record.pid, record.create_time, output if private else None, on_line)
    if not private:
        config = replace(config, port=record.port)
    output.note(f"adopted llm-link (pid {record.pid}) from an earlier run")
    # Saved settings without a model let llm-link pick one, which the record names: compare without it then.
    runs_it = record.fingerprint == config.fingerprint() or (
        config.model is None and record.fingerprint_without_model == config.fingerprint(with_model=False)
    )
    if not runs_it:
        log.warning("adopted llm-link %d runs another config than the saved one", record.pid)
    auth = Secret(record.auth) if record.auth else None
    return Instance(
        process, Path(record.binary), config, None, record.port, time.monotonic(), adopted=True, auth_key=auth
    )


async def _wait_ready(proc: LlmLinkProcess, client: LlmLinkClient, timeout: float, output: OutputLog) -> Health:
    """Poll `/api/health` (every 10 ms for a second, then growing to 200 ms) until *this* pid answers; early out
    on exit."""
    started = time.monotonic()
    deadline = started + timeout
    delay = READY_FIRST_DELAY
    while True:
        if proc.exited.done():
            outcome = proc.exited.result()
            raise LaunchFailed(
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
            raise LaunchFailed(
                AppError(
                    ErrorCode.START_TIMEOUT,
                    f"llm-link (pid {proc.pid}) did not answer within {timeout:g}s",
                    "View the log; if the machine is busy, try Start again.",
                    output.tail(),
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
            # Another llm-link answers on this port (two starts raced): not ours to call ready.
        await asyncio.wait({proc.exited}, timeout=min(delay, max(remaining, 0)))
        if time.monotonic() - started >= READY_STEADY_FOR:
            delay = min(delay * READY_GROWTH, READY_MAX_DELAY)


async def _verify(proc: LlmLinkProcess, client: LlmLinkClient, config: LlmLinkConfig, health: Health) -> Health:
    """The new instance runs what was asked: provider and (when one was named) model."""
    current = await client.current_config()
    if (
        health.provider != config.provider
        or current.provider != config.provider
        or (config.model is not None and (health.model != config.model or current.model != config.model))
    ):
        raise LaunchFailed(
            AppError(
                ErrorCode.SWITCH_FAILED,
                f"llm-link (pid {proc.pid}) runs {health.provider}/{health.model}, "
                f"not {config.provider}/{config.model or 'default'}",
                "Try again; if it persists, check the binary version in Settings.",
            ),
            retryable=False,
        )
    return health
