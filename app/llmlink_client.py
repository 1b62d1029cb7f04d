"""A typed async client for llm-link's HTTP API (the same paths in 0.3.x and 0.7.x).

Every call has a timeout, and every failure is one of the `LlmLinkError` subclasses below: no httpx or
json exception reaches a caller. Keys travel as `Secret`s and only in request bodies; the key that
`/api/config/update` echoes back in `env_vars` is wrapped again before it is returned, so it never
appears in a log line or a repr. No Qt here: this module runs on plain asyncio.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Final, Literal, Self, TypeVar

import httpx

from app.errors import AppError, ErrorCode, human_duration
from app.secret import Secret

log = logging.getLogger("llm_link_tray.client")

DEFAULT_TIMEOUT: Final = 5.0
# Validation asks the upstream provider for its model list: give a slow provider time to answer.
VALIDATE_TIMEOUT: Final = 20.0

JsonObject = dict[str, Any]
T = TypeVar("T")


# --- errors ---------------------------------------------------------------------------------------


class LlmLinkError(Exception):
    """Base of every failure this client reports."""

    code: ErrorCode = ErrorCode.LLMLINK_BAD_RESPONSE
    suggestion: str = "Restart llm-link from the tray menu; if it keeps happening, view its log."

    def __init__(self, message: str, *, endpoint: str) -> None:
        super().__init__(f"{endpoint}: {message}")
        self.message = message
        self.endpoint = endpoint

    def to_app_error(self) -> AppError:
        return AppError(self.code, str(self), self.suggestion)


class LlmLinkUnreachable(LlmLinkError):
    """Nothing accepted the connection (not running, wrong port, or refused)."""

    code = ErrorCode.LLMLINK_UNREACHABLE
    suggestion = "Start llm-link from the tray menu, or check the port in Settings."


class LlmLinkTimeout(LlmLinkError):
    """Connected (or tried to) but no answer in time: a frozen or overloaded process."""

    code = ErrorCode.LLMLINK_TIMEOUT
    suggestion = "llm-link is not answering; restart it from the tray menu."


class LlmLinkHttpError(LlmLinkError):
    """An HTTP error status. llm-link answers 400 with an empty body to requests it rejects."""

    def __init__(self, status_code: int, body_excerpt: str, *, endpoint: str) -> None:
        detail = body_excerpt or "empty body"
        super().__init__(f"HTTP {status_code} ({detail})", endpoint=endpoint)
        self.status_code = status_code
        self.body_excerpt = body_excerpt

    @property
    def suggestion(self) -> str:  # type: ignore[override]
        if self.status_code == 400:
            return "llm-link rejected the request: check the provider name and model."
        if self.status_code == 404:
            return "The program on this port is not llm-link (or too old): check the port and binary."
        return LlmLinkError.suggestion


class LlmLinkMalformedResponse(LlmLinkError):
    """The answer was not JSON: most likely another program listens on the port."""

    suggestion = "Another program may be using llm-link's port: pick a different port in Settings."


class LlmLinkUnexpectedShape(LlmLinkError):
    """JSON, but not the fields llm-link sends: an unknown version or another program."""

    suggestion = "This llm-link version answers differently than expected: check the binary in Settings."


# --- results --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Health:
    """`GET /api/health`. `instance_id` is the start time in whole seconds: compare `pid` too."""

    status: str
    instance_id: int
    pid: int
    provider: str
    model: str


@dataclass(frozen=True)
class CurrentConfig:
    provider: str
    model: str
    has_api_key: bool
    has_base_url: bool
    supports_hot_reload: bool


@dataclass(frozen=True)
class RestartPlan:
    """`POST /api/config/update`: what to restart llm-link with. It changes nothing by itself."""

    message: str
    restart_required: bool
    current_instance_id: int
    # Values stay wrapped: the provider key is among them, echoed back by llm-link.
    env_vars: Mapping[str, Secret]
    provider: str
    model: str


@dataclass(frozen=True)
class ModelInfo:
    id: str
    name: str
    description: str


@dataclass(frozen=True)
class Validation:
    """`validate` / `validate-key`: status is `valid`, `invalid` or `error`."""

    status: Literal["valid", "invalid", "error"]
    message: str
    models: tuple[ModelInfo, ...] = ()
    supports_hot_reload: bool = False

    @property
    def is_valid(self) -> bool:
        return self.status == "valid"


@dataclass(frozen=True)
class HotUpdate:
    """`update-key` / `switch-provider`: applied in place (`status == "success"`) or refused."""

    status: str
    message: str
    provider: str | None = None
    model: str | None = None
    restart_required: bool = False

    @property
    def succeeded(self) -> bool:
        return self.status == "success"


@dataclass(frozen=True)
class ShutdownAck:
    """llm-link says "success" but keeps running: stop it with a signal."""

    status: str
    message: str


@dataclass(frozen=True)
class ApiEndpoint:
    path: str
    enabled: bool
    auth_required: bool


@dataclass(frozen=True)
class ServerInfo:
    """`GET /api/info`. Its `version` is hard-coded in llm-link and says nothing about the real one."""

    service: str
    version: str
    current_provider: str
    current_model: str
    supported_providers: tuple[str, ...]
    api_endpoints: Mapping[str, ApiEndpoint] = field(default_factory=dict)
    # Each provider's built-in model list (the tray's Models menu), by provider name.
    provider_models: Mapping[str, tuple[ModelInfo, ...]] = field(default_factory=dict)


# --- parsing helpers ------------------------------------------------------------------------------


def _get(obj: JsonObject, key: str, kind: type[T], *, endpoint: str) -> T:
    value = obj.get(key)
    # bool is an int in Python; an int field must not accept it (nor the other way round).
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise LlmLinkUnexpectedShape(
            f"field {key!r} should be {kind.__name__}, got {type(value).__name__}", endpoint=endpoint
        )
    return value


def _get_optional(obj: JsonObject, key: str, kind: type[T], default: T, *, endpoint: str) -> T:
    if obj.get(key) is None:
        return default
    return _get(obj, key, kind, endpoint=endpoint)


def _parse_models(raw: object, *, endpoint: str) -> tuple[ModelInfo, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise LlmLinkUnexpectedShape("field 'models' should be a list", endpoint=endpoint)
    models = []
    for item in raw:
        # The seed documents a plain list of ids; the real binary sends objects. Accept both.
        if isinstance(item, str):
            models.append(ModelInfo(item, item, ""))
        elif isinstance(item, dict):
            model_id = _get(item, "id", str, endpoint=endpoint)
            models.append(
                ModelInfo(
                    model_id,
                    _get_optional(item, "name", str, model_id, endpoint=endpoint),
                    _get_optional(item, "description", str, "", endpoint=endpoint),
                )
            )
        else:
            raise LlmLinkUnexpectedShape("a model entry is neither an id nor an object", endpoint=endpoint)
    return tuple(models)


def _body(provider: str, **fields: str | Secret | None) -> JsonObject:
    body: JsonObject = {"provider": provider}
    for name, value in fields.items():
        if value is None:
            continue
        body[name] = value.reveal() if isinstance(value, Secret) else value
    return body


# --- the client -----------------------------------------------------------------------------------


class LlmLinkClient:
    """One llm-link instance at `base_url`, e.g. `http://127.0.0.1:11434`."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        if not self.base_url.startswith("http://"):  # see `verify=False` below
            raise ValueError(f"llm-link speaks plain HTTP (on loopback), not {base_url!r}")
        self.timeout = timeout
        # No proxies from the environment: llm-link is on loopback, and a system proxy would
        # otherwise swallow or rewrite these calls. No TLS either (llm-link speaks plain HTTP): by default httpx
        # builds a verifying SSL context for every client, loading the CA bundle (22 ms and ~1 MB each), and
        # behind the gateway every instance has a port, and so a client, of its own. The real-tray soak grew
        # 5.7 MB over its first 100 switches with them, and each crash recovery waited for one.
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=timeout,
            transport=transport,
            trust_env=False,
            verify=False,  # noqa: S501 - plain HTTP only (checked above): no certificate is ever skipped
        )
        self._in_flight = 0
        self._idle = asyncio.Event()  # set while no request is in flight
        self._idle.set()
        self._closed = False

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close, once the requests in flight have ended (each has its timeout, so this wait is bounded).

        Why wait: httpcore's pool forgets a connection it is still opening when it is closed. The request then
        goes on over that connection, and nobody closes its socket: it stays open until the garbage collector
        finds it ("unclosed transport"). The supervisor, closing, closed its llm-link's client while a probe's
        request still ran on it, and the 200-switch gateway test failed CI on that ResourceWarning
        (tests/test_llmlink_client.py::test_closing_while_a_request_is_in_flight_leaves_no_socket_open).
        """
        self._closed = True
        try:
            await self._idle.wait()
        finally:
            # Closed all the same when the close itself is given up (a quit cancels the retirement that closes
            # an old instance's client), and never half: httpcore's pool takes all its connections off its list,
            # then closes them one by one, and a cancel in between left the rest open (its shield is anyio's,
            # which a plain asyncio cancel goes through). So the close runs as a task of its own, waited for
            # (test_a_close_cancelled_while_it_closes_still_closes_every_connection fails without it).
            closing = asyncio.ensure_future(self._http.aclose())
            try:
                await asyncio.shield(closing)
            except asyncio.CancelledError:
                await closing
                raise

    # -- endpoints --

    async def health(self, *, timeout: float | None = None) -> Health:
        ep = "GET /api/health"
        data = await self._request("GET", "/api/health", timeout=timeout)
        return Health(
            status=_get(data, "status", str, endpoint=ep),
            instance_id=_get(data, "instance_id", int, endpoint=ep),
            pid=_get(data, "pid", int, endpoint=ep),
            provider=_get(data, "provider", str, endpoint=ep),
            model=_get(data, "model", str, endpoint=ep),
        )

    async def current_config(self) -> CurrentConfig:
        ep = "GET /api/config/current"
        data = await self._request("GET", "/api/config/current")
        return CurrentConfig(
            provider=_get(data, "provider", str, endpoint=ep),
            model=_get(data, "model", str, endpoint=ep),
            has_api_key=_get(data, "has_api_key", bool, endpoint=ep),
            has_base_url=_get(data, "has_base_url", bool, endpoint=ep),
            # 0.3.x predates the flag; a missing one means "not advertised".
            supports_hot_reload=_get_optional(data, "supports_hot_reload", bool, False, endpoint=ep),
        )

    async def update(
        self, provider: str, api_key: Secret, *, model: str | None = None, base_url: str | None = None
    ) -> RestartPlan:
        ep = "POST /api/config/update"
        data = await self._request(
            "POST", "/api/config/update", json_body=_body(provider, api_key=api_key, model=model, base_url=base_url)
        )
        raw_env = data.get("env_vars")
        if not isinstance(raw_env, dict) or not all(isinstance(v, str) for v in raw_env.values()):
            raise LlmLinkUnexpectedShape("field 'env_vars' should map names to strings", endpoint=ep)
        cli_args = data.get("cli_args")
        if not isinstance(cli_args, dict):
            raise LlmLinkUnexpectedShape("field 'cli_args' should be an object", endpoint=ep)
        return RestartPlan(
            message=_get_optional(data, "message", str, "", endpoint=ep),
            restart_required=_get_optional(data, "restart_required", bool, True, endpoint=ep),
            current_instance_id=_get(data, "current_instance_id", int, endpoint=ep),
            env_vars={name: Secret(value) for name, value in raw_env.items()},
            provider=_get(cli_args, "provider", str, endpoint=ep),
            model=_get(cli_args, "model", str, endpoint=ep),
        )

    async def validate(
        self,
        provider: str,
        api_key: Secret,
        *,
        model: str | None = None,
        base_url: str | None = None,
        timeout: float = VALIDATE_TIMEOUT,
    ) -> Validation:
        body = _body(provider, api_key=api_key, model=model, base_url=base_url)
        data = await self._request("POST", "/api/config/validate", json_body=body, timeout=timeout)
        return self._parse_validation(data, "POST /api/config/validate")

    async def validate_key(
        self,
        provider: str,
        api_key: Secret,
        *,
        base_url: str | None = None,
        timeout: float = VALIDATE_TIMEOUT,
    ) -> Validation:
        body = _body(provider, api_key=api_key, base_url=base_url)
        data = await self._request("POST", "/api/config/validate-key", json_body=body, timeout=timeout)
        return self._parse_validation(data, "POST /api/config/validate-key")

    async def update_key(self, provider: str, api_key: Secret, *, base_url: str | None = None) -> HotUpdate:
        body = _body(provider, api_key=api_key, base_url=base_url)
        data = await self._request("POST", "/api/config/update-key", json_body=body)
        return self._parse_hot_update(data, "POST /api/config/update-key")

    async def switch_provider(
        self,
        provider: str,
        *,
        model: str | None = None,
        api_key: Secret | None = None,
        base_url: str | None = None,
    ) -> HotUpdate:
        body = _body(provider, model=model, api_key=api_key, base_url=base_url)
        data = await self._request("POST", "/api/config/switch-provider", json_body=body)
        return self._parse_hot_update(data, "POST /api/config/switch-provider")

    async def pid(self) -> int:
        data = await self._request("GET", "/api/config/pid")
        return _get(data, "pid", int, endpoint="GET /api/config/pid")

    async def shutdown(self) -> ShutdownAck:
        """Ask llm-link to shut down. It answers success and keeps running (see module docs)."""
        ep = "POST /api/config/shutdown"
        data = await self._request("POST", "/api/config/shutdown")
        return ShutdownAck(
            status=_get(data, "status", str, endpoint=ep),
            message=_get_optional(data, "message", str, "", endpoint=ep),
        )

    async def info(self) -> ServerInfo:
        ep = "GET /api/info"
        data = await self._request("GET", "/api/info")
        providers_raw = data.get("supported_providers", [])
        if not isinstance(providers_raw, list):
            raise LlmLinkUnexpectedShape("field 'supported_providers' should be a list", endpoint=ep)
        named = [p for p in providers_raw if isinstance(p, dict) and isinstance(p.get("name"), str)]
        names = tuple(p["name"] for p in named)
        provider_models = {p["name"]: _parse_models(p.get("models"), endpoint=ep) for p in named}
        endpoints_raw = data.get("api_endpoints") or {}
        if not isinstance(endpoints_raw, dict):
            raise LlmLinkUnexpectedShape("field 'api_endpoints' should be an object", endpoint=ep)
        endpoints = {
            name: ApiEndpoint(
                path=_get_optional(raw, "path", str, "", endpoint=ep),
                enabled=_get_optional(raw, "enabled", bool, False, endpoint=ep),
                auth_required=_get_optional(raw, "auth_required", bool, False, endpoint=ep),
            )
            for name, raw in endpoints_raw.items()
            if isinstance(raw, dict)
        }
        return ServerInfo(
            service=_get(data, "service", str, endpoint=ep),
            version=_get_optional(data, "version", str, "", endpoint=ep),
            current_provider=_get(data, "current_provider", str, endpoint=ep),
            current_model=_get(data, "current_model", str, endpoint=ep),
            supported_providers=names,
            api_endpoints=endpoints,
            provider_models=provider_models,
        )

    async def status_of(
        self, path: str, *, headers: Mapping[str, str] | None = None, timeout: float | None = None
    ) -> int:
        """The HTTP status of `GET path`, e.g. an editor-facing route such as `/api/tags`."""
        endpoint = f"GET {path}"
        response = await self._send("GET", path, endpoint, headers=headers, timeout=timeout)
        return response.status_code

    # -- plumbing --

    @staticmethod
    def _parse_validation(data: JsonObject, ep: str) -> Validation:
        status = _get(data, "status", str, endpoint=ep)
        if status not in ("valid", "invalid", "error"):
            raise LlmLinkUnexpectedShape(f"unknown validation status {status!r}", endpoint=ep)
        return Validation(
            status=status,  # type: ignore[arg-type]  # narrowed by the check above
            message=_get_optional(data, "message", str, "", endpoint=ep),
            models=_parse_models(data.get("models"), endpoint=ep),
            supports_hot_reload=_get_optional(data, "supports_hot_reload", bool, False, endpoint=ep),
        )

    @staticmethod
    def _parse_hot_update(data: JsonObject, ep: str) -> HotUpdate:
        return HotUpdate(
            status=_get(data, "status", str, endpoint=ep),
            message=_get_optional(data, "message", str, "", endpoint=ep),
            provider=_get_optional(data, "provider", str, None, endpoint=ep),
            model=_get_optional(data, "model", str, None, endpoint=ep),
            restart_required=_get_optional(data, "restart_required", bool, False, endpoint=ep),
        )

    async def _request(
        self, method: str, path: str, *, json_body: JsonObject | None = None, timeout: float | None = None
    ) -> JsonObject:
        endpoint = f"{method} {path}"
        response = await self._send(method, path, endpoint, json_body=json_body, timeout=timeout)
        if response.status_code >= 400:
            # The body of an error never carries a key (llm-link sends none); keep it short anyway.
            raise LlmLinkHttpError(response.status_code, response.text[:120].strip(), endpoint=endpoint)
        try:
            data = json.loads(response.content)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise LlmLinkMalformedResponse(
                f"answer is not JSON (content-type {response.headers.get('content-type', 'none')!r})",
                endpoint=endpoint,
            ) from exc
        if not isinstance(data, dict):
            raise LlmLinkUnexpectedShape("answer is not a JSON object", endpoint=endpoint)
        return data

    async def _send(
        self,
        method: str,
        path: str,
        endpoint: str,
        *,
        json_body: JsonObject | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        timeout = self.timeout if timeout is None else timeout
        if self._closed:
            raise LlmLinkUnreachable(f"the client of {self.base_url} is closed", endpoint=endpoint)
        started = time.perf_counter()
        self._in_flight += 1
        self._idle.clear()
        try:
            response = await self._http.request(method, path, json=json_body, headers=headers, timeout=timeout)
        except httpx.TimeoutException as exc:
            raise LlmLinkTimeout(f"no answer within {human_duration(timeout)}", endpoint=endpoint) from exc
        except httpx.ConnectError as exc:
            raise LlmLinkUnreachable(f"cannot connect to {self.base_url}", endpoint=endpoint) from exc
        except httpx.HTTPError as exc:
            # RemoteProtocolError (the peer spoke something that isn't HTTP), ReadError, …
            raise LlmLinkMalformedResponse(f"broken HTTP exchange ({type(exc).__name__})", endpoint=endpoint) from exc
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()
        log.debug("%s → %d in %.1f ms", endpoint, response.status_code, (time.perf_counter() - started) * 1e3)
        return response
