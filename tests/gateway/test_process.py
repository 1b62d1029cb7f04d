"""The gateway as a process: small, quiet when idle, its control socket private, its exits meaningful."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import psutil
import pytest

from tests.conftest import REPO_ROOT, missing
from tests.gateway.conftest import CHAT, StartGateway, spawn_gateway, wait_until
from tests.llmlink_harness import RunningLlmLink, free_port
from tests.upstream_stub import UpstreamStub

HEAVY = {"httpx", "PySide6", "qasync", "psutil", "keyring", "app.supervisor", "app.llmlink_client"}
RSS_BUDGET = 25 * 1024 * 1024
NOBODY = 65534
STREAM = {**CHAT, "stream": True}


def test_the_gateway_imports_nothing_heavy() -> None:
    code = "import sys, app.gateway.__main__; print(' '.join(sys.modules))"
    loaded = set(subprocess.check_output([sys.executable, "-c", code], cwd=REPO_ROOT, text=True).split())
    assert "h11" in loaded
    assert not {m for m in loaded if m.split(".")[0] in HEAVY or m.rsplit(".", 1)[0] in HEAVY}


@pytest.mark.llmlink
async def test_idle_gateway_is_small_and_uses_no_cpu(llmlink: RunningLlmLink, start_gateway: StartGateway) -> None:
    gw = await start_gateway(llmlink)
    reader, writer = await asyncio.open_connection("127.0.0.1", gw.port)
    for _ in range(20):  # some real traffic first, and a kept-alive editor connection left open
        writer.write(b"GET /api/health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        await reader.readuntil(b"}")
    proc = psutil.Process(gw.pid)
    before = proc.cpu_times()
    await asyncio.sleep(2.0)  # noqa: sleep-ok - the measurement window itself, not a wait for anything
    after = proc.cpu_times()
    writer.close()
    rss = proc.memory_info().rss
    assert rss <= RSS_BUDGET, f"idle RSS {rss / 2**20:.1f} MB"
    # One scheduler tick (10 ms) is the clock's resolution: no timer may wake an idle gateway.
    assert (after.user + after.system) - (before.user + before.system) <= 0.01


async def test_control_socket_is_private_and_hello_proves_identity(start_gateway: StartGateway) -> None:
    gw = await start_gateway(None)
    assert stat.S_IMODE(os.lstat(gw.control_path).st_mode) == 0o600
    hello = await gw.control("hello")
    assert hello["ok"] and hello["token"] == gw.token and hello["pid"] == gw.pid
    assert hello["listen"]["port"] == gw.port and hello["upstream"]["serving"] is False
    assert (await gw.control("nonsense"))["error"].startswith("unknown cmd")
    bad = await gw.control("set_upstream", port=gw.port)
    assert not bad["ok"] and "loop" in bad["error"]
    bad = await gw.control("set_upstream", port=1234, host="192.168.1.10")
    assert not bad["ok"] and "loopback" in bad["error"]
    bad = await gw.control("set_policy", allowed_origins=["localhost:3000"])
    assert not bad["ok"] and "scheme" in bad["error"]


async def test_another_user_cannot_use_the_control_socket(start_gateway: StartGateway) -> None:
    if os.getuid() != 0 or not os.path.exists("/usr/bin/setpriv"):
        missing("this test needs root and setpriv to act as another local user")
    gw = await start_gateway(None)
    probe = (
        "import socket, sys\n"
        "s = socket.socket(socket.AF_UNIX)\n"
        "try:\n    s.connect(sys.argv[1])\nexcept OSError as e:\n    print('refused', e.errno); sys.exit()\n"
        "try:\n    s.sendall(b'{\"cmd\": \"hello\"}\\n'); print('answer', repr(s.recv(4096)))\n"
        "except (ConnectionResetError, BrokenPipeError):\n    print('answer', repr(b''))\n"
    )

    def as_nobody() -> str:
        argv = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "/usr/bin/python3", "-c"]
        done = subprocess.run([*argv, probe, str(gw.control_path)], capture_output=True, text=True, timeout=20)
        return done.stdout + done.stderr

    assert (await asyncio.to_thread(as_nobody)).startswith("refused")  # the 0600 socket in a 0700 folder
    # Even if the file modes were loosened by mistake, the peer's uid is checked and nothing is answered.
    for folder in (gw.control_path.parent.parent, gw.control_path.parent):
        os.chmod(folder, 0o711)  # noqa: S103 - loosened on purpose: the uid check must hold on its own
    os.chmod(gw.control_path, 0o666)  # noqa: S103
    assert (await asyncio.to_thread(as_nobody)).strip() == "answer b''"


async def test_exit_codes_say_what_went_wrong(control_dir: Path, start_gateway: StartGateway) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = await spawn_gateway(control_dir, "--listen", f"127.0.0.1:{port}")
        _, err = await proc.communicate()
    assert proc.returncode == 3 and b"cannot listen" in err

    proc = await spawn_gateway(control_dir, "--listen", "0.0.0.0:0")
    _, err = await proc.communicate()
    assert proc.returncode == 2 and b"loopback" in err

    gw = await start_gateway(None)
    proc = await spawn_gateway(gw.control_path.parent, "--listen", f"127.0.0.1:{free_port()}")
    _, err = await proc.communicate()
    assert proc.returncode == 4 and b"another process" in err
    assert (await gw.control("hello"))["ok"]  # the running one is untouched

    env = {k: v for k, v in os.environ.items() if k != "LLM_LINK_TRAY_GATEWAY_TOKEN"}
    argv = ["-m", "app.gateway", "--listen", "127.0.0.1:0", "--control", str(control_dir / "x.sock")]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *argv, cwd=REPO_ROOT, env=env, stderr=asyncio.subprocess.PIPE
    )
    _, err = await proc.communicate()
    assert proc.returncode == 2 and b"token" in err


async def test_shutdown_and_sigterm_end_it_cleanly(start_gateway: StartGateway) -> None:
    gw = await start_gateway(None)
    answer = await gw.control("shutdown")
    assert answer["ok"]
    assert await asyncio.wait_for(gw.proc.wait(), 10) == 0
    assert not gw.control_path.exists()

    gw = await start_gateway(None)
    gw.proc.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(gw.proc.wait(), 10) == 0
    assert not gw.control_path.exists()
    with socket.socket() as probe:  # the port is free for a successor at once
        probe.bind(("127.0.0.1", gw.port))


@pytest.mark.llmlink
async def test_stats_answer_while_a_flip_is_draining(
    openai_llmlink: RunningLlmLink, start_gateway: StartGateway, upstream: UpstreamStub
) -> None:
    """Control commands run concurrently: a drain waiting for a stream does not stall `stats` on the same
    connection, and the answers come back by id."""
    upstream.stream_gate = threading.Event()
    gw = await start_gateway(openai_llmlink)
    reader, writer = await asyncio.open_unix_connection(str(gw.control_path))
    try:
        async with httpx.AsyncClient(timeout=30) as http, http.stream("POST", f"{gw.url}/api/chat", json=STREAM) as r:
            lines = r.aiter_lines()
            await asyncio.wait_for(anext(lines), 10)
            writer.write(json.dumps({"cmd": "set_upstream", "id": 1, "port": free_port()}).encode() + b"\n")
            writer.write(json.dumps({"cmd": "stats", "id": 2}).encode() + b"\n")
            await writer.drain()
            first = json.loads(await asyncio.wait_for(reader.readline(), 10))
            assert first["id"] == 2 and first["in_flight"] == 1  # the flip's answer is still owed
            upstream.stream_gate.set()
            async for _ in lines:
                pass
            second = json.loads(await asyncio.wait_for(reader.readline(), 10))
        assert second["id"] == 1 and (second["drained"], second["cut"]) == (True, 0)
    finally:
        upstream.stream_gate.set()
        writer.close()


async def test_shutdown_answers_held_requests_at_once(start_gateway: StartGateway) -> None:
    gw = await start_gateway(None, hold_seconds=60.0)
    async with httpx.AsyncClient(timeout=30) as http:
        held = asyncio.create_task(http.get(f"{gw.url}/api/tags"))

        async def holding() -> bool:
            return any(c["in_flight"] for c in (await gw.control("stats"))["clients"])

        await wait_until(holding)
        assert (await gw.control("shutdown", drain_timeout=30))["ok"]
        answer = await asyncio.wait_for(held, 10)  # not after the 60 s hold
    assert answer.status_code == 503 and "shutting down" in answer.json()["error"]
    assert await asyncio.wait_for(gw.proc.wait(), 10) == 0
