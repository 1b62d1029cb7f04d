"""The editor-facing HTTP/1.1 side: policy checks, then a relay to llm-link that streams without buffering.

h11 parses and frames both sides; this module never reads HTTP by hand. Request bodies are read whole
(bounded) before a target is picked: that lets a request wait for an llm-link while none serves and be
retried once when a pooled keep-alive connection turns out to be closed. Response bodies are relayed
piece by piece as they arrive (each write goes to the socket at once; asyncio sets TCP_NODELAY).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import h11

from app.gateway.activity import Activity, ClientStats
from app.gateway.policy import HOP_BY_HOP, Policy, host_is_local, is_management_path
from app.gateway.upstream import Exchange, Target, UpstreamConn, Upstreams

READ_SIZE: Final = 1 << 16
MAX_HEAD: Final = 1 << 16  # request line + headers; h11's 16 KiB default is short for long cookies
MAX_BODY: Final = 64 << 20  # an editor's chat request with a large context, with room to spare
DISCARD_MAX: Final = 1 << 20  # read (and drop) at most this much of a refused request before closing
IDLE_TIMEOUT: Final = 120.0  # a keep-alive connection with no new request for this long is closed
BODY_TIMEOUT: Final = 60.0  # between two pieces of a request body
PREFLIGHT_MAX_AGE: Final = b"600"
ALLOWED_METHODS: Final = b"GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS"
UPSTREAM_ERROR_HEAD: Final = 1024  # bytes of a 5xx body kept as the health reason
_STRIP_FROM_UPSTREAM_RESPONSE: Final = frozenset(HOP_BY_HOP - {b"transfer-encoding"})


class HangupReader(asyncio.StreamReader):
    """A StreamReader that calls `on_hangup` when the peer closes, even while nobody is reading.

    An editor that cancels a generation closes its connection in the middle of the answer; llm-link (and
    the provider behind it) must stop too, as they would on a direct connection. Nobody reads the editor's
    side during an answer, so the EOF is caught here, where asyncio delivers it, at no cost per request.
    """

    on_hangup: Callable[[], None] | None = None

    def feed_eof(self) -> None:
        super().feed_eof()
        if self.on_hangup is not None:
            self.on_hangup()

    def set_exception(self, exc: Exception) -> None:
        super().set_exception(exc)
        if self.on_hangup is not None:
            self.on_hangup()


class ClientGone(Exception):
    """The editor closed its connection: nothing more can be sent to it."""


class UpstreamBroke(Exception):
    """llm-link's connection failed before or during its answer."""


@dataclass(eq=False)
class Downstream:
    reader: HangupReader
    writer: asyncio.StreamWriter
    conn: h11.Connection
    gone: bool = False  # EOF seen while a response was being relayed
    idle: bool = True  # waiting for the next request: a shutdown may close it

    async def next_event(self, timeout: float) -> h11.Event | type[h11.PAUSED]:
        while True:
            event = self.conn.next_event()
            if event is not h11.NEED_DATA:
                return event  # type: ignore[return-value]
            try:
                async with asyncio.timeout(timeout):
                    data = await self.reader.read(READ_SIZE)
            except TimeoutError:
                raise ClientGone("idle too long") from None
            except OSError as exc:
                raise ClientGone(str(exc)) from exc
            self.conn.receive_data(data)

    def write(self, *events: h11.Event) -> None:
        self.writer.write(b"".join(self.conn.send(e) or b"" for e in events))

    async def flush(self) -> None:
        try:
            await self.writer.drain()
        except OSError as exc:
            raise ClientGone(str(exc)) from exc


def _first(headers: list[tuple[bytes, bytes]]) -> dict[bytes, bytes]:
    out: dict[bytes, bytes] = {}
    for name, value in headers:
        out.setdefault(name, value)
    return out


def _json_body(status: int, message: str) -> bytes:
    if status == 401:
        # The OpenAI shape: its SDKs show `error.message` ("Incorrect API key …") as the exception text.
        payload: object = {"error": {"message": message, "type": "invalid_request_error", "code": "invalid_api_key"}}
    else:
        payload = {"error": message}  # the Ollama shape; its client shows the string as it is
    return json.dumps(payload).encode()


class Proxy:
    def __init__(self, upstreams: Upstreams, activity: Activity, policy: Policy, hold_seconds: float) -> None:
        self.upstreams = upstreams
        self.activity = activity
        self.policy = policy  # replaced whole by `set_policy`
        self.hold_seconds = hold_seconds
        self.connections: set[Downstream] = set()
        self.closing = False  # shutting down: finish the request at hand, take no next one
        self.accepted = 0  # editor connections since start (keep-alive shows as few connections, many requests)
        self._loop = asyncio.get_running_loop()

    # --- one editor connection ---

    async def serve_connection(self, reader: HangupReader, writer: asyncio.StreamWriter) -> None:
        down = Downstream(reader, writer, h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD))
        self.connections.add(down)
        self.accepted += 1
        try:
            while not self.closing:
                down.idle = True
                event = await down.next_event(IDLE_TIMEOUT)
                down.idle = False
                if not isinstance(event, h11.Request):
                    break  # ConnectionClosed: the editor is done with this connection
                keep = await self._serve(down, event)
                if not keep or down.conn.our_state is not h11.DONE or down.conn.their_state is not h11.DONE:
                    break
                down.conn.start_next_cycle()
        except h11.RemoteProtocolError as exc:
            await self._bad_request(down, exc)
        except ClientGone:
            pass
        finally:
            self.connections.discard(down)
            writer.transport.abort() if down.gone else writer.close()

    async def _bad_request(self, down: Downstream, exc: h11.RemoteProtocolError) -> None:
        if down.conn.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
            return
        body = _json_body(exc.error_status_hint, f"bad request: {exc}")
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(body)),
            (b"connection", b"close"),
        ]
        with contextlib.suppress(h11.LocalProtocolError, ClientGone):
            down.write(
                h11.Response(status_code=exc.error_status_hint, headers=headers),
                h11.Data(data=body),
                h11.EndOfMessage(),
            )
            await down.flush()

    async def _serve(self, down: Downstream, request: h11.Request) -> bool:
        """Answer one request; False when the connection must close afterwards."""
        t0 = self._loop.time()
        headers = _first(list(request.headers))
        client = self.activity.client(headers.get(b"user-agent"))
        policy = self.policy
        origin = headers.get(b"origin")
        refusal: tuple[int, str] | None = None
        if request.method == b"CONNECT":
            refusal = (501, "the gateway does not tunnel")
        elif not request.target.startswith(b"/"):
            refusal = (400, "the request target must be a path (origin-form)")
        elif not host_is_local(headers.get(b"host")):
            # DNS rebinding: a page on attacker.example that resolves to 127.0.0.1 still sends its own name.
            refusal = (403, "the Host header must name this machine (localhost or a loopback address)")
        elif origin is not None and not policy.origin_allowed(origin):
            refusal = (403, "this web origin is not allowed to use llm-link (add it in the tray's Settings)")
        elif is_management_path(request.target):
            refusal = (404, "not found: llm-link's settings are changed from the tray, not on this port")
        elif request.method == b"OPTIONS" and origin is not None and b"access-control-request-method" in headers:
            return await self._preflight(down, origin, headers)
        elif not policy.key_accepted(headers.get(b"authorization"), headers.get(b"x-api-key")):
            refusal = (401, "Incorrect API key provided: use the access key shown in the tray's Settings")
        if refusal is not None:
            self.activity.blocked(client)
            grant = origin if refusal[0] == 401 else None  # an allowed page may read why its key failed
            await self._refuse(down, refusal[0], refusal[1], grant)
            return False

        body = await self._read_body(down)
        if body is None:
            await self._send_error(down, 413, "the request body is larger than 64 MiB", origin, close=True)
            return False
        out_headers = self._upstream_headers(request, headers, len(body), policy)
        self.activity.started_request(client)
        status: int | None = None
        broken = True
        try:
            status, broken = await self._proxy(down, request, out_headers, body, client, origin, t0)
        finally:
            self.activity.finished_request(client, status, broken)
        return not broken

    # --- gateway-made answers ---

    async def _refuse(self, down: Downstream, status: int, message: str, grant: bytes | None) -> None:
        """Answer a refused request and close: its body is read (up to a limit) and dropped first, since
        closing with unread data makes the kernel reset the connection and the editor would never see why."""
        if not down.conn.they_are_waiting_for_100_continue:
            with contextlib.suppress(ClientGone, h11.RemoteProtocolError):
                size = 0
                while size <= DISCARD_MAX:
                    event = await down.next_event(BODY_TIMEOUT)
                    if not isinstance(event, h11.Data):
                        break
                    size += len(event.data)
        await self._send_error(down, status, message, grant, close=True)

    async def _send_error(
        self, down: Downstream, status: int, message: str, grant: bytes | None, *, close: bool
    ) -> None:
        body = _json_body(status, message)
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        if status == 401:
            headers.append((b"www-authenticate", b"Bearer"))
        if close:
            headers.append((b"connection", b"close"))
        if grant is not None:
            headers += [(b"access-control-allow-origin", grant), (b"vary", b"Origin")]
        with contextlib.suppress(h11.LocalProtocolError):
            down.write(h11.Response(status_code=status, headers=headers), h11.Data(data=body), h11.EndOfMessage())
        await down.flush()

    async def _preflight(self, down: Downstream, origin: bytes, headers: dict[bytes, bytes]) -> bool:
        """CORS preflight for an allowed origin, answered here: llm-link would grant `*` to anyone."""
        if await self._read_body(down) is None:
            return False
        out = [
            (b"access-control-allow-origin", origin),
            (b"access-control-allow-methods", ALLOWED_METHODS),
            (b"access-control-max-age", PREFLIGHT_MAX_AGE),
            (b"vary", b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"),
            (b"content-length", b"0"),
        ]
        wanted = headers.get(b"access-control-request-headers")
        if wanted:
            out.append((b"access-control-allow-headers", wanted))
        if headers.get(b"access-control-request-private-network") == b"true":
            out.append((b"access-control-allow-private-network", b"true"))
        down.write(h11.Response(status_code=204, headers=out), h11.EndOfMessage())
        await down.flush()
        return True

    async def _read_body(self, down: Downstream) -> bytes | None:
        """The whole request body, or None when it is larger than MAX_BODY."""
        if down.conn.they_are_waiting_for_100_continue:
            down.write(h11.InformationalResponse(status_code=100, headers=[]))
        chunks: list[bytes] = []
        size = 0
        while True:
            event = await down.next_event(BODY_TIMEOUT)
            if isinstance(event, h11.Data):
                size += len(event.data)
                if size > MAX_BODY:
                    return None
                chunks.append(event.data)
            elif isinstance(event, h11.EndOfMessage):
                return b"".join(chunks)
            else:
                raise ClientGone("closed while sending its request")

    # --- the relay ---

    @staticmethod
    def _upstream_headers(
        request: h11.Request, headers: dict[bytes, bytes], body_size: int, policy: Policy
    ) -> list[tuple[bytes, bytes]]:
        named = {n.strip().lower() for n in headers.get(b"connection", b"").split(b",")}
        drop = HOP_BY_HOP | named | {b"content-length", b"expect", b"host"}
        if policy.access_key is not None:
            # The editor's key is the gateway's: llm-link never sees it (nor logs it; it logs header maps).
            drop = drop | {b"authorization", b"x-api-key"}
        out = [(n, v) for n, v in request.headers if n not in drop]
        out.append((b"host", headers.get(b"host") or b"127.0.0.1"))
        if body_size or request.method in (b"POST", b"PUT", b"PATCH"):
            out.append((b"content-length", b"%d" % body_size))
        return out

    async def _proxy(
        self,
        down: Downstream,
        request: h11.Request,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        client: ClientStats,
        origin: bytes | None,
        t0: float,
    ) -> tuple[int | None, bool]:
        """Forward to the current llm-link, waiting for one up to the hold time. Returns (status, broken)."""
        deadline = t0 + self.hold_seconds
        fresh = False
        while True:
            target = await self.upstreams.wait_target(deadline)
            if target is None:
                await self._send_error(down, 503, self.upstreams.reason, origin, close=False)
                return 503, False
            exchange = self.upstreams.begin(target)
            try:
                try:
                    up = await self.upstreams.connect(target, fresh=fresh)
                except (OSError, TimeoutError) as exc:
                    # Nothing listens there: llm-link crashed or stopped and the supervisor has not said so yet.
                    # Wait, like for a missing upstream, for the supervisor's next word.
                    if target is not self.upstreams.current or await self.upstreams.wait_change(deadline):
                        continue
                    message = f"llm-link is not answering on its port {target.port} ({exc.__class__.__name__})"
                    await self._send_error(down, 503, message, origin, close=False)
                    return 503, False
                exchange.conn = up
                down.reader.on_hangup = functools.partial(self._hung_up, down, up)
                try:
                    try:
                        response = await self._send_request(up, request, headers, body, target)
                    except UpstreamBroke as exc:
                        up.abort()
                        if down.gone:
                            return None, True
                        if up.reused and not exchange.cut:
                            fresh = True  # a kept-alive connection llm-link had closed: retry once on a new one
                            continue
                        why = "a switch to another llm-link ended the wait" if exchange.cut else str(exc)
                        await self._send_error(down, 502, f"llm-link broke the connection: {why}", origin, close=False)
                        return 502, False
                    self.activity.first_byte(client, self._loop.time() - t0)
                    chat = request.method == b"POST"  # chats reach the provider; listings are llm-link's own
                    return await self._relay(down, up, response, origin, target, exchange, chat)
                finally:
                    down.reader.on_hangup = None
            finally:
                self.upstreams.end(exchange)

    @staticmethod
    def _hung_up(down: Downstream, up: UpstreamConn) -> None:
        """The editor closed mid-answer: drop llm-link's connection so it stops generating."""
        down.gone = True
        up.abort()

    async def _send_request(
        self, up: UpstreamConn, request: h11.Request, headers: list[tuple[bytes, bytes]], body: bytes, target: Target
    ) -> h11.Response:
        if target.auth is not None:
            headers = [(n, v) for n, v in headers if n not in (b"authorization", b"x-api-key")]
            headers.append((b"authorization", b"Bearer " + target.auth.encode()))
        try:
            events: list[h11.Event] = [h11.Request(method=request.method, target=request.target, headers=headers)]
            if body:
                events.append(h11.Data(data=body))
            events.append(h11.EndOfMessage())
            up.writer.write(b"".join(up.h11.send(e) or b"" for e in events))
            while True:
                event = await self._next_upstream(up)
                if isinstance(event, h11.Response):
                    return event
                if not isinstance(event, h11.InformationalResponse):
                    raise UpstreamBroke("closed before answering")
        except (OSError, h11.ProtocolError) as exc:
            raise UpstreamBroke(str(exc) or exc.__class__.__name__) from exc

    @staticmethod
    async def _next_upstream(up: UpstreamConn) -> h11.Event | type[h11.PAUSED]:
        while True:
            event = up.h11.next_event()
            if event is not h11.NEED_DATA:
                return event  # type: ignore[return-value]
            up.h11.receive_data(await up.reader.read(READ_SIZE))

    async def _relay(
        self,
        down: Downstream,
        up: UpstreamConn,
        response: h11.Response,
        origin: bytes | None,
        target: Target,
        exchange: Exchange,
        chat: bool,
    ) -> tuple[int, bool]:
        status = response.status_code
        named = {n.strip().lower() for n in _first(list(response.headers)).get(b"connection", b"").split(b",")}
        headers = [
            (n, v)
            for n, v in response.headers
            if n not in _STRIP_FROM_UPSTREAM_RESPONSE and n not in named and not n.startswith(b"access-control-")
        ]
        if origin is not None:  # allowed, or it would have been refused: grant it, not `*`
            headers += [(b"access-control-allow-origin", origin), (b"vary", b"Origin")]
        head = bytearray()
        record: Callable[[bytes], None] = head.extend if status >= 500 else _ignore
        # What is ready goes out in one write; whenever more must be awaited from llm-link, what we hold is
        # written first, so a streamed piece never waits in the gateway for the next one.
        out = bytearray(down.conn.send(h11.Response(status_code=status, headers=headers, reason=response.reason)))
        try:
            while True:
                try:
                    event = up.h11.next_event()
                    if event is h11.NEED_DATA:
                        if out:
                            down.writer.write(out)
                            out.clear()
                            await down.flush()
                        up.h11.receive_data(await up.reader.read(READ_SIZE))
                        continue
                except (OSError, h11.ProtocolError) as exc:
                    raise UpstreamBroke(str(exc) or exc.__class__.__name__) from exc
                if isinstance(event, h11.Data):
                    if len(head) < UPSTREAM_ERROR_HEAD:
                        record(event.data)
                    out += down.conn.send(h11.Data(data=event.data)) or b""
                elif isinstance(event, h11.EndOfMessage):
                    down.writer.write(out + (down.conn.send(h11.EndOfMessage()) or b""))
                    await down.flush()
                    break
                else:
                    raise UpstreamBroke("closed before the end of its answer")
        except UpstreamBroke:
            # Breaking the editor's connection is the only honest signal: a relayed body cut short and then
            # ended cleanly would look complete.
            up.abort()
            if not exchange.cut and not down.gone:  # not our drain's doing, nor the editor hanging up
                self.activity.upstream_answered(target.label, 502, b"llm-link broke off its answer")
            down.gone = True
            return status, True
        except ClientGone:
            up.abort()
            down.gone = True
            return status, True
        self.activity.upstream_answered(target.label, status, bytes(head), chat=chat)
        self.upstreams.release(up)
        return status, False


def _ignore(_: bytes) -> None:
    pass
