"""llm-link's output log: bounded, rotated, scrubbed of keys, without the tray's own health polls."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from app.llmlink_client import LlmLinkClient, LlmLinkError
from app.secret import Secret
from app.supervisor import output_log
from app.supervisor.config import LlmLinkConfig
from app.supervisor.instance import Instance, launch
from app.supervisor.output_log import OutputLog, OutputStream
from app.supervisor.probe import PROBE_USER_AGENT
from tests.llmlink_harness import free_port


def test_the_log_rotates_and_stays_bounded(tmp_path: Path) -> None:
    log = OutputLog(tmp_path / "llm-link.log", max_bytes=10_000, backups=4)
    for i in range(2_000):
        log.write(f"line {i:05d} " + "x" * 80)
    log.close()
    files = sorted(tmp_path.glob("llm-link.log*"))
    assert [f.name for f in files] == ["llm-link.log", *(f"llm-link.log.{n}" for n in range(1, 5))]
    assert sum(f.stat().st_size for f in files) <= 5 * 10_000 + 200
    assert "line 01999" in (tmp_path / "llm-link.log").read_text()
    assert log.tail(2)[-1].startswith("line 01999")


def test_a_known_key_never_reaches_the_file(tmp_path: Path) -> None:
    key = Secret("sk-live-abcdefghijklmnopqrstuvwxyz")
    log = OutputLog(tmp_path / "llm-link.log")
    log.write(f'Headers: {{"authorization": "Bearer {key.reveal()}"}}')
    log.close()
    text = (tmp_path / "llm-link.log").read_text()
    assert key.reveal() not in text
    assert "sk-l…wxyz" in text
    assert key.reveal() not in " ".join(log.tail())


# --- the tray's health polls, against real llm-link -------------------------------------------------------

POLLS = 100
MARKER = "/api/info"  # a request of its own before and after the polls, to cut out just what they logged


class RecordingLog(OutputLog):
    """llm-link's output log as the supervisor uses it, also keeping the raw bytes llm-link wrote."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.raw = bytearray()
        self._fed = asyncio.Event()

    def stream(self, on_line: Callable[[str], None] | None = None) -> OutputStream:
        return RecordingStream(self, on_line)

    def record(self, data: bytes) -> None:
        self.raw += data
        self._fed.set()

    async def wait_for_raw(self, text: str, count: int, timeout: float = 15) -> None:
        """Until llm-link has written `text` `count` times, and all of it went through the log."""
        async with asyncio.timeout(timeout):
            while self.raw.count(text.encode()) < count:
                self._fed.clear()
                await self._fed.wait()


class RecordingStream(OutputStream):
    """A process's stream (what `spawn` feeds) that also keeps the raw bytes in its `RecordingLog`."""

    def __init__(self, log: RecordingLog, on_line: Callable[[str], None] | None) -> None:
        super().__init__(log, on_line)
        self.recording = log

    def feed(self, data: bytes) -> None:
        self.recording.record(data)
        super().feed(data)


@contextlib.asynccontextmanager
async def logged_llmlink(binary: Path, tmp_path: Path) -> AsyncIterator[tuple[Instance, RecordingLog, LlmLinkClient]]:
    """A real llm-link at the tray's default log level (info), its output through a `RecordingLog`."""
    output = RecordingLog(tmp_path / "llm-link.log")
    config = LlmLinkConfig(provider="ollama", port=free_port(), binary=str(binary))
    assert config.log_level == "info"
    instance = await launch(config, None, output=output, start_timeout=20)
    try:
        async with LlmLinkClient(f"http://127.0.0.1:{instance.port}") as client:
            await client.status_of(MARKER)
            await output.wait_for_raw(f"uri={MARKER} ", 2)  # its "Processing" and "Response" lines
            yield instance, output, client
    finally:
        await instance.stop(2.0)
        output.close()


async def between_markers(output: RecordingLog, client: LlmLinkClient) -> tuple[list[str], list[str]]:
    """Ends the measurement with the second marker: (what llm-link wrote, what the log file kept) since the
    first marker's answer, up to the second marker's request."""
    await client.status_of(MARKER)
    await output.wait_for_raw(f"uri={MARKER} ", 4)

    def cut(text: str) -> list[str]:
        lines = text.splitlines()
        answered = next(i for i, line in enumerate(lines) if f"uri={MARKER} " in line and "Response:" in line)
        second = [i for i, line in enumerate(lines) if line.endswith(f"Incoming request: GET {MARKER}")][1]
        return lines[answered + 1 : second - 1]  # the line before "Incoming request" opens its banner

    return cut(output.raw.decode()), cut(output.path.read_text())


async def test_health_polls_add_almost_nothing_to_llmlinks_log(llmlink_binary: Path, tmp_path: Path) -> None:
    async with logged_llmlink(llmlink_binary, tmp_path) as (_, output, client):
        for _ in range(POLLS):
            await client.health()
        written, kept = await between_markers(output, client)
    before = sum(len(line.encode()) + 1 for line in written)
    after = sum(len(line.encode()) + 1 for line in kept)
    version = llmlink_binary.parent.parent.name
    print(f"\nllm-link {version}: {POLLS} health requests: {before} bytes from llm-link, {after} logged")
    assert len(written) == 12 * POLLS, written[:24]  # the banner (10 lines) and 2 lines in the request's span
    assert before > 500 * POLLS
    assert after <= 200, kept


async def test_the_trays_editor_route_checks_are_left_out_and_an_editors_requests_kept(
    llmlink_binary: Path, tmp_path: Path
) -> None:
    assert PROBE_USER_AGENT == output_log.PROBE_USER_AGENT  # two copies of one value: see output_log.py
    async with logged_llmlink(llmlink_binary, tmp_path) as (_, output, client):
        for _ in range(POLLS // 10):
            await client.status_of("/api/tags", headers={"User-Agent": PROBE_USER_AGENT})
        await client.status_of("/api/tags", headers={"User-Agent": "Zed/0.160.7"})
        written, kept = await between_markers(output, client)
    per_request = len(written) // (POLLS // 10 + 1)  # 12, or 13 where llm-link logs its model table load
    assert len(written) == per_request * (POLLS // 10 + 1) and per_request >= 12
    assert [line for line in kept if "Zed/0.160.7" in line]
    assert len(kept) == per_request, kept  # the editor's request, all of it; nothing of the tray's checks


async def test_config_changes_and_other_requests_stay_in_the_log(llmlink_binary: Path, tmp_path: Path) -> None:
    async with logged_llmlink(llmlink_binary, tmp_path) as (_, output, client):
        await client.health()
        await client.switch_provider("ollama", model="qwen2.5:7b")
        await client.health()
        with contextlib.suppress(LlmLinkError):  # whatever it answers, the request is in the log
            await client.update("ollama", Secret("dummy-ollama-key-0123"), model="llama3.2")
        await client.health()
        await client.status_of("/api/health/not-the-health-route")
        await client.health()
        written, kept = await between_markers(output, client)
    config_lines = [line for line in written if "/api/config/" in line or "witch" in line]
    assert any("Incoming request: POST /api/config/switch-provider" in line for line in config_lines)
    assert any("Provider switched successfully" in line for line in config_lines), config_lines
    assert any("Incoming request: POST /api/config/update" in line for line in config_lines)
    assert [line for line in kept if line in config_lines] == config_lines
    assert any("/api/health/not-the-health-route" in line for line in kept)
    # Exactly the health requests' twelve lines each are gone, nothing else.
    assert len(kept) == len(written) - 12 * 4
    assert not [line for line in kept if "/api/health" in line and "not-the-health-route" not in line]


async def test_a_poll_at_the_same_time_as_another_request_never_costs_that_requests_lines(
    llmlink_binary: Path, tmp_path: Path
) -> None:
    """The monitor asks the health route and the editor route at once: their banners may interleave."""
    other = "/api/config/current"
    async with logged_llmlink(llmlink_binary, tmp_path) as (_, output, client):
        await asyncio.gather(*(client.health() for _ in range(POLLS)), *(client.status_of(other) for _ in range(POLLS)))
        written, kept = await between_markers(output, client)
    for kind in (f"Incoming request: GET {other}", f"Full URI: {other}", f"uri={other} "):
        assert sum(kind in line for line in kept) == sum(kind in line for line in written) >= POLLS, kind
    dropped = Counter(written) - Counter(kept)
    assert not Counter(kept) - Counter(written)  # nothing invented or changed
    banners_dropped = sum(n for line, n in dropped.items() if line.endswith("Incoming request: GET /api/health"))
    print(f"\n{banners_dropped} of {POLLS} concurrent health banners dropped, the others kept whole")
    for line in dropped:
        assert "/api/health" in line or re.search(r"INFO llm_link: (🌐 =|📋 (?!Full URI)|=)", line), line
    # Of each dropped banner all ten lines went, and no line of another request's banner.
    assert sum(dropped.values()) - sum(n for line, n in dropped.items() if "uri=/api/health" in line) == (
        10 * banners_dropped
    )
