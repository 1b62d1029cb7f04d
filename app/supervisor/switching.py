"""Changing what llm-link runs: the restart protocol of a provider switch, and the relaunch of Settings' Apply.

A switch: our own checks (key format, upstream answers) → llm-link validates and plans the update → with
`hot`, llm-link's in-place switch, trusted only once health and current config confirm it → otherwise stop →
launch the new config → verified; if that cannot come up, the previous config is launched again (rollback).

A relaunch (port, app mode, binary or log level changed): a new port gets its new instance beside the old one,
which serves until the new one is verified; on the same port it is check → stop → launch → rollback. Either
way the old config is running again when the new one fails, never "nothing runs".

These functions take the current Instance and the supervisor's hands (`Actions`) and return an `Outcome`; the
supervisor holds its lock around them and commits the outcome (its current instance, the status it publishes).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Final

from app.errors import AppError, AppErrorException, key_missing, switch_failed
from app.llmlink_client import LlmLinkClient, LlmLinkError, RestartPlan
from app.providers import Provider
from app.secret import Secret
from app.supervisor import pidfile
from app.supervisor.config import KeyLookup, LlmLinkConfig
from app.supervisor.contract import LOOPBACK_HOST
from app.supervisor.instance import PROBE_HTTP_TIMEOUT, Instance, Launcher, LaunchFailed, Progress
from app.supervisor.state import KEYRING_WAIT, Status

# The checks live in `validation`; switches run them, and the supervisor reaches them through this module.
from app.supervisor.validation import check_key_and_upstream, validate_with
from app.supervisor.validation import provider_spec as provider_spec
from app.supervisor.validation import validate as validate

log = logging.getLogger("llm_link_tray.supervisor.switching")

# An open keyring answers in ~20 ms (~90 ms with the first import): a lookup slower than this is shown waiting.
KEY_WAIT_NOTICE: Final = 0.25


@dataclass(frozen=True)
class SwitchResult:
    ok: bool
    status: Status
    error: AppError | None = None
    # "hot" (applied in place), "restart" (new process), "start" (was not running), or "" (nothing changed).
    path: str = ""


@dataclass(frozen=True)
class Outcome:
    """What a switch or relaunch left behind, for the supervisor to commit.

    `changed=False`: refused before anything was touched; `error` is shown beside the unchanged state.
    Otherwise `instance` serves now (the new one, the rolled-back one, or the old one kept) and `error`, if any,
    is the failed intent beside it; with no instance nothing runs and `error` is the state's own cause.
    `retire` is an old instance to stop once `instance` is committed (after a move to another port).
    """

    path: str
    instance: Instance | None = None
    error: AppError | None = None
    retire: Instance | None = None
    changed: bool = True


@dataclass(frozen=True)
class Actions:
    """The supervisor's hands: `launch` makes a verified, recorded instance (not yet current; raises
    LaunchFailed), `launch.check` only checks that it could; `stop` stops the current one and forgets it;
    `key_for` is the stored key of a provider; `client` talks to the configured port; `step` is told each
    step's name."""

    launch: Launcher
    stop: Callable[[], Awaitable[None]]
    key_for: Callable[[Provider], Awaitable[Secret | None]]
    client: LlmLinkClient
    step: Progress
    # Behind the gateway every launch gets its own private port: the new instance starts beside the serving
    # one (blue/green), which is retired only once the gateway has flipped to the new one.
    beside: bool = False
    # Told the pid of an llm-link just before we change its settings ourselves (see `tamper`).
    announce: Callable[[int], None] = lambda _pid: None


@dataclass(frozen=True)
class SwitchRequest:
    provider_id: str
    model: str | None = None
    api_key: Secret | None = None  # None: the stored key
    base_url: str | None = None
    hot: bool = False


def launch_changed(wanted: LlmLinkConfig, current: LlmLinkConfig) -> bool:
    """What only a new process can change (the provider, model and base URL a running one can switch)."""
    return (wanted.port, wanted.app_mode, wanted.binary, wanted.log_level) != (
        current.port,
        current.app_mode,
        current.binary,
        current.log_level,
    )


async def switch(request: SwitchRequest, current: Instance | None, config: LlmLinkConfig, act: Actions) -> Outcome:
    """The restart protocol for `request`; `config` is what the supervisor runs (or would start) now."""
    step, client = act.step, act.client
    try:
        spec = provider_spec(request.provider_id)
        key = request.api_key if request.api_key is not None else await act.key_for(spec)
        wanted = replace(config, provider=spec.id, model=request.model, base_url=request.base_url)
        step("validating")
        await check_key_and_upstream(spec, key, request.base_url)
        if current is None or not await answers(client, current):
            return await _start_instead(current, wanted, key, act)
        # Beside the serving instance, llm-link's own check runs on the new one (see `launch_beside`): on the
        # serving one it slows the editors' requests for an upstream round trip (bench/gateway.py, G5).
        checked_later = act.beside and not request.hot
        if not checked_later:
            await validate_with(client, spec, key, request.model, request.base_url)
        step("updating")
        plan = await client.update(spec.id, key or Secret(""), model=request.model, base_url=request.base_url)
    except AppErrorException as exc:
        return Outcome("", error=exc.error, changed=False)
    except LlmLinkError as exc:
        return Outcome("", error=switch_failed(exc.to_app_error()), changed=False)

    wanted, key = _as_planned(spec, wanted, key, plan)
    if request.hot:
        act.announce(current.pid)
        moved = await switch_in_place(current, client, wanted, key, step)
        if moved is not None:
            return Outcome("hot", moved)
    step("restarting")
    if checked_later:
        return await launch_beside(current, wanted, key, act, check=(spec, request.model, request.base_url))
    return await replace_instance(current, wanted, key, act)


async def relaunch(wanted: LlmLinkConfig, key: Secret | None, current: Instance | None, act: Actions) -> Outcome:
    """A changed launch (see `launch_changed`) for `wanted`, keeping the old instance if the new one fails."""
    try:
        spec = provider_spec(wanted.provider)
        key = key if key is not None else await act.key_for(spec)
        act.step("validating")
        await check_key_and_upstream(spec, key, wanted.base_url)
    except AppErrorException as exc:
        return Outcome("", error=exc.error, changed=False)
    if current is None:
        return await _start_instead(None, wanted, key, act)
    act.step("restarting")
    if wanted.port != current.port or act.beside:
        return await launch_beside(current, wanted, key, act)
    return await replace_instance(current, wanted, key, act)


async def launch_beside(
    current: Instance,
    wanted: LlmLinkConfig,
    key: Secret | None,
    act: Actions,
    check: tuple[Provider, str | None, str | None] | None = None,
) -> Outcome:
    """Two ports: the old instance serves until the new one is verified, and stays, untouched, if it is not.
    With `check` (provider, model, base URL), llm-link's own key validation runs on the new instance before
    it may serve; a key it rejects stops the new one and changes nothing."""
    try:
        new = await act.launch(wanted, key, act.step)
    except LaunchFailed as failure:
        return Outcome("restart", current, switch_failed(failure.error))
    if check is not None:
        spec, model, base_url = check
        try:
            async with LlmLinkClient(f"http://{LOOPBACK_HOST}:{new.port}") as client:
                await validate_with(client, spec, key, model, base_url)
        except (AppErrorException, LlmLinkError) as exc:
            await act.launch.discard(new)
            if act.launch.pid_file is not None:  # the launch recorded the new one: the old one runs on
                pidfile.rewrite(act.launch.pid_file, current.record())
            error = exc.error if isinstance(exc, AppErrorException) else switch_failed(exc.to_app_error())
            return Outcome("", error=error, changed=False)
    return Outcome("restart", new, retire=current)


async def replace_instance(current: Instance, wanted: LlmLinkConfig, key: Secret | None, act: Actions) -> Outcome:
    """Stop → launch `wanted` → on failure launch the previous config again (the same port cannot host both).
    What can be checked without a process (the binary, the launch plan) is checked before anything stops.
    Behind the gateway (`act.beside`) the new one starts beside it instead (see `launch_beside`)."""
    if act.beside:
        return await launch_beside(current, wanted, key, act)
    previous, previous_key = current.config, current.key
    try:
        await act.launch.check(wanted, key)
    except LaunchFailed as failure:
        return Outcome("", error=switch_failed(failure.error), changed=False)
    await act.stop()
    try:
        return Outcome("restart", await act.launch(wanted, key, act.step))
    except LaunchFailed as failure:
        cause = failure.error
    act.step("rolling back")
    log.warning("switch failed (%s): rolling back to %s/%s", cause.code, previous.provider, previous.model)
    error = switch_failed(cause)
    try:
        back = await act.launch(previous, previous_key, None)
    except LaunchFailed as failure:
        error = replace(error, message=f"{error.message}; rollback failed too: {failure.error.message}")
        return Outcome("restart", error=error)
    # The old config runs again, verified: its state is its own; the switch is the last failed action.
    return Outcome("restart", back, error)


async def switch_in_place(
    current: Instance, client: LlmLinkClient, wanted: LlmLinkConfig, key: Secret | None, step: Progress
) -> Instance | None:
    """llm-link's own hot switch, trusted only once health and current config both confirm it; None when not
    (the caller restarts instead)."""
    if wanted.port != current.config.port or wanted.app_mode != current.config.app_mode:
        return None
    step("restarting")
    try:
        result = await client.switch_provider(
            wanted.provider, model=wanted.model, api_key=key, base_url=wanted.base_url
        )
        if not result.succeeded:
            return None
        step("verifying")
        health = await client.health()
        now = await client.current_config()
    except LlmLinkError as exc:
        log.info("hot switch not confirmed (%s): restarting instead", exc)
        return None
    if (health.pid, health.provider, health.model) != (current.pid, wanted.provider, wanted.model) or (
        now.provider,
        now.model,
    ) != (wanted.provider, wanted.model):
        log.info("hot switch not confirmed by health/current config: restarting instead")
        return None
    return replace(current, config=wanted, key=key)


async def _start_instead(current: Instance | None, wanted: LlmLinkConfig, key: Secret | None, act: Actions) -> Outcome:
    """Not running, or its API does not answer (so it is no use): start `wanted`; nothing runs if that fails."""
    if current is not None:
        await act.stop()
    act.step("restarting")
    try:
        return Outcome("start", await act.launch(wanted, key, act.step))
    except LaunchFailed as failure:
        return Outcome("start", error=switch_failed(failure.error))


def _as_planned(
    spec: Provider, wanted: LlmLinkConfig, key: Secret | None, plan: RestartPlan
) -> tuple[LlmLinkConfig, Secret | None]:
    """What llm-link's update plan fills in: its default model, the key and base URL it will use."""
    wanted = replace(wanted, model=plan.model)
    planned_key = plan.env_vars.get(spec.key_env) if spec.key_env else None
    if spec.base_url_env and spec.base_url_env in plan.env_vars:
        wanted = replace(wanted, base_url=plan.env_vars[spec.base_url_env].reveal())
    return wanted, planned_key or key


# --- checks -----------------------------------------------------------------------------------------


async def answers(client: LlmLinkClient, instance: Instance) -> bool:
    """`instance` itself answers on its port (not another llm-link that took it over)."""
    try:
        health = await client.health(timeout=PROBE_HTTP_TIMEOUT)
    except LlmLinkError:
        return False
    return health.pid == instance.pid


async def lookup_key(
    spec: Provider, keys: KeyLookup, *, show: Callable[[str | None], None], notice_after: float = KEY_WAIT_NOTICE
) -> Secret | None:
    """The stored key for `spec` (None when it needs none); KEY_MISSING when none is stored.

    The lookup can sit behind the keyring's unlock prompt for as long as nobody answers it. Past `notice_after`
    seconds the wait is shown (`show(KEYRING_WAIT)`, then `show(None)` once it ends). Ending the wait is up to
    the lookup (the controller bounds it for CLI callers and ends it on quit or a newer intent).
    """
    if not spec.needs_key:
        return None
    lookup = asyncio.ensure_future(keys(spec.id))
    try:
        await asyncio.wait({lookup}, timeout=notice_after)
        if not lookup.done():
            log.info("%s for the %s key", KEYRING_WAIT, spec.id)
            show(KEYRING_WAIT)
            try:
                await asyncio.wait({lookup})
            finally:
                show(None)
        key = lookup.result()
    finally:
        lookup.cancel()  # only matters when our caller was cancelled: nobody wants the key any more
    if not key:
        raise AppErrorException(key_missing(spec.display_name))
    return key
