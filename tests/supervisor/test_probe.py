"""The health probe against real llm-link 0.7.0 and 0.3.x: a probe cut short leaves nothing of its own running."""

from __future__ import annotations

import asyncio
import os
import signal

from app.supervisor.probe import EDITOR_ROUTES, probe
from tests.llmlink_harness import CountingTransport, RunningLlmLink


async def test_a_cancelled_probe_leaves_no_request_running(llmlink: RunningLlmLink) -> None:
    """The monitor cancels its probe when the supervisor closes, and the supervisor then closes the probe's
    client. The probe's second request (the editor route, asked beside /api/health) used to run on by itself,
    on a client being closed: the way a socket was left open (see LlmLinkClient.aclose)."""
    transport = CountingTransport()
    before = asyncio.all_tasks()
    async with llmlink.client(transport=transport) as client:
        os.kill(llmlink.pid, signal.SIGSTOP)  # it accepts connections and answers none: both requests wait
        try:
            checking = asyncio.ensure_future(
                probe(client, "127.0.0.1", llmlink.port, None, editor_route=EDITOR_ROUTES["ollama"], timeout=30)
            )
            await transport.wait_entered(2)  # /api/health and the editor route, both in flight
            checking.cancel()
            await asyncio.gather(checking, return_exceptions=True)
            assert asyncio.all_tasks() == before  # nothing of the probe runs on
        finally:
            os.kill(llmlink.pid, signal.SIGCONT)
