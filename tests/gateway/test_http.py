"""The gateway in front of a real llm-link: what editors, browsers and rebinding pages get from it."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.conftest import StartLlmLink
from tests.gateway.conftest import CHAT, StartGateway, wait_until
from tests.llmlink_harness import RunningLlmLink
from tests.upstream_stub import UpstreamStub

pytestmark = pytest.mark.llmlink
PAGE = "http://localhost:5173"  # an allowed origin under the defaults (a local dev server)


async def test_editor_requests_pass_and_llmlinks_wildcard_grant_is_gone(
    openai_llmlink: RunningLlmLink, start_gateway: StartGateway, upstream: UpstreamStub
) -> None:
    gw = await start_gateway(openai_llmlink)
    async with httpx.AsyncClient() as http:
        direct = await http.get(f"{openai_llmlink.url}/api/health")
        assert direct.headers["access-control-allow-origin"] == "*"  # what the gateway exists to take away
        health = await http.get(f"{gw.url}/api/health")
        assert health.status_code == 200
        assert health.json()["pid"] == openai_llmlink.pid
        assert "access-control-allow-origin" not in health.headers
        chat = await http.post(f"{gw.url}/api/chat", json=CHAT, headers={"User-Agent": "Zed/0.190"})
        assert chat.status_code == 200
        assert chat.json()["message"]["content"] == "hello from the openai stub"
    stats = await gw.control("stats")
    zed = next(c for c in stats["clients"] if c["client"] == "Zed/0.190")
    assert (zed["requests"], zed["in_flight"], zed["errors"], zed["blocked"]) == (1, 0, 0, 0)
    assert zed["ttfb_ms_last"] is not None and zed["per_minute"][-1] == 1
    assert stats["health"]["recent_statuses"][-1] == 200


async def test_dns_rebinding_host_is_refused(llmlink: RunningLlmLink, start_gateway: StartGateway) -> None:
    gw = await start_gateway(llmlink)
    async with httpx.AsyncClient() as http:
        for host in ("attacker.example", f"attacker.example:{gw.port}", "192.168.1.20"):
            answer = await http.get(f"{gw.url}/api/health", headers={"Host": host})
            assert answer.status_code == 403, host
            assert "Host" in answer.json()["error"]
        for host in (f"localhost:{gw.port}", f"127.0.0.1:{gw.port}", f"[::1]:{gw.port}"):
            assert (await http.get(f"{gw.url}/api/health", headers={"Host": host})).status_code == 200, host


async def test_management_and_debug_routes_are_not_on_the_editor_port(
    llmlink: RunningLlmLink, start_gateway: StartGateway
) -> None:
    gw = await start_gateway(llmlink)
    async with httpx.AsyncClient() as http:
        assert (await http.get(f"{llmlink.url}/api/config/current")).status_code == 200  # llm-link serves it
        for method, path in [
            ("GET", "/api/config/current"),
            ("POST", "/api/config/switch-provider"),
            ("POST", "/api/config/update-key"),
            ("GET", "/api//%63onfig/current"),
            ("GET", "/debug"),
        ]:
            answer = await http.request(method, f"{gw.url}{path}", json={"provider": "openai"})
            assert answer.status_code == 404, path
        assert (await http.get(f"{llmlink.url}/api/config/current")).json()["provider"] == "ollama"


async def test_browser_origins_allowed_get_their_own_grant_others_403(
    llmlink: RunningLlmLink, start_gateway: StartGateway
) -> None:
    gw = await start_gateway(llmlink)
    async with httpx.AsyncClient() as http:
        allowed = await http.get(f"{gw.url}/api/health", headers={"Origin": PAGE})
        assert allowed.status_code == 200
        assert allowed.headers.get_list("access-control-allow-origin") == [PAGE]

        refused = await http.get(f"{gw.url}/api/health", headers={"Origin": "https://evil.example"})
        assert refused.status_code == 403
        assert not [h for h in refused.headers if h.startswith("access-control-")]

        preflight = {
            "Origin": PAGE,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,authorization",
        }
        answer = await http.options(f"{gw.url}/api/chat", headers=preflight)
        assert answer.status_code == 204
        assert answer.headers["access-control-allow-origin"] == PAGE
        assert answer.headers["access-control-allow-headers"] == "content-type,authorization"

        evil_preflight = {**preflight, "Origin": "https://evil.example"}
        answer = await http.options(f"{gw.url}/api/chat", headers=evil_preflight)
        assert answer.status_code == 403 and "access-control-allow-origin" not in answer.headers

        await gw.control("set_policy", allowed_origins=["https://my-app.example"])
        assert (await http.get(f"{gw.url}/api/health", headers={"Origin": PAGE})).status_code == 403
        mine = await http.get(f"{gw.url}/api/health", headers={"Origin": "https://my-app.example"})
        assert mine.headers["access-control-allow-origin"] == "https://my-app.example"
    stats = await gw.control("stats")
    assert sum(c["blocked"] for c in stats["clients"]) == 3


async def test_no_llmlink_holds_the_request_then_answers_503_with_the_reason(start_gateway: StartGateway) -> None:
    gw = await start_gateway(None, hold_seconds=1.0)
    async with httpx.AsyncClient() as http:
        started = time.monotonic()
        answer = await http.get(f"{gw.url}/api/tags")
        assert time.monotonic() - started >= 1.0
        assert answer.status_code == 503
        assert answer.json() == {"error": "llm-link is stopped: start it from the tray"}
        reason = "llm-link is restarting after a crash"
        assert (await gw.control("clear_upstream", reason=reason))["ok"]
        assert (await http.get(f"{gw.url}/api/tags")).json() == {"error": reason}


async def test_a_held_request_is_served_by_the_llmlink_that_arrives(
    openai_llmlink: RunningLlmLink, start_gateway: StartGateway
) -> None:
    gw = await start_gateway(None, hold_seconds=10.0)
    async with httpx.AsyncClient(timeout=30) as http:
        pending = asyncio.create_task(http.post(f"{gw.url}/api/chat", json=CHAT))

        async def held() -> bool:
            return any(c["in_flight"] for c in (await gw.control("stats"))["clients"])

        await wait_until(held)
        assert not pending.done()
        await gw.point_at(openai_llmlink)
        answer = await pending
        assert answer.status_code == 200
        assert answer.json()["message"]["content"] == "hello from the openai stub"


async def test_a_crashed_llmlink_means_held_requests_not_refused_connections(
    llmlink_binary: object, start_llmlink_for: StartLlmLink, start_gateway: StartGateway
) -> None:
    first = await start_llmlink_for(llmlink_binary)
    gw = await start_gateway(first)
    await first.stop()  # a crash the supervisor has not reported yet
    second = await start_llmlink_for(llmlink_binary)
    async with httpx.AsyncClient(timeout=30) as http:
        pending = asyncio.create_task(http.get(f"{gw.url}/api/health"))

        async def held() -> bool:
            return any(c["in_flight"] for c in (await gw.control("stats"))["clients"])

        await wait_until(held)
        await gw.point_at(second)  # the supervisor restarted it
        answer = await pending
    assert answer.status_code == 200 and answer.json()["pid"] == second.pid


async def test_5xx_from_llmlink_shows_in_health_and_recovers(
    openai_llmlink: RunningLlmLink, start_gateway: StartGateway, upstream: UpstreamStub
) -> None:
    gw = await start_gateway(None)
    await gw.point_at(openai_llmlink, label="OpenAI")
    good_key = upstream.good_key
    async with httpx.AsyncClient() as http:
        upstream.good_key = "sk-a-key-llm-link-does-not-have"  # the provider now refuses: llm-link says 500
        for _ in range(3):
            assert (await http.post(f"{gw.url}/api/chat", json=CHAT)).status_code == 500
        health = (await gw.control("stats"))["health"]
        assert health["label"] == "OpenAI"
        assert (health["failed"], health["recent"]) == (3, 3)
        assert health["last_failure"]["text"] == "Chat request failed"
        upstream.good_key = good_key
        assert (await http.post(f"{gw.url}/api/chat", json=CHAT)).status_code == 200
    assert (await gw.control("stats"))["health"]["recent_statuses"] == [500, 500, 500, 200]


async def test_keep_alive_on_both_sides(llmlink: RunningLlmLink, start_gateway: StartGateway) -> None:
    gw = await start_gateway(llmlink)
    async with httpx.AsyncClient() as http:
        pids = {(await http.get(f"{gw.url}/api/health")).json()["pid"] for _ in range(50)}
    assert pids == {llmlink.pid}
    connections = (await gw.control("stats"))["connections"]
    assert (connections["accepted"], connections["upstream_opened"]) == (1, 1)  # 50 requests, one each side


async def test_an_access_key_in_ollama_mode_is_checked_and_never_forwarded(
    openai_llmlink: RunningLlmLink, start_gateway: StartGateway
) -> None:
    key = "editor-access-key-" + "7" * 16
    gw = await start_gateway(openai_llmlink)
    assert (await gw.control("set_policy", access_key=key))["ok"]
    async with httpx.AsyncClient() as http:
        assert (await http.post(f"{gw.url}/api/chat", json=CHAT)).status_code == 401
        wrong = await http.post(f"{gw.url}/api/chat", json=CHAT, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
        chat = await http.post(f"{gw.url}/api/chat", json=CHAT, headers={"Authorization": f"Bearer {key}"})
        assert chat.status_code == 200
        # Not /api/health: the log leaves out the banners of health polls (output_log.py).
        marker = await http.get(f"{gw.url}/api/tags", headers={"x-api-key": key, "User-Agent": "marker-7f3"})
        assert marker.status_code == 200

    async def logged() -> bool:
        return "marker-7f3" in openai_llmlink.log_text()

    await wait_until(logged)  # llm-link logs each request's headers: the key was taken off before it
    assert key not in openai_llmlink.log_text()
