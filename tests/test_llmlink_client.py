"""The typed client against real llm-link 0.7.0 and 0.3.x: every endpoint, and the ways calls go wrong."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import threading
from collections.abc import Iterator

import httpx
import psutil
import pytest

from app.errors import ErrorCode
from app.llmlink_client import (
    LlmLinkClient,
    LlmLinkError,
    LlmLinkHttpError,
    LlmLinkMalformedResponse,
    LlmLinkTimeout,
    LlmLinkUnexpectedShape,
    LlmLinkUnreachable,
)
from app.secret import Secret
from tests.conftest import StartLlmLink
from tests.llmlink_harness import CountingTransport, RunningLlmLink, free_port
from tests.upstream_stub import OLLAMA_MODELS, UpstreamStub

SOME_KEY = "sk-test-0123456789-secret-value"


async def test_health_names_the_process_provider_and_model(llmlink: RunningLlmLink) -> None:
    async with llmlink.client() as client:
        health = await client.health()
    assert health.status == "ok"
    assert health.pid == llmlink.pid
    assert (health.provider, health.model) == ("ollama", "llama2")
    assert health.instance_id > 1_700_000_000  # whole Unix seconds at start


async def test_current_config_reports_without_the_key(llmlink: RunningLlmLink) -> None:
    async with llmlink.client() as client:
        config = await client.current_config()
    assert (config.provider, config.model) == ("ollama", "llama2")
    assert config.has_api_key is False


async def test_update_returns_a_restart_plan_with_the_key_kept_secret(
    llmlink: RunningLlmLink, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with llmlink.client() as client:
        health = await client.health()
        plan = await client.update("zhipu", Secret(SOME_KEY), model="glm-4-plus")
    assert plan.restart_required
    assert plan.current_instance_id == health.instance_id
    assert (plan.provider, plan.model) == ("zhipu", "glm-4-plus")
    assert plan.env_vars["ZHIPU_API_KEY"].reveal() == SOME_KEY
    assert SOME_KEY not in repr(plan)
    assert SOME_KEY not in caplog.text


async def test_update_fills_in_the_default_model(llmlink: RunningLlmLink) -> None:
    async with llmlink.client() as client:
        plan = await client.update("ollama", Secret(""), base_url="http://127.0.0.1:9")
    assert plan.model == "llama2"
    assert plan.env_vars["OLLAMA_BASE_URL"].reveal() == "http://127.0.0.1:9"
    assert "OLLAMA_API_KEY" not in plan.env_vars


async def test_update_rejects_an_unknown_provider_with_a_typed_400(llmlink: RunningLlmLink) -> None:
    async with llmlink.client() as client:
        with pytest.raises(LlmLinkHttpError) as caught:
            await client.update("no-such-provider", Secret(SOME_KEY))
    assert caught.value.status_code == 400
    assert caught.value.body_excerpt == ""  # llm-link explains nothing
    assert "provider" in caught.value.to_app_error().suggestion


async def test_update_needs_a_model_for_moonshot(llmlink: RunningLlmLink) -> None:
    async with llmlink.client() as client:
        with pytest.raises(LlmLinkHttpError):
            await client.update("moonshot", Secret(SOME_KEY))
        plan = await client.update("moonshot", Secret(SOME_KEY), model="kimi-k2-turbo-preview")
    assert plan.env_vars["MOONSHOT_API_KEY"].reveal() == SOME_KEY


async def test_validate_lists_the_ollama_upstreams_models(
    llmlink: RunningLlmLink, ollama_upstream: UpstreamStub
) -> None:
    async with llmlink.client() as client:
        result = await client.validate("ollama", Secret(""))
    assert result.is_valid
    assert [m.id for m in result.models] == list(OLLAMA_MODELS)
    ollama_upstream.wait_for_request("/api/tags")


async def test_validate_key_for_a_cloud_provider_lists_models(llmlink: RunningLlmLink) -> None:
    async with llmlink.client() as client:
        result = await client.validate_key("zhipu", Secret(SOME_KEY))
    assert result.is_valid
    assert result.supports_hot_reload
    assert any(m.id.startswith("glm-") for m in result.models)
    assert all(m.name for m in result.models)


async def test_validate_rejects_an_unknown_provider(llmlink: RunningLlmLink) -> None:
    async with llmlink.client() as client:
        with pytest.raises(LlmLinkHttpError) as caught:
            await client.validate("no-such-provider", Secret(SOME_KEY))
    assert caught.value.status_code == 400


async def test_update_key_checks_the_key_format_and_applies_in_place(llmlink: RunningLlmLink) -> None:
    async with llmlink.client() as client:
        refused = await client.update_key("openai", Secret("not-an-openai-key"))
        accepted = await client.update_key("openai", Secret(SOME_KEY), base_url="http://127.0.0.1:9/v1")
        config = await client.current_config()
        health = await client.health()
    assert not refused.succeeded
    assert "sk-" in refused.message
    assert accepted.succeeded and accepted.restart_required is False
    assert (config.provider, config.has_api_key, config.has_base_url) == ("openai", True, True)
    assert health.pid == llmlink.pid  # no restart


async def test_switch_provider_changes_provider_and_model_in_place(llmlink: RunningLlmLink) -> None:
    async with llmlink.client() as client:
        result = await client.switch_provider("zhipu", model="glm-4-air", api_key=Secret(SOME_KEY))
        health = await client.health()
        unknown = client.switch_provider("no-such-provider")
        with pytest.raises(LlmLinkHttpError):
            await unknown
    assert result.succeeded
    assert (result.provider, result.model) == ("zhipu", "glm-4-air")
    assert (health.provider, health.model, health.pid) == ("zhipu", "glm-4-air", llmlink.pid)


async def test_pid_is_the_processes_own(llmlink: RunningLlmLink) -> None:
    async with llmlink.client() as client:
        assert await client.pid() == llmlink.pid


async def test_shutdown_says_success_but_llmlink_keeps_running(llmlink: RunningLlmLink) -> None:
    async with llmlink.client() as client:
        ack = await client.shutdown()
        health = await client.health()
    assert ack.status == "success"
    assert llmlink.proc.returncode is None
    assert health.pid == llmlink.pid


async def test_info_lists_providers_and_the_enabled_editor_api(llmlink: RunningLlmLink) -> None:
    async with llmlink.client() as client:
        info = await client.info()
    assert info.service == "llm-link"
    assert (info.current_provider, info.current_model) == ("ollama", "llama2")
    assert {"openai", "anthropic", "zhipu", "ollama"} <= set(info.supported_providers)
    assert info.api_endpoints["ollama"].enabled
    assert "openai" not in info.api_endpoints  # zed mode serves the Ollama API only


# --- the bad paths ----------------------------------------------------------------------------------


async def test_not_running_is_unreachable() -> None:
    async with LlmLinkClient(f"http://127.0.0.1:{free_port()}") as client:
        with pytest.raises(LlmLinkUnreachable) as caught:
            await client.health()
    assert caught.value.to_app_error().code is ErrorCode.LLMLINK_UNREACHABLE


async def test_frozen_llmlink_times_out_and_recovers(llmlink: RunningLlmLink) -> None:
    os.kill(llmlink.pid, signal.SIGSTOP)
    try:
        async with llmlink.client(timeout=0.5) as client:
            with pytest.raises(LlmLinkTimeout) as caught:
                await client.health()
    finally:
        os.kill(llmlink.pid, signal.SIGCONT)
    assert caught.value.to_app_error().code is ErrorCode.LLMLINK_TIMEOUT
    async with llmlink.client() as client:
        assert (await client.health()).pid == llmlink.pid


async def test_closing_while_a_request_is_in_flight_leaves_no_socket_open(llmlink: RunningLlmLink) -> None:
    """The supervisor closes a retired or stopped instance's client while a probe may still run on it. httpcore
    forgets a connection it is still opening when its pool closes, and the request then completes over a socket
    nobody closes: a tray running for days would keep one open per such race, and the suite saw it as an
    "unclosed transport" warning at the end of a 200-switch test. The close waits for the request instead."""
    transport = CountingTransport()
    client = llmlink.client(transport=transport)
    request = asyncio.ensure_future(client.health())
    await transport.wait_entered(1)  # the request is opening its connection now
    await client.aclose()
    assert (await asyncio.wait_for(request, 5)).pid == llmlink.pid  # it was answered
    assert not _sockets_to(llmlink.port)
    with pytest.raises(LlmLinkUnreachable, match="closed"):
        await client.health()


async def test_a_close_given_up_while_it_waits_still_closes(llmlink: RunningLlmLink) -> None:
    """The close waits for requests in flight; given up meanwhile (a quit cancels the retirement that closes a
    client), it still closes: the pool's connections end, and the request waiting on a frozen llm-link with
    them, rather than at its timeout with its socket left to the garbage collector."""
    transport = CountingTransport()
    client = llmlink.client(timeout=30, transport=transport)
    os.kill(llmlink.pid, signal.SIGSTOP)  # accepted by the kernel, never answered: the request stays in flight
    try:
        request = asyncio.ensure_future(client.health())
        await transport.wait_entered(1)
        with pytest.raises(TimeoutError):  # it waits for the request, which waits 30 s: given up meanwhile
            await asyncio.wait_for(client.aclose(), 0.2)
        with pytest.raises(LlmLinkError):
            await asyncio.wait_for(request, 5)
        assert not _sockets_to(llmlink.port)
    finally:
        os.kill(llmlink.pid, signal.SIGCONT)


async def test_a_close_cancelled_while_it_closes_still_closes_every_connection(llmlink: RunningLlmLink) -> None:
    """httpcore's pool takes its connections off its list, then closes them one by one. A quit cancelled the
    retirement closing an old instance's client in between, and the connections after the first stayed open:
    the 200-switch test's "unclosed transport" once the first fix was in."""
    transport = CountingTransport()
    client = llmlink.client(transport=transport)
    await asyncio.gather(client.health(), client.health())  # at once: two connections in the pool
    assert len(_sockets_to(llmlink.port)) == 2
    closing = asyncio.ensure_future(client.aclose())
    await transport.closing.wait()  # by now the pool has closed its first connection and waits on a checkpoint
    closing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await closing
    assert not _sockets_to(llmlink.port)


def _sockets_to(port: int) -> list[object]:
    """This process's open TCP connections to `port`."""
    return [conn for conn in psutil.Process().net_connections("tcp") if conn.raddr and conn.raddr.port == port]


async def test_another_http_server_on_the_port_gives_a_typed_404(upstream: UpstreamStub) -> None:
    async with LlmLinkClient(upstream.url) as client:
        with pytest.raises(LlmLinkHttpError) as caught:
            await client.health()
    assert caught.value.status_code == 404


@pytest.fixture
def raw_server() -> Iterator[tuple[int, list[bytes]]]:
    """A TCP server that answers every connection with the next canned reply, then closes."""
    replies: list[bytes] = []
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(replies.pop(0) if replies else b"")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield port, replies
    listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() on Linux
    listener.close()
    thread.join(timeout=5)
    assert not thread.is_alive()


def _http(body: bytes, content_type: str = "application/json") -> bytes:
    head = f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (b"SSH-2.0-OpenSSH_9.2\r\n", LlmLinkMalformedResponse),  # not HTTP at all
        (_http(b"<html>Ollama is running</html>", "text/html"), LlmLinkMalformedResponse),
        (_http(b"\xff\xfe garbage"), LlmLinkMalformedResponse),
        (_http(b"[1, 2, 3]"), LlmLinkUnexpectedShape),
        (_http(b'{"status": "ok", "pid": "12"}'), LlmLinkUnexpectedShape),
        (
            _http(b'{"status": "ok", "instance_id": true, "pid": 1, "provider": "x", "model": "y"}'),
            LlmLinkUnexpectedShape,
        ),
    ],
    ids=["not-http", "html", "binary", "json-list", "wrong-field-type", "bool-for-int"],
)
async def test_garbage_from_a_non_llmlink_server_is_a_typed_error(
    raw_server: tuple[int, list[bytes]], reply: bytes, error: type[Exception]
) -> None:
    port, replies = raw_server
    replies.append(reply)
    async with LlmLinkClient(f"http://127.0.0.1:{port}") as client:
        with pytest.raises(error):
            await client.health()


async def test_every_call_has_a_timeout() -> None:
    """A server that accepts and never answers: the call ends by itself, as a typed timeout."""
    hold = socket.create_server(("127.0.0.1", 0))  # accepted by the kernel, never read
    try:
        async with LlmLinkClient(f"http://127.0.0.1:{hold.getsockname()[1]}", timeout=0.3) as client:
            for call in (
                client.health(),
                client.current_config(),
                client.pid(),
                client.info(),
                client.update_key("openai", Secret(SOME_KEY)),
            ):
                with pytest.raises(LlmLinkTimeout):
                    await asyncio.wait_for(call, 5)
    finally:
        hold.close()


async def test_bad_and_good_keys_reach_the_upstream_through_llmlink(
    llmlink_binary: object, start_llmlink_for: StartLlmLink, upstream: UpstreamStub, good_key: str
) -> None:
    """llm-link's `validate` never asks a cloud upstream (it answers from its model list), so a bad key
    shows only when a request goes upstream: the stand-in sees the key and answers 401."""
    running = await start_llmlink_for(
        llmlink_binary, "openai", api_key=Secret("sk-wrong-0123456789"), base_url=upstream.url, model="stub-gpt-4o"
    )
    async with running.client(timeout=15) as client, httpx.AsyncClient(base_url=running.url, timeout=15) as editor:
        validation = await client.validate("openai", Secret("sk-wrong-0123456789"), base_url=upstream.url)
        assert validation.is_valid  # the binary's word, not the upstream's
        assert not upstream.requests
        bad = await editor.post("/api/chat", json=_chat("stub-gpt-4o"))
        assert upstream.wait_for_request("/chat/completions").authorization == "Bearer sk-wrong-0123456789"
        assert bad.status_code >= 400
        assert (await client.update_key("openai", Secret(good_key), base_url=upstream.url)).succeeded
        good = await editor.post("/api/chat", json=_chat("stub-gpt-4o"))
    assert good.status_code == 200, good.text
    assert "hello from the openai stub" in good.text


def _chat(model: str) -> dict[str, object]:
    return {"model": model, "stream": False, "messages": [{"role": "user", "content": "hi"}]}


def test_the_client_is_for_plain_http_only() -> None:
    """It skips TLS set-up (a new client per llm-link port must be cheap), so it refuses what would need it."""
    with pytest.raises(ValueError, match="plain HTTP"):
        LlmLinkClient("https://127.0.0.1:11435")
