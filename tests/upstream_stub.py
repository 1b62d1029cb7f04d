"""A loopback stand-in for the *upstream* providers llm-link talks to (never for llm-link itself).

It speaks just enough of two dialects for llm-link to validate keys, list models and chat:
Ollama (`GET /api/tags`, `POST /api/chat`) and OpenAI (`GET /models`, `POST /chat/completions`, also under
`/v1`). OpenAI-style calls need `Authorization: Bearer <good_key>`; any other key gets a 401, as a real
provider would answer. Every request is recorded so tests can see what llm-link sent upstream.
A chat with `"stream": true` is answered as OpenAI does, with Server-Sent Events, one `stream_pieces` entry
per event; with `stream_gate` set, each stream stops after its first piece until the gate opens.
With `delay`, every answer waits that long first (a provider's think time); `stream_interval` spaces the
events, and with `stream_stamps` each piece is the `time.perf_counter_ns()` at which it was written, so a client in
the same process can time every piece's way through llm-link (and a gateway).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

GOOD_KEY = "sk-stub-good-0123456789abcdef"
OLLAMA_MODELS = ("stub-llama:latest", "stub-qwen:7b")
OPENAI_MODELS = ("stub-gpt-4o", "stub-gpt-4o-mini")


class _QuietServer(ThreadingHTTPServer):
    """A client that went away mid-answer (llm-link killed by a crash test, a drain cut) is what a real
    provider sees too: not worth a traceback on stderr per request."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@dataclass(frozen=True)
class SeenRequest:
    method: str
    path: str
    authorization: str | None
    body: bytes


@dataclass
class UpstreamStub:
    """Serve on 127.0.0.1:`port` (0 picks a free one) in a background thread."""

    port: int = 0
    good_key: str = GOOD_KEY
    extra_keys: tuple[str, ...] = ()
    requests: list[SeenRequest] = field(default_factory=list)
    stream_pieces: tuple[str, ...] = ("hello", " from", " the", " streaming", " stub")
    stream_gate: threading.Event | None = None
    delay: float = 0.0
    stream_interval: float = 0.0
    stream_stamps: bool = False
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _arrived: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self._arrived = threading.Condition(self._lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> UpstreamStub:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                stub.handle(self, b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                stub.handle(self, self.rfile.read(length))

        self._server = _QuietServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="upstream-stub", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def wait_for_request(self, path_suffix: str, timeout: float = 10.0) -> SeenRequest:
        """Block until a request whose path ends with `path_suffix` has arrived."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                for seen in self.requests:
                    if seen.path.endswith(path_suffix):
                        return seen
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no request to *{path_suffix} within {timeout}s: {self.requests}")
                self._arrived.wait(remaining)

    # -- request handling --

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        path = handler.path.split("?", 1)[0]
        seen = SeenRequest(handler.command, path, handler.headers.get("Authorization"), body)
        with self._arrived:
            self.requests.append(seen)
            self._arrived.notify_all()
        if self.delay:
            time.sleep(self.delay)  # noqa: sleep-ok - the provider's think time being stood in for
        if self._wants_stream(seen):
            self._stream(handler)
            return
        status, payload = self._route(seen)
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _key_accepted(self, seen: SeenRequest) -> bool:
        return seen.authorization in {f"Bearer {key}" for key in (self.good_key, *self.extra_keys)}

    def _wants_stream(self, seen: SeenRequest) -> bool:
        if seen.method != "POST" or seen.path.removeprefix("/v1") != "/chat/completions":
            return False
        if not self._key_accepted(seen):
            return False  # the 401 comes from _route
        try:
            return bool(json.loads(seen.body).get("stream"))
        except ValueError:
            return False

    def _stream(self, handler: BaseHTTPRequestHandler) -> None:
        """OpenAI's streaming shape: `data: {chunk}` events, then `data: [DONE]`; no Content-Length (HTTP/1.0
        close-delimited), each event written to the socket at once."""
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Cache-Control", "no-cache")
        handler.end_headers()
        try:
            for index, piece in enumerate(self.stream_pieces):
                if index == 1 and self.stream_gate is not None and not self.stream_gate.wait(60):
                    return  # a test forgot to open the gate: end the stream short rather than hang the thread
                if index and self.stream_interval:
                    time.sleep(self.stream_interval)  # noqa: sleep-ok - the pace of the stream being stood in for
                if self.stream_stamps:
                    piece = str(time.perf_counter_ns())
                delta: dict[str, str] = {"content": piece} if index else {"role": "assistant", "content": piece}
                handler.wfile.write(_sse(_chunk(delta, None)))
            handler.wfile.write(_sse(_chunk({}, "stop")) + b"data: [DONE]\n\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the caller hung up mid-stream (a test of exactly that): nothing to report

    def _route(self, seen: SeenRequest) -> tuple[int, Any]:
        path = seen.path.removeprefix("/v1")
        if seen.method == "GET" and seen.path == "/api/tags":
            models = [
                {"name": m, "model": m, "modified_at": "2026-01-01T00:00:00Z", "size": 1, "digest": "0"}
                for m in OLLAMA_MODELS
            ]
            return 200, {"models": models}
        if seen.method == "POST" and seen.path == "/api/chat":
            return 200, {
                "model": OLLAMA_MODELS[0],
                "created_at": "2026-01-01T00:00:00Z",
                "done": True,
                "message": {"role": "assistant", "content": "hello from the ollama stub"},
            }
        if path in ("/models", "/chat/completions"):
            if not self._key_accepted(seen):
                return 401, {
                    "error": {
                        "message": "Incorrect API key provided",
                        "type": "invalid_request_error",
                        "code": "invalid_api_key",
                    }
                }
            if path == "/models":
                return 200, {
                    "object": "list",
                    "data": [{"id": m, "object": "model", "owned_by": "stub"} for m in OPENAI_MODELS],
                }
            return 200, {
                "id": "chatcmpl-stub",
                "object": "chat.completion",
                "created": 1767225600,
                "model": OPENAI_MODELS[0],
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": "hello from the openai stub"},
                    }
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 5, "total_tokens": 6},
            }
        return 404, {"error": f"stub has no route {seen.method} {seen.path}"}


def _chunk(delta: dict[str, str], finish_reason: str | None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion.chunk",
        "created": 1767225600,
        "model": OPENAI_MODELS[0],
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


def _sse(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload).encode() + b"\n\n"
