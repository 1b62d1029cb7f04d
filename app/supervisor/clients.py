"""One pooled HTTP client per llm-link port: probes and switches reuse their connection (a new one costs a
TCP handshake on every probe)."""

from __future__ import annotations

from app.llmlink_client import LlmLinkClient
from app.supervisor.contract import LOOPBACK_HOST


class ClientPool:
    def __init__(self) -> None:
        self._clients: dict[int, LlmLinkClient] = {}

    def get(self, port: int) -> LlmLinkClient:
        if port not in self._clients:
            self._clients[port] = LlmLinkClient(f"http://{LOOPBACK_HOST}:{port}")
        return self._clients[port]

    async def drop(self, port: int) -> None:
        """Close the client of a port no llm-link listens on any more (a retired instance's private port)."""
        client = self._clients.pop(port, None)
        if client is not None:
            await client.aclose()

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()
