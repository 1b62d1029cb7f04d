"""The Connect dialog's Test: one streamed chat of a few tokens through the editor-facing port, as an editor
would send it, timing the first token. No Qt; plain asyncio + httpx.

It goes to `config.port` (llm-link, or the gateway in front of it) on the protocol the app mode serves, so it
tests exactly the path an editor takes. It spends a few tokens of the user's quota, which is why the dialog
runs it only on an explicit click. Every failure is an AppError with one human line.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Final

import httpx

from app.editors import Target
from app.errors import AppError, AppErrorException, ErrorCode
from app.secret import Secret

PROMPT: Final = "Reply with a short greeting."
MAX_TOKENS: Final = 8
# A cloud provider may take a while to its first token; past this the user is better told than kept waiting.
FIRST_TOKEN_TIMEOUT: Final = 30.0
# The pieces kept for the dialog's one line: enough to show the stream works.
MAX_PIECES: Final = 40

EMPTY_OLLAMA_STREAM: Final = "llm-link's Ollama provider returned an empty stream"


@dataclass(frozen=True)
class StreamResult:
    first_token_s: float  # from sending the request to the first piece of text
    total_s: float
    text: str
    pieces: int

    def describe(self) -> str:
        reply = self.text.strip().replace("\n", " ")
        if len(reply) > 60:
            reply = reply[:57] + "…"
        return (
            f"First token after {self.first_token_s * 1000:.0f} ms; {self.pieces} pieces in "
            f"{self.total_s:.1f} s: “{reply}”"
        )


async def stream_test(
    target: Target,
    access_key: Secret | None = None,
    *,
    timeout: float = FIRST_TOKEN_TIMEOUT,
    transport: httpx.AsyncBaseTransport | None = None,
) -> StreamResult:
    """Stream one short chat through `target`; raises AppErrorException with what went wrong."""
    if target.protocol == "ollama":
        path = "/api/chat"
        body: dict[str, Any] = {
            "model": target.model,
            "messages": [{"role": "user", "content": PROMPT}],
            "stream": True,
            "options": {"num_predict": MAX_TOKENS},
        }
    elif target.protocol == "openai":
        path = "/v1/chat/completions"
        body = {
            "model": target.model,
            "messages": [{"role": "user", "content": PROMPT}],
            "stream": True,
            "max_tokens": MAX_TOKENS,
        }
    else:
        raise AppErrorException(
            AppError(
                ErrorCode.CONFIG_ERROR,
                f"the Test covers the Ollama and OpenAI protocols, not app mode {target.app_mode}",
                "Try it from your editor instead, or set App mode to zed or codex-cli in Settings.",
            )
        )
    headers = {"Authorization": f"Bearer {access_key.reveal()}"} if access_key is not None else {}
    # trust_env=False: the port is on loopback, and a system proxy would swallow or rewrite the request.
    async with httpx.AsyncClient(
        base_url=target.base_url, timeout=httpx.Timeout(timeout), transport=transport, trust_env=False
    ) as http:
        started = time.perf_counter()
        first: float | None = None
        text: list[str] = []
        try:
            async with http.stream("POST", path, json=body, headers=headers) as response:
                if response.status_code >= 400:
                    excerpt = (await response.aread())[:160].decode(errors="replace").strip()
                    raise AppErrorException(_http_error(target, response.status_code, excerpt))
                # Read to the end, never break out: a half-read httpx stream leaves async generators that
                # Python can only finalise later, outside the event loop. The reply is short (MAX_TOKENS).
                parse = _ollama_piece if target.protocol == "ollama" else _sse_piece
                async for line in response.aiter_lines():
                    piece = parse(line)
                    if not piece:
                        continue
                    if first is None:
                        first = time.perf_counter() - started
                    if len(text) < MAX_PIECES:
                        text.append(piece)
        except httpx.TimeoutException:
            raise AppErrorException(
                AppError(
                    ErrorCode.LLMLINK_TIMEOUT,
                    f"no reply within {timeout:g} seconds",
                    "The provider may be slow or overloaded: try again, or view the logs.",
                )
            ) from None
        except httpx.ConnectError:
            raise AppErrorException(
                AppError(
                    ErrorCode.LLMLINK_UNREACHABLE,
                    f"nothing answers on port {target.port}",
                    "Start llm-link from the tray menu, then try again.",
                )
            ) from None
        except httpx.HTTPError as exc:
            raise AppErrorException(
                AppError(
                    ErrorCode.LLMLINK_BAD_RESPONSE,
                    f"the reply broke off ({type(exc).__name__})",
                    "View the logs to see what llm-link said.",
                )
            ) from None
    if first is None:
        raise AppErrorException(_empty_stream(target))
    return StreamResult(first, time.perf_counter() - started, "".join(text), len(text))


def _empty_stream(target: Target) -> AppError:
    if target.provider == "ollama":
        return AppError(
            ErrorCode.LLMLINK_BAD_RESPONSE,
            EMPTY_OLLAMA_STREAM,
            "A known gap of llm-link (0.7.0 and 0.3.6): point your editor at Ollama directly.",
        )
    return AppError(
        ErrorCode.LLMLINK_BAD_RESPONSE,
        "llm-link returned an empty stream",
        "Check the model name, then view the logs to see what the provider said.",
    )


def _http_error(target: Target, status: int, excerpt: str) -> AppError:
    if status == 401 and target.needs_access_key:
        return AppError(
            ErrorCode.CONFIG_ERROR,
            "llm-link refused the access key",
            "Restart llm-link from the tray menu so that it uses the stored access key.",
        )
    if status == 400:
        # llm-link's OpenAI route answers 400 with an empty body to a model not on its own list.
        return AppError(
            ErrorCode.CONFIG_ERROR,
            f"llm-link refused the chat (HTTP 400); it accepts only models it lists, and {target.model} may not be one",
            "Pick a model from the tray's Models menu.",
        )
    if status == 404:
        return AppError(
            ErrorCode.CONFIG_ERROR,
            f"port {target.port} does not serve the {target.protocol} protocol (HTTP 404)",
            "Check the app mode in Settings, and that llm-link runs.",
        )
    detail = f": {excerpt}" if excerpt else ""
    return AppError(
        ErrorCode.LLMLINK_BAD_RESPONSE,
        f"the chat failed with HTTP {status}{detail}",
        "Check the provider's key and model in Settings, then view the logs.",
    )


def _ollama_piece(line: str) -> str:
    """Ollama's stream: one JSON object per line, `message.content` a piece, `done` on the last."""
    if not line.strip():
        return ""
    chunk = _json(line)
    if "error" in chunk:
        raise AppErrorException(_stream_error(str(chunk["error"])))
    message = chunk.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    return content if isinstance(content, str) else ""


def _sse_piece(line: str) -> str:
    """OpenAI's stream: `data: {chunk}` events with `choices[0].delta.content`, then `data: [DONE]`."""
    if not line.startswith("data:"):
        return ""
    data = line[5:].strip()
    if data == "[DONE]":
        return ""
    chunk = _json(data)
    if "error" in chunk:
        raise AppErrorException(_stream_error(str(chunk["error"])))
    choices = chunk.get("choices")
    if not (isinstance(choices, list) and choices and isinstance(choices[0], dict)):
        return ""
    delta = choices[0].get("delta")
    content = delta.get("content") if isinstance(delta, dict) else None
    return content if isinstance(content, str) else ""


def _json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        raise AppErrorException(
            AppError(
                ErrorCode.LLMLINK_BAD_RESPONSE,
                "the reply is not a chat stream",
                "Another program may be using llm-link's port: check the port in Settings.",
            )
        ) from None
    return value if isinstance(value, dict) else {}


def _stream_error(message: str) -> AppError:
    return AppError(
        ErrorCode.LLMLINK_BAD_RESPONSE,
        f"the provider answered with an error: {message[:160]}",
        "Check the provider's key and model in Settings.",
    )
