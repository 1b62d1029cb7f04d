"""Measure the gateway against direct llm-link: added latency, throughput, idle RSS and CPU.

    .venv/bin/python -m tests.gateway.measure [--requests 1000] [--version 0.7.0]

A raw asyncio + h11 client (httpx tops out near 450 requests/s and would measure itself) sends
`GET /api/health` over one kept-alive connection, alternating direct and gateway rounds so that both see
the same machine load. Prints one JSON object. A tool, not a test: the numbers go to the report.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import h11
import psutil

from app.supervisor.contract import LaunchRequest
from tests.conftest import REPO_ROOT, builds_dir
from tests.llmlink_harness import free_port, start_llmlink


class RawClient:
    """One kept-alive HTTP/1.1 connection; h11 frames, nothing is parsed by hand."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.conn = h11.Connection(h11.CLIENT)

    @classmethod
    async def open(cls, port: int) -> RawClient:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def get(self, path: str) -> int:
        request = h11.Request(method="GET", target=path, headers=[("Host", "localhost"), ("User-Agent", "measure")])
        self.writer.write(self.conn.send(request) + self.conn.send(h11.EndOfMessage()))
        status = 0
        while True:
            event = self.conn.next_event()
            if event is h11.NEED_DATA:
                self.conn.receive_data(await self.reader.read(65536))
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.EndOfMessage):
                self.conn.start_next_cycle()
                return status
            elif not isinstance(event, h11.Data):
                raise RuntimeError(f"unexpected {event!r}")

    def close(self) -> None:
        self.writer.close()


async def latencies(port: int, count: int) -> list[float]:
    client = await RawClient.open(port)
    out = []
    for _ in range(count):
        t0 = time.perf_counter()
        assert await client.get("/api/health") == 200
        out.append(time.perf_counter() - t0)
    client.close()
    return out


async def throughput(port: int, connections: int, seconds: float) -> float:
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        client = await RawClient.open(port)
        while time.perf_counter() < deadline:
            await client.get("/api/health")
            done += 1
        client.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return done / (time.perf_counter() - started)


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 3),
    }


async def main(requests: int, version: str) -> dict[str, Any]:
    binary = builds_dir() / version / "bin" / "llm-link"
    llmlink = await start_llmlink(binary, LaunchRequest(provider="ollama", port=free_port()))
    folder = Path(tempfile.mkdtemp(prefix="gwm-"))
    env = {**os.environ, "LLM_LINK_TRAY_GATEWAY_TOKEN": secrets.token_hex(16)}
    argv = ["-m", "app.gateway", "--listen", "127.0.0.1:0", "--control", str(folder / "gw.sock")]
    gateway = await asyncio.create_subprocess_exec(
        sys.executable,
        *argv,
        "--upstream",
        str(llmlink.port),
        cwd=REPO_ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert gateway.stdout is not None
        ready = json.loads((await gateway.stdout.readline()).decode().removeprefix("GATEWAY_READY "))
        proc = psutil.Process(gateway.pid)
        rss_start = proc.memory_info().rss
        direct: list[float] = []
        through: list[float] = []
        await latencies(llmlink.port, 200)  # warm both paths up
        await latencies(ready["port"], 200)
        for _ in range(4):  # alternate rounds: both paths see the same background load
            direct += await latencies(llmlink.port, requests // 4)
            through += await latencies(ready["port"], requests // 4)
        rps_direct = await throughput(llmlink.port, 16, 3.0)
        rps_through = await throughput(ready["port"], 16, 3.0)
        cpu0 = proc.cpu_times()
        await asyncio.sleep(10.0)  # noqa: sleep-ok - the idle window being measured
        cpu1 = proc.cpu_times()
        idle_cpu = ((cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)) / 10.0 * 100
        d, t = summary(direct), summary(through)
        return {
            "llm-link": version,
            "requests": len(direct),
            "direct": d,
            "gateway": t,
            "added_p50_ms": round(t["p50_ms"] - d["p50_ms"], 3),
            "added_p99_ms": round(t["p99_ms"] - d["p99_ms"], 3),
            "throughput_rps": {"direct": round(rps_direct), "gateway": round(rps_through)},
            "gateway_rss_mb": {
                "at_start": round(rss_start / 2**20, 1),
                "after_load": round(proc.memory_info().rss / 2**20, 1),
            },
            "gateway_idle_cpu_percent": round(idle_cpu, 3),
        }
    finally:
        gateway.kill()
        await gateway.wait()
        await llmlink.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--version", default="0.7.0")
    options = parser.parse_args()
    print(json.dumps(asyncio.run(main(options.requests, options.version)), indent=2))
