"""Each result folded into its target's state; a change of state saved as an event.

Order matters: a change is first saved in the event store (the truth, and the relay's
outbox), then in the state table. A crash between the two leaves the table one version
behind the aggregate; `start()` finds such rows (versions compared in one query) and takes
the state from the aggregate, so a restart neither loses nor repeats a change.
"""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from psycopg import sql

from libs.catalog.checks_model import Check
from services.monitoring.adapters.metrics import CHECK_TRANSITIONS
from services.monitoring.adapters.results import ResultStore, StoredState
from services.monitoring.adapters.store import MonitoringApplication, target_id_of
from services.monitoring.domain.confirmation import TargetState, Thresholds, Transition, observe
from services.monitoring.domain.evaluation import Result
from services.monitoring.domain.maintenance import active_window, window_label
from services.monitoring.domain.target import Target


class Recorder:
    def __init__(self, app: MonitoringApplication, results: ResultStore) -> None:
        self.app = app
        self.results = results
        self.states: dict[str, StoredState] = {}
        #: The event store's calls block; they get threads of their own, so probes' name
        #: look-ups (asyncio's default executor) can never hold a state change back.
        self.executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="monitoring-store")

    async def start(self, checks: tuple[Check, ...]) -> None:
        self.states = await self.results.load()
        versions = await self._event_versions()
        for check in checks:
            version = versions.get(target_id_of(check.id), 0)
            stored = self.states.get(check.id)
            if version and (stored is None or stored.version < version):
                target: Target = await self._blocking(
                    self.app.repository.get, target_id_of(check.id)
                )
                repaired = TargetState(state=target.state, since=target.since)
                await self.results.put_state(check.id, repaired, target.version)
                self.states[check.id] = StoredState(repaired, target.version)

    async def _event_versions(self) -> dict[uuid.UUID, int]:
        table = self.app.recorder.events_table_name  # type: ignore[attr-defined]
        query = sql.SQL(
            "SELECT originator_id, max(originator_version) FROM {} GROUP BY originator_id"
        ).format(sql.Identifier(self.results.schema, table))
        async with self.results.pool.connection() as conn:
            cur = await conn.execute(query)
            return {uuid.UUID(str(r[0])): int(r[1]) for r in await cur.fetchall()}

    async def _blocking(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    def state_of(self, check_id: str) -> TargetState:
        stored = self.states.get(check_id)
        return stored.state if stored else TargetState()

    async def record(self, check: Check, result: Result) -> Transition | None:
        stored = self.states.get(check.id) or StoredState(TargetState(), 0)
        window = active_window(check.maintenance, result.checked_at)
        new, transition = observe(
            stored.state,
            result.ok,
            result.checked_at,
            result.reason,
            Thresholds.of(check),
            window_label(window) if window is not None else None,
        )
        version = stored.version
        if transition is not None:
            version = await self._blocking(self._save_transition, check, transition)
            CHECK_TRANSITIONS.labels(transition.state).inc()
        await self.results.record(check.id, result, new, version)
        self.states[check.id] = StoredState(new, version)
        return transition

    def _save_transition(self, check: Check, t: Transition) -> int:
        target_id = target_id_of(check.id)
        try:
            target: Any = self.app.repository.get(target_id)
        except AggregateNotFoundError:
            target = Target(id=target_id, check_id=check.id)
        target.change_state(
            check_id=check.id,
            application=check.application,
            kind=check.kind,
            target=check.target,
            name=check.name,
            priority=check.priority,
            morning=check.morning,
            labels=dict(check.labels),
            state=t.state,
            previous=t.previous,
            since=t.since,
            previous_since=t.previous_since,
            reason=t.reason,
            at=t.at,
            flapping=t.flapping,
            failures=t.failures,
        )
        self.app.save(target)
        return int(target.version)
