"""llm-link's launch contract: which flags and env vars a given binary wants, and the argv + env built from them.

The contract changed between versions and even `--api-key` flipped meaning:

=================  ===========================================  ==========================================
                   legacy (0.3.x)                               modern (0.5.1 and later, e.g. 0.7.0)
=================  ===========================================  ==========================================
provider key       env var (`OPENAI_API_KEY`, …)                `--api-key` only, required for every
                                                                provider, ollama included
`--api-key`        llm-link's *own* auth key                    the *provider's* key
own auth key       `--api-key` / `LLM_LINK_API_KEY`             `--auth-key` (argv only)
recognised by      `--help` lists `--llm-api-key`               `--help` lists `--auth-key`
=================  ===========================================  ==========================================

Where the provider key goes (our choice, so no other local user can read it in the process list):

* legacy: in the provider's env var, never in argv (`--api-key` there would make it llm-link's auth key).
* modern: argv gets a placeholder `--api-key`; the real key is sent right after start in the body of
  `POST /api/config/update-key` (a `KeySwap`), which llm-link applies in place. Until that call succeeded
  the instance must not be called RUNNING. Ollama needs no key, so it never gets a swap.

Both versions ignore a base URL for openai/zhipu at launch (the endpoint is fixed there); it is applied the
same way, through `update-key` after start. `OLLAMA_BASE_URL` is set for ollama as llm-link's docs say.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import re
import signal
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from app.errors import AppError, AppErrorException, ErrorCode, key_missing
from app.providers import OLLAMA_DEFAULT_BASE_URL, PROVIDERS, Provider, provider
from app.secret import Secret
from app.supervisor.pipe import PipeReader, open_pipe

log = logging.getLogger("llm_link_tray.supervisor.contract")

LOOPBACK_HOST: Final = "127.0.0.1"
# What modern llm-link gets as `--api-key` so the real key never enters argv.
KEY_PLACEHOLDER: Final = "llm-link-tray-key-pending"
HELP_TIMEOUT: Final = 5.0
HELP_MAX_BYTES: Final = 1 << 20  # llm-link's help is ~5 KB; more is kept out of memory, not waited for

# The editor-facing API each app mode needs. `--app zed` alone enables none of them, and with
# `--protocols` the protocol list replaces the app's own config, so we always pass it.
APP_PROTOCOLS: Final[Mapping[str, str]] = {
    "zed": "ollama",
    "codex-cli": "openai",
    "aider": "openai",
    "openhands": "openai",
    "claude-code": "anthropic",
}

# Env vars we never pass through from our own environment: the tray's keyring is the one source of keys.
_SCRUBBED_ENV: Final = frozenset(
    {p.key_env for p in PROVIDERS if p.key_env}
    | {p.base_url_env for p in PROVIDERS if p.base_url_env}
    | {"LLM_LINK_API_KEY", "LLM_LINK_LOG_LEVEL", "RUST_LOG"}
)


class ContractKind(StrEnum):
    LEGACY = "legacy"  # 0.3.x
    MODERN = "modern"  # 0.5.1+


@dataclass(frozen=True)
class Contract:
    kind: ContractKind
    app_modes: tuple[str, ...]

    @property
    def label(self) -> str:
        return "llm-link 0.3.x" if self.kind is ContractKind.LEGACY else "llm-link ≥ 0.5.1"


@dataclass(frozen=True)
class LaunchRequest:
    """What the user asked for. `model=None` lets llm-link pick its default."""

    provider: str
    port: int
    model: str | None = None
    api_key: Secret | None = None
    base_url: str | None = None
    app_mode: str = "zed"
    # llm-link's own key for the OpenAI-style API (codex-cli, aider, openhands need one).
    auth_key: Secret | None = None
    host: str = LOOPBACK_HOST
    log_level: str = "info"


@dataclass(frozen=True)
class KeySwap:
    """Sent as `POST /api/config/update-key` right after start, before the instance counts as RUNNING."""

    provider: str
    api_key: Secret
    base_url: str | None


@dataclass(frozen=True)
class LaunchPlan:
    argv: tuple[str, ...]
    env: Mapping[str, str]
    key_swap: KeySwap | None
    host: str
    port: int

    def __repr__(self) -> str:
        # env may hold the provider key (legacy contract): never print it.
        return f"LaunchPlan(argv={self.argv!r}, key_swap={self.key_swap is not None}, port={self.port})"


# --- detection ------------------------------------------------------------------------------------

_cache: dict[tuple[str, int, int], Contract] = {}
_APP_MODES_RE = re.compile(r"Application mode \(([^)]*)\)")


def parse_help(text: str) -> Contract | None:
    """The contract `llm-link --help` describes, or None when it is not llm-link's help at all."""
    if "--provider" not in text or "--app" not in text:
        return None
    if "--auth-key" in text:
        kind = ContractKind.MODERN
    elif "--llm-api-key" in text:
        kind = ContractKind.LEGACY
    else:
        return None
    match = _APP_MODES_RE.search(text)
    modes = tuple(m.strip() for m in match.group(1).split(",")) if match else ("zed",)
    return Contract(kind, modes)


async def detect_contract(binary: Path, *, timeout: float | None = None) -> Contract:
    """Run `binary --help` once per (path, mtime, size) and read the contract from it.

    `timeout` (default `HELP_TIMEOUT`) bounds the whole run, including anything the program started.
    Raises AppErrorException(EXE_NOT_LLM_LINK) when the program is not a llm-link we know.
    """
    stat = binary.stat()
    key = (str(binary.resolve()), stat.st_mtime_ns, stat.st_size)
    if key in _cache:
        return _cache[key]
    help_text = await _run_help(binary, HELP_TIMEOUT if timeout is None else timeout)
    contract = parse_help(help_text)
    if contract is None:
        raise AppErrorException(
            AppError(
                ErrorCode.EXE_NOT_LLM_LINK,
                f"{binary} does not describe itself as llm-link (its --help lacks --provider/--auth-key)",
                "Point Settings → Binary at llm-link (install it with `cargo install llm-link`).",
            )
        )
    log.info("%s speaks the %s launch contract", binary, contract.label)
    _cache[key] = contract
    return contract


async def _run_help(binary: Path, timeout: float) -> str:
    """`binary --help`'s output. It runs in a session of its own, so a timeout kills everything it started;
    its output comes through a pipe of ours, so a child that inherited the pipe cannot keep us reading."""
    suggestion = "Point Settings → Binary at llm-link (install it with `cargo install llm-link`)."
    output = bytearray()
    read_end, write_end = open_pipe()
    try:
        proc = await asyncio.create_subprocess_exec(
            str(binary),
            "--help",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=write_end,
            stderr=asyncio.subprocess.STDOUT,
            env={**os.environ, "LANG": "C", "NO_COLOR": "1"},
            start_new_session=True,
        )
    except OSError as exc:
        os.close(read_end)
        raise AppErrorException(
            AppError(ErrorCode.EXE_NOT_LLM_LINK, f"{binary} did not answer `--help` like llm-link", suggestion)
        ) from exc
    finally:
        os.close(write_end)
    reader = PipeReader(read_end, lambda chunk: output.extend(chunk[: HELP_MAX_BYTES - len(output)]))
    try:
        try:
            await asyncio.wait_for(proc.wait(), timeout)
        except BaseException as exc:  # the timeout, or our caller gave up (a quit): nothing of it may stay
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # its whole group: a child it forked would outlive it
            # Reaped even when our caller gave up: asyncio hears of the exit only through its child watcher, and
            # a loop closed before that leaves the process's transport open, found by the garbage collector
            # ("unclosed transport <_UnixSubprocessTransport>"). Both notification tests, each closing a Settings
            # dialog whose background check may still run, failed on it once under load.
            # No pipe end is asyncio's, so this waits for the exit only, never for an EOF.
            await proc.wait()
            if not isinstance(exc, TimeoutError):
                raise
            raise AppErrorException(
                AppError(
                    ErrorCode.EXE_NOT_LLM_LINK,
                    f"{binary} did not finish `--help` within {timeout:g}s: it is not a llm-link we know",
                    suggestion,
                )
            ) from None
        reader.drain()  # it has exited: all it wrote is in the pipe
    finally:
        reader.close()
    return output.decode("utf-8", "replace")


# --- building argv + env --------------------------------------------------------------------------


def build_launch(contract: Contract, request: LaunchRequest, base_env: Mapping[str, str] | None = None) -> LaunchPlan:
    """argv + env for `request` under `contract`. Raises AppErrorException(CONFIG_ERROR) on bad input."""
    spec = _checked_provider(request.provider)
    protocol = _protocol_for(contract, request.app_mode)
    if spec.needs_key and not request.api_key:
        raise AppErrorException(key_missing(spec.display_name))
    if request.base_url is not None:
        if not spec.takes_base_url:
            raise _config_error(
                f"{spec.display_name} has a fixed endpoint and takes no base URL",
                "Clear the base URL field in Settings.",
            )
        check_base_url(request.base_url, request.host, request.port)
    elif spec.id == "ollama":
        # llm-link's Ollama backend falls back to localhost:11434: our own port in zed mode.
        check_base_url(OLLAMA_DEFAULT_BASE_URL, request.host, request.port)
    auth_key = request.auth_key
    if protocol == "openai" and not auth_key:
        raise _config_error(
            f"app mode {request.app_mode!r} serves the OpenAI API, which needs llm-link's own key",
            "Set an access key for llm-link in Settings.",
        )

    argv: list[str] = ["--app", request.app_mode, "--protocols", protocol, "--provider", spec.id]
    if request.model:
        argv += ["--model", request.model]
    argv += ["--host", request.host, "--port", str(request.port), "--log-level", request.log_level]

    env = {k: v for k, v in (os.environ if base_env is None else base_env).items() if k not in _SCRUBBED_ENV}
    key_swap: KeySwap | None = None
    late_base_url = request.base_url if spec.id in ("openai", "zhipu") else None

    if contract.kind is ContractKind.LEGACY:
        if spec.key_env and request.api_key:
            env[spec.key_env] = request.api_key.reveal()
        if auth_key:
            env["LLM_LINK_API_KEY"] = auth_key.reveal()
        if late_base_url and request.api_key:
            key_swap = KeySwap(spec.id, request.api_key, late_base_url)
    else:
        argv += ["--api-key", KEY_PLACEHOLDER]
        if auth_key:
            # 0.5.1+ reads llm-link's own key from argv only; it guards a loopback port and is ours. One
            # `--auth-key=VALUE` word: as two words clap takes a value starting with "-" for a flag and exits
            # ("unexpected argument '-4'"): 1 throwaway key in 64 did (token_urlsafe).
            argv.append(f"--auth-key={auth_key.reveal()}")
        if spec.needs_key and request.api_key:
            key_swap = KeySwap(spec.id, request.api_key, late_base_url)
    if spec.id == "ollama" and request.base_url:
        env["OLLAMA_BASE_URL"] = request.base_url
    env["NO_COLOR"] = "1"
    return LaunchPlan(tuple(argv), env, key_swap, request.host, request.port)


def check_base_url(base_url: str, host: str, port: int) -> None:
    """Refuse a base URL that is not http(s) or points back at llm-link itself (a request loop)."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _config_error(f"base URL {base_url!r} is not an http(s) URL", "Enter a URL like https://host/v1.")
    try:
        url_port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise _config_error(f"base URL {base_url!r} has an invalid port", "Fix the port in the base URL.") from None
    if url_port == port and _same_host(parts.hostname, host):
        raise _config_error(
            f"base URL {base_url} points at llm-link's own address {host}:{port}: requests would loop",
            "Run the upstream (e.g. Ollama) on another port, or give llm-link another port in Settings.",
        )


def _same_host(url_host: str, bind_host: str) -> bool:
    def loopback_or_any(name: str) -> bool:
        if name in ("localhost", "0.0.0.0", "::"):  # noqa: S104 - compared, not bound
            return True
        try:
            return ipaddress.ip_address(name).is_loopback
        except ValueError:
            return False

    if url_host == bind_host:
        return True
    # llm-link on loopback or on all interfaces answers every loopback name.
    return loopback_or_any(url_host) and loopback_or_any(bind_host)


def _checked_provider(provider_id: str) -> Provider:
    try:
        return provider(provider_id)
    except KeyError as exc:
        raise _config_error(str(exc.args[0]), "Pick one of the ten providers in Settings.") from None


def _protocol_for(contract: Contract, app_mode: str) -> str:
    if app_mode not in contract.app_modes or app_mode not in APP_PROTOCOLS:
        raise _config_error(
            f"app mode {app_mode!r} is not offered by this {contract.label} (it has {', '.join(contract.app_modes)})",
            "Pick another app mode in Settings.",
        )
    return APP_PROTOCOLS[app_mode]


def _config_error(message: str, suggestion: str) -> AppErrorException:
    return AppErrorException(AppError(ErrorCode.CONFIG_ERROR, message, suggestion))
