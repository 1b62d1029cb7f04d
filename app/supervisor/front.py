"""The editor's side of the supervisor behind the gateway: which llm-link the gateway serves, retiring the ones
it no longer does, and what the gateway adds to a probe (does it answer, what real traffic says).

The façade (`supervisor.py`) decides *which* instance is current under its lock; this module only carries that
to the gateway: `serve` flips to a new instance and stops the old one once its requests have drained, in the
background (a drain can take up to 60 s, and no intent should wait for it); `clear` makes editors wait for the
next one. The gateway process itself is `gateway.GatewayKeeper`'s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from app.errors import AppError, ErrorCode
from app.providers import provider
from app.secret import Secret
from app.supervisor import traffic
from app.supervisor.clients import ClientPool
from app.supervisor.gateway import GatewayKeeper, GatewaySetup, Upstream
from app.supervisor.instance import Instance
from app.supervisor.policy import Policy
from app.supervisor.state import HealthDetails
from app.tasks import BackgroundTasks

UPSTREAM_SUGGESTION = "Check the provider's status page and your key in Settings; this clears on the next success."


class Front:
    def __init__(
        self,
        setup: GatewaySetup,
        policy: Policy,
        clients: ClientPool,
        tasks: BackgroundTasks,
        changed: Callable[[], None],
    ) -> None:
        self.keeper = GatewayKeeper(setup, policy, changed)
        self.policy = policy
        self._clients, self._tasks = clients, tasks
        self._retiring: set[Instance] = set()  # replaced instances still finishing their requests
        self.traffic: traffic.Traffic | None = None  # as of the last probe

    def follow(self, policy: Policy) -> None:
        """A new timing policy (stop grace, the gateway's restart backoff)."""
        self.policy = policy
        self.keeper.follow(policy)

    async def serve(self, instance: Instance, old: Instance | None, port: int) -> None:
        """New requests go to `instance` now; `old` is stopped once its requests are done. `port` is the
        editor's, for a gateway not started yet (an intent before the supervisor's own open)."""
        if self.keeper.port is None:
            await self.keeper.open(port)
        label = f"{provider(instance.config.provider).display_name} (pid {instance.pid})"  # a new one: fresh health
        drained = await self.keeper.set_upstream(Upstream(instance.port, instance.auth_key, label))
        if old is None:
            return
        self._retiring.add(old)

        async def retire() -> None:
            await drained  # the old instance's last stream has ended (or was cut at the drain limit)
            await old.stop(self.policy.stop_grace)
            self._retiring.discard(old)
            await self.forget(old)

        self._tasks.spawn(retire(), name=f"retire llm-link {old.pid}")

    async def clear(self, reason: str) -> None:
        """No llm-link serves: editors' requests wait for the next one, then get `reason`."""
        await self.keeper.clear_upstream(reason)

    async def forget(self, instance: Instance) -> None:
        """`instance` no longer runs (stopped or crashed): its port's client is closed. Only then: a request
        still in flight on it ends at once on a dead port, where a live one would hold the close up."""
        await self._clients.drop(instance.port)

    async def set_access_key(self, key: Secret | None) -> None:
        await self.keeper.set_policy(self.keeper.origins, key)

    async def set_origins(self, origins: list[str] | None) -> AppError | None:
        return await self.keeper.set_policy(origins, self.keeper.access_key)

    async def probe(self, details: HealthDetails, provider_id: str) -> HealthDetails:
        """`details` of llm-link, with whether the gateway answers and what its counts say (kept in `traffic`)."""
        stats = await self.keeper.stats()
        name = provider(provider_id).display_name
        self.traffic = traffic.parse(stats, name) if stats is not None else None
        failing = self.traffic.upstream_failing if self.traffic else None
        return replace(details, gateway_ok=stats is not None, upstream_failing=failing)

    def blocking_error(self) -> AppError | None:
        """Why no gateway can serve until the user acts (its port taken, a crash loop), else None."""
        return None if self.keeper.running else self.keeper.error

    def causes(self, details: HealthDetails, port: int) -> dict[str, object]:
        """The `error` of a probe that is not RUNNING because of the gateway or of the provider."""
        if details.gateway_ok is False:
            error = self.keeper.error or AppError(
                ErrorCode.GATEWAY_FAILED,
                f"the gateway on port {port} does not answer; it is being restarted",
                "If this stays, use Restart in the tray menu, or View logs.",
            )
            return {"error": error}
        if details.upstream_failing and details.llmlink_serving:
            return {"error": AppError(ErrorCode.UPSTREAM_FAILING, details.upstream_failing, UPSTREAM_SUGGESTION)}
        return {}

    async def close(self, *, stop: bool) -> None:
        """Stop watching the gateway (and with `stop`, stop it); replaced instances serve nobody: stop them."""
        await self.keeper.close(stop=stop)
        for old in list(self._retiring):
            await old.stop(self.policy.stop_grace)
