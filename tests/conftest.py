"""Fixtures that drive the real llm-link and a loopback stand-in for its upstream providers.

llm-link builds come from `scripts/run-tests` (cargo install from crates.io into $LLM_LINK_TRAY_BUILDS).
Where CI=true a missing build or desktop part fails the test instead of skipping it: a skip is not a pass.
"""

from __future__ import annotations

import gc
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import psutil
import pytest

from app.paths import llmlink_builds_dir
from app.supervisor.contract import LaunchRequest
from tests.llmlink_harness import RunningLlmLink, free_port, start_llmlink
from tests.upstream_stub import GOOD_KEY, UpstreamStub

REPO_ROOT = Path(__file__).resolve().parent.parent
VERSIONS = tuple((REPO_ROOT / "tests" / "llm-link-versions.txt").read_text().split())
MODERN, LEGACY = VERSIONS  # 0.7.0 and the newest 0.3.x on crates.io
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# Every llm-link this run starts inherits this marker, so the leftover check below counts only our own
# (another suite running on the same machine is none of our business).
# (setdefault: helper processes that import this module, like a supervisor run on its own, keep the marker)
SESSION_MARKER = (
    "LLM_LINK_TRAY_TEST_RUN",
    os.environ.setdefault("LLM_LINK_TRAY_TEST_RUN", f"{os.getpid()}-{os.urandom(4).hex()}"),
)

# Without a display (a plain `pytest` outside scripts/run-tests), Qt-only tests render offscreen.
if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def builds_dir() -> Path:
    """The llm-link builds (`app.paths.llmlink_builds_dir`, the one place that rule lives)."""
    return llmlink_builds_dir()


def missing(what: str) -> None:
    """A required part is not there: fail in CI, skip elsewhere (with the command that provides it)."""
    message = f"{what} (scripts/run-tests installs it)"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def llmlink_build(version: str) -> Path:
    binary = builds_dir() / version / "bin" / "llm-link"
    if not os.access(binary, os.X_OK):
        missing(f"llm-link {version} is not built at {binary}")
    return binary


@pytest.fixture(scope="session", autouse=True)
def no_automatic_garbage_collection() -> Iterator[None]:
    """As in the tray (app/ui/main_thread_gc.py): the cyclic collector would run in whichever thread allocates,
    here the upstream stand-in's request threads, keyring threads and qasync's executor threads, and destroy
    Qt objects of earlier tests that wait in reference cycles (a closed qasync loop's timer object) in that
    thread. That crashed whole-suite runs inside QEventLoop.run_forever (4 of 6 loaded runs). Garbage is
    collected after each test instead, on the main thread."""
    was = gc.isenabled()
    gc.disable()
    yield
    if was:
        gc.enable()


@pytest.fixture(autouse=True)
def collect_garbage_after_each_test() -> Iterator[None]:
    yield
    gc.collect()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    # Belt and braces for `missing()`: no skip of any origin may pass silently in CI.
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which counts as a failure: {report.longrepr}"
    return report


# --- llm-link ---------------------------------------------------------------------------------------


@pytest.fixture(params=VERSIONS, ids=lambda v: f"llm-link-{v}")
def llmlink_binary(request: pytest.FixtureRequest) -> Path:
    """Each test using this runs once per llm-link version."""
    return llmlink_build(request.param)


@pytest.fixture
def modern_binary() -> Path:
    return llmlink_build(MODERN)


@pytest.fixture
def legacy_binary() -> Path:
    return llmlink_build(LEGACY)


StartLlmLink = Callable[..., Awaitable[RunningLlmLink]]


@pytest.fixture
async def start_llmlink_for() -> AsyncIterator[StartLlmLink]:
    """`await start(binary, provider=…, api_key=…, …)`: a real llm-link on a free loopback port."""
    started: list[RunningLlmLink] = []

    async def start(binary: Path, provider: str = "ollama", **fields: object) -> RunningLlmLink:
        fields.setdefault("port", free_port())
        running = await start_llmlink(binary, LaunchRequest(provider=provider, **fields))  # type: ignore[arg-type]
        started.append(running)
        return running

    yield start
    for running in started:
        await running.stop()


@pytest.fixture
async def llmlink(llmlink_binary: Path, start_llmlink_for: StartLlmLink) -> RunningLlmLink:
    """A running llm-link (ollama provider, default model) of each version."""
    return await start_llmlink_for(llmlink_binary)


@pytest.fixture(scope="session", autouse=True)
def no_llmlink_outlives_the_suite() -> Iterator[None]:
    """Neither llm-link nor a gateway started by this run (both outlive a tray by design, so a test that
    forgets one leaves it serving for ever)."""
    yield
    builds = str(builds_dir())
    leftovers = []
    for proc in psutil.process_iter(["pid", "exe", "cmdline", "status", "environ"]):
        exe, cmdline = proc.info["exe"] or "", proc.info["cmdline"] or []
        ours = (proc.info["environ"] or {}).get(SESSION_MARKER[0]) == SESSION_MARKER[1]
        gateway = "app.gateway" in cmdline or "--gateway" in cmdline
        # A zombie has ended; it lingers only until its parent (init, for an orphan) reaps it.
        if (exe.startswith(builds) or gateway) and ours and proc.info["status"] != psutil.STATUS_ZOMBIE:
            leftovers.append(f"{proc.info['pid']}: {' '.join(cmdline)}")
            proc.kill()
    assert not leftovers, f"llm-link or gateway processes outlived the test suite: {leftovers}"


# --- upstream stand-ins -----------------------------------------------------------------------------


@pytest.fixture
def upstream() -> Iterator[UpstreamStub]:
    """An OpenAI/Ollama-style upstream on a free loopback port; accepts only GOOD_KEY."""
    stub = UpstreamStub().start()
    yield stub
    stub.stop()


@pytest.fixture
def ollama_upstream() -> Iterator[UpstreamStub]:
    """The stand-in on Ollama's default port: llm-link's Ollama backend always calls localhost:11434."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", 11434)) == 0:
            missing("port 11434 is taken (a real Ollama?), so the Ollama stand-in cannot listen there")
    stub = UpstreamStub(port=11434).start()
    yield stub
    stub.stop()


@pytest.fixture
def ollama_port_free() -> None:
    """Nothing listens where llm-link's Ollama backend looks (localhost:11434)."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", 11434)) == 0:
            missing("port 11434 is taken (a real Ollama?); this test needs Ollama absent")


@pytest.fixture
def good_key() -> str:
    return GOOD_KEY
