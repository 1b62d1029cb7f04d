"""Third-party clients stream through the gateway from real llm-link; a flip never breaks a stream."""

from __future__ import annotations

import asyncio
import secrets
import threading
from pathlib import Path

import httpx
import ollama
import openai
import pytest

from app.secret import Secret, mask
from tests.conftest import StartLlmLink
from tests.gateway.conftest import CHAT, StartGateway, wait_until
from tests.llmlink_harness import RunningLlmLink
from tests.upstream_stub import GOOD_KEY, UpstreamStub

pytestmark = pytest.mark.llmlink
STREAM = {**CHAT, "stream": True}


async def test_ollama_client_streams_through_the_gateway(
    openai_llmlink: RunningLlmLink, start_gateway: StartGateway, upstream: UpstreamStub
) -> None:
    gw = await start_gateway(openai_llmlink)
    async with ollama.AsyncClient(host=gw.url) as client:
        reply = await client.chat(model="gpt-4o", messages=[{"role": "user", "content": "hi"}], stream=True)
        parts = [part.message.content or "" async for part in reply]
    assert "".join(parts) == "".join(upstream.stream_pieces)
    assert len(parts) >= len(upstream.stream_pieces)  # arrived as pieces, not as one block
    stats = await gw.control("stats")
    assert any(c["client"].startswith("ollama-python/") and c["requests"] == 1 for c in stats["clients"])


async def test_openai_client_streams_with_the_editor_key_which_llmlink_never_sees(
    llmlink_binary: Path, start_llmlink_for: StartLlmLink, start_gateway: StartGateway, upstream: UpstreamStub
) -> None:
    editor_key = "sk-editor-" + secrets.token_hex(12)
    private_key = secrets.token_hex(16)  # what llm-link gets; a fresh throwaway on each start
    llmlink = await start_llmlink_for(
        llmlink_binary,
        provider="openai",
        app_mode="codex-cli",
        api_key=Secret(GOOD_KEY),
        base_url=upstream.url,
        auth_key=Secret(private_key),
    )
    gw = await start_gateway(None)
    await gw.point_at(llmlink, auth=private_key, label="OpenAI")
    assert (await gw.control("set_policy", access_key=editor_key))["ok"]

    messages: list[openai.types.chat.ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]
    async with openai.AsyncOpenAI(base_url=f"{gw.url}/v1", api_key=editor_key, max_retries=0) as client:
        stream = await client.chat.completions.create(model="gpt-4o", messages=messages, stream=True)
        text = "".join([chunk.choices[0].delta.content or "" async for chunk in stream if chunk.choices])
    assert text == "".join(upstream.stream_pieces)

    async with openai.AsyncOpenAI(base_url=f"{gw.url}/v1", api_key="sk-not-the-key", max_retries=0) as wrong:
        with pytest.raises(openai.AuthenticationError, match="Incorrect API key"):
            await wrong.chat.completions.create(model="gpt-4o", messages=messages)
    # The private key alone is no way in through the gateway either.
    async with openai.AsyncOpenAI(base_url=f"{gw.url}/v1", api_key=private_key, max_retries=0) as other:
        with pytest.raises(openai.AuthenticationError):
            await other.models.list()

    # llm-link logs every request's headers at info level: it got the private key, never the editor's.
    # (Its log passes the tray's key scrubber, which masks the keys it knows, so look for masks too.)
    async def logged() -> bool:
        return f'"authorization": "Bearer {mask(private_key)}"' in llmlink.log_text()

    await wait_until(logged)
    assert editor_key not in llmlink.log_text() and mask(editor_key) not in llmlink.log_text()


async def test_streamed_pieces_pass_through_as_they_come(
    openai_llmlink: RunningLlmLink, start_gateway: StartGateway, upstream: UpstreamStub
) -> None:
    upstream.stream_gate = threading.Event()
    gw = await start_gateway(openai_llmlink)
    try:
        async with httpx.AsyncClient(timeout=30) as http, http.stream("POST", f"{gw.url}/api/chat", json=STREAM) as r:
            lines = r.aiter_lines()
            first = await asyncio.wait_for(anext(lines), 10)  # while the upstream holds the rest back
            assert '"content":"hello"' in first
            upstream.stream_gate.set()
            rest = [line async for line in lines]
        assert '"done":true' in rest[-1]
    finally:
        upstream.stream_gate.set()


async def test_flip_moves_new_requests_and_lets_the_stream_in_flight_finish_on_the_old_one(
    llmlink_binary: Path, start_llmlink_for: StartLlmLink, start_gateway: StartGateway, upstream: UpstreamStub
) -> None:
    def launch() -> object:
        return start_llmlink_for(llmlink_binary, provider="openai", api_key=Secret(GOOD_KEY), base_url=upstream.url)

    blue: RunningLlmLink = await launch()  # type: ignore[misc]
    green: RunningLlmLink = await launch()  # type: ignore[misc]
    gw = await start_gateway(blue)
    upstream.stream_gate = threading.Event()
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            async with http.stream("POST", f"{gw.url}/api/chat", json=STREAM) as stream:
                lines = stream.aiter_lines()
                assert '"hello"' in await asyncio.wait_for(anext(lines), 10)
                flip = asyncio.create_task(gw.control("set_upstream", port=green.port, drain_timeout=30))

                async def flipped() -> bool:
                    return bool((await gw.control("stats"))["upstream"]["port"] == green.port)

                await wait_until(flipped)
                # From now on every new request goes to green and none fails, while blue still streams.
                answers = [await http.get(f"{gw.url}/api/health") for _ in range(20)]
                assert {(a.status_code, a.json()["pid"]) for a in answers} == {(200, green.pid)}
                assert not flip.done()  # the flip's answer waits for blue's stream

                upstream.stream_gate.set()
                rest = [line async for line in lines]
            assert '"done":true' in rest[-1]
            result = await asyncio.wait_for(flip, 10)
        assert result["ok"] and result["previous_port"] == blue.port
        assert (result["in_flight_at_flip"], result["drained"], result["cut"]) == (1, True, 0)
    finally:
        upstream.stream_gate.set()


async def test_a_drain_that_times_out_cuts_the_stream_visibly_and_says_so(
    llmlink_binary: Path, start_llmlink_for: StartLlmLink, start_gateway: StartGateway, upstream: UpstreamStub
) -> None:
    blue = await start_llmlink_for(llmlink_binary, provider="openai", api_key=Secret(GOOD_KEY), base_url=upstream.url)
    green = await start_llmlink_for(llmlink_binary)
    gw = await start_gateway(blue)
    upstream.stream_gate = threading.Event()
    try:
        async with httpx.AsyncClient(timeout=30) as http, http.stream("POST", f"{gw.url}/api/chat", json=STREAM) as r:
            lines = r.aiter_lines()
            await asyncio.wait_for(anext(lines), 10)
            result = await gw.control("set_upstream", port=green.port, drain_timeout=0.3)
            assert (result["drained"], result["cut"]) == (False, 1)
            # The editor sees a broken stream, never one that looks complete.
            with pytest.raises(httpx.RemoteProtocolError):
                async for _ in lines:
                    pass
    finally:
        upstream.stream_gate.set()


async def test_an_editor_that_hangs_up_mid_stream_releases_llmlink_at_once(
    openai_llmlink: RunningLlmLink, start_gateway: StartGateway, upstream: UpstreamStub
) -> None:
    """A cancelled generation: the gateway drops its llm-link connection too, as a direct one would end."""
    upstream.stream_gate = threading.Event()
    gw = await start_gateway(openai_llmlink)
    try:
        async with httpx.AsyncClient(timeout=30) as http, http.stream("POST", f"{gw.url}/api/chat", json=STREAM) as r:
            lines = r.aiter_lines()  # kept: a dropped iterator closes the response when it is collected
            await asyncio.wait_for(anext(lines), 10)
            assert (await gw.control("stats"))["in_flight"] == 1
        # The editor's connection is closed; llm-link's answer is still held back upstream.

        async def released() -> bool:
            return (await gw.control("stats"))["in_flight"] == 0

        await wait_until(released, timeout=5)
        stats = await gw.control("stats")
        assert stats["health"]["recent_statuses"] == []  # the editor's choice, not an llm-link failure
    finally:
        upstream.stream_gate.set()


async def test_streams_survive_200_flips_between_two_llmlinks(
    llmlink_binary: Path, start_llmlink_for: StartLlmLink, start_gateway: StartGateway, upstream: UpstreamStub
) -> None:
    """Clients stream without pause while the upstream flips 200 times: no failure, no truncated reply."""
    pair = [
        await start_llmlink_for(llmlink_binary, provider="openai", api_key=Secret(GOOD_KEY), base_url=upstream.url)
        for _ in range(2)
    ]
    gw = await start_gateway(pair[0])
    expected = "".join(upstream.stream_pieces)
    flipping = True
    replies: list[str] = []
    failures: list[BaseException] = []

    async def editor() -> None:
        async with ollama.AsyncClient(host=gw.url) as client:
            while flipping:
                try:
                    reply = await client.chat(model="gpt-4o", messages=[{"role": "user", "content": "hi"}], stream=True)
                    replies.append("".join([part.message.content or "" async for part in reply]))
                except (ollama.ResponseError, httpx.HTTPError) as exc:
                    failures.append(exc)

    editors = [asyncio.create_task(editor()) for _ in range(3)]
    results = []
    try:
        for flip in range(200):
            results.append(await gw.control("set_upstream", port=pair[(flip + 1) % 2].port, drain_timeout=30))
    finally:
        flipping = False
        await asyncio.gather(*editors)
    assert not failures
    assert len(replies) >= 20 and set(replies) == {expected}
    assert all(r["ok"] and r["drained"] and r["cut"] == 0 for r in results)
    assert sum(r["in_flight_at_flip"] for r in results) > 0  # flips did happen under traffic
