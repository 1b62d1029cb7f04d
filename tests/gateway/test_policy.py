"""The gateway's pure decisions: which Host, Origin, route and key pass (no process, no network)."""

from __future__ import annotations

import pytest

from app.gateway.activity import Activity, MinuteCounts, failure_text
from app.gateway.policy import DEFAULT_ORIGINS, Policy, check_origin_pattern, host_is_local, is_management_path


@pytest.mark.parametrize(
    "origin",
    [
        b"http://localhost",
        b"http://localhost:3000",
        b"https://127.0.0.1:8443",
        b"http://[::1]:5173",
        b"app://obsidian.md",
        b"file://",
        b"tauri://localhost",
        b"vscode-webview://1a2b3c",
        b"vscode-file://vscode-app",
        b"HTTP://LOCALHOST:3000",
    ],
)
def test_default_origins_allow_local_pages_and_desktop_shells(origin: bytes) -> None:
    assert Policy().origin_allowed(origin)


@pytest.mark.parametrize(
    "origin",
    [
        b"https://evil.example",
        b"http://localhost.evil.example",
        b"http://localhost:1.evil.example",
        b"http://127.0.0.2:8000",  # loopback, but not on the list: a page served on another 127/8 address
        b"http://0.0.0.0:8000",
        b"null",
        b"http://localhost:3000/path",
        b"\xff",
    ],
)
def test_default_origins_refuse_everything_else(origin: bytes) -> None:
    assert not Policy().origin_allowed(origin)


def test_an_edited_list_replaces_the_defaults() -> None:
    policy = Policy.build(["https://my-app.example", "http://127.0.0.2:*"])
    assert policy.origin_allowed(b"https://my-app.example")
    assert policy.origin_allowed(b"http://127.0.0.2:8000")
    assert not policy.origin_allowed(b"http://localhost:3000")
    assert Policy.build(None).allowed_origins == DEFAULT_ORIGINS


@pytest.mark.parametrize("bad", ["localhost:3000", "null", "http://localhost:3000/app"])
def test_origin_patterns_that_are_not_origins_are_refused_with_a_reason(bad: str) -> None:
    with pytest.raises(ValueError, match="origin"):
        check_origin_pattern(bad)


@pytest.mark.parametrize(
    ("host", "local"),
    [
        (b"localhost:11435", True),
        (b"LOCALHOST", True),
        (b"127.0.0.1:11435", True),
        (b"127.1.2.3", True),
        (b"[::1]:11435", True),
        (None, True),  # HTTP/1.0 tools send none; every browser does
        (b"attacker.example", False),
        (b"attacker.example:11435", False),
        (b"localhost.attacker.example", False),
        (b"192.168.1.10:11435", False),
        (b"[::1]x", False),
        (b"localhost:abc", False),
        (b"", False),
    ],
)
def test_host_must_name_loopback(host: bytes | None, local: bool) -> None:
    assert host_is_local(host) is local


@pytest.mark.parametrize(
    "target",
    [
        b"/api/config/current",
        b"/api/config/switch-provider",
        b"/api/config",
        b"/API/Config/update-key",
        b"//api//config/update",
        b"/api/%63onfig/update-key",
        b"/api/%2563onfig/update-key",
        b"/v1/../api/config/current",
        b"/api/./config/current?x=1",
        b"/debug",
        b"/debug/pprof",
    ],
)
def test_management_routes_are_recognised_however_spelled(target: bytes) -> None:
    assert is_management_path(target)


@pytest.mark.parametrize("target", [b"/api/chat", b"/api/tags", b"/v1/chat/completions", b"/", b"/api/health"])
def test_editor_routes_are_not_management(target: bytes) -> None:
    assert not is_management_path(target)


def test_access_key_accepts_bearer_or_x_api_key_and_nothing_else() -> None:
    policy = Policy.build(access_key="editor-key-123")
    assert policy.key_accepted(b"Bearer editor-key-123", None)
    assert policy.key_accepted(b"bearer editor-key-123", None)
    assert policy.key_accepted(None, b"editor-key-123")
    assert not policy.key_accepted(b"Bearer editor-key-12", None)
    assert not policy.key_accepted(b"Basic editor-key-123", None)
    assert not policy.key_accepted(None, None)
    assert Policy().key_accepted(None, None)  # no key configured: the zed/Ollama mode


def test_minute_series_cover_the_last_hour() -> None:
    counts = MinuteCounts()
    counts.add(1000)
    counts.add(1000)
    counts.add(1059)
    series = counts.series(1059)
    assert len(series) == 60 and series[0] == 2 and series[-1] == 1
    assert counts.series(1060)[0] == 0  # minute 1000 has left the window


def test_health_window_counts_5xx_and_starts_afresh_for_a_new_provider() -> None:
    activity = Activity(health_window=5)
    activity.reset_health("OpenAI")
    for status in (200, 500, 500, 200, 500, 502):
        activity.upstream_answered("OpenAI", status, b'{"error":"Chat request failed"}')
    health = activity.snapshot()["health"]
    assert health["recent_statuses"] == [500, 500, 200, 500, 502]
    assert health["failed"] == 4 and health["recent"] == 5
    assert health["last_failure"]["text"] == "Chat request failed"
    activity.upstream_answered("Zhipu", 500, b"")  # a request still finishing on the old instance
    assert activity.snapshot()["health"]["recent"] == 5
    activity.reset_health("Zhipu")
    assert activity.snapshot()["health"] == {
        "label": "Zhipu",
        "recent_statuses": [],
        "recent": 0,
        "failed": 0,
        "last_failure": None,
        "chat_ok_at": None,
    }


def test_only_a_chat_answered_2xx_says_the_key_works() -> None:
    activity = Activity()
    activity.reset_health("OpenAI (pid 7)")
    activity.upstream_answered("OpenAI (pid 7)", 200, b"", chat=False)  # a model list: llm-link's own table
    activity.upstream_answered("OpenAI (pid 7)", 500, b"", chat=True)
    assert activity.snapshot()["health"]["chat_ok_at"] is None
    activity.upstream_answered("OpenAI (pid 7)", 200, b"", chat=True)
    assert activity.snapshot()["health"]["chat_ok_at"] is not None


def test_failure_text_takes_the_message_out_of_common_error_shapes() -> None:
    assert failure_text(b'{"error":{"message":"rate limited","type":"x"}}') == "rate limited"
    assert failure_text(b'{"message":"upstream down"}') == "upstream down"
    assert failure_text(b"Bad   Gateway\n") == "Bad Gateway"
    assert failure_text(b"") == "(empty response body)"


def test_clients_beyond_the_limit_evict_the_least_recently_seen() -> None:
    activity = Activity()
    for n in range(70):
        client = activity.client(f"tool/{n}".encode())
        activity.started_request(client)
        activity.finished_request(client, 200, broken=False)
    assert len(activity.clients) == 64
    assert "tool/69" in activity.clients
