"""The status a person sees: what the supervisor knows, merged into the last status and published.

`state.next_status` holds the merge rules and `state.derive_state` what a probe means; this adds the
supervisor's own view (its current pid and config), logs each change of state, and tells `changed` (the
monitor: a new state may poll at another interval).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from app.errors import AppError
from app.supervisor.config import LlmLinkConfig
from app.supervisor.state import Failure, HealthDetails, State, derive_state, next_status
from app.supervisor.store import StatusStore

log = logging.getLogger("llm_link_tray.supervisor")

# The supervisor's view: the pid of its current instance (None: nothing runs) and its config.
View = Callable[[], tuple[int | None, LlmLinkConfig]]


class Publisher:
    def __init__(self, store: StatusStore, view: View, changed: Callable[[], None]) -> None:
        self._store, self._view, self._changed = store, view, changed

    def __call__(self, state: State, **changes: object) -> None:
        """Publish `state` with `changes`; pid, port, provider and model default to the supervisor's view."""
        self._publish(state, changes, probed=False)

    def probed(self, details: HealthDetails, **changes: object) -> None:
        """What a probe found, as the state it shows (see `derive_state`)."""
        managed = self._view()[0] is not None
        state = derive_state(details, managed=managed, current=self._store.current.state)
        self._publish(state, {"details": details, **changes}, probed=True)

    def _publish(self, state: State, changes: Mapping[str, object], *, probed: bool) -> None:
        (pid, config), before = self._view(), self._store.current
        status = next_status(
            before, state, changes, pid=pid, port=config.port, provider=config.provider, model=config.model
        )
        if state is not before.state:
            cause = f" ({status.error.code})" if status.error and state is State.ERROR else ""
            log.info("state %s → %s%s", before.state, state, cause)
        self._store.publish(status, probed=probed)
        self._changed()

    def refused(self, error: AppError) -> None:
        """An intent that failed while nothing changed: shown beside the state, which keeps its own cause."""
        self(self._store.current.state, last_failure=Failure(error))

    def starting(self, config: LlmLinkConfig, pid: int) -> None:
        """llm-link `pid` starts with `config` (just spawned, or adopted and not yet probed): STARTING, and a new
        start makes the last error history."""
        shown = {"provider": config.provider, "model": config.model, "port": config.port}
        self(State.STARTING, error=None, pid=pid, details=HealthDetails(), **shown)

    def key_wait(self, provider_id: str, *, starting: bool) -> Callable[[str | None], None]:
        """Shows what a key lookup waits for (the keyring's unlock prompt), in STARTING for a start (a new start
        begins: the last error is history), so menu, tooltip and `status` say why nothing happens."""

        def show(waiting: str | None) -> None:
            if waiting and starting:
                model = self._view()[1].model
                self(State.STARTING, waiting=waiting, error=None, provider=provider_id, model=model)
            else:
                self(self._store.current.state, waiting=waiting)

        return show
