"""Wakes every few seconds and records the SLA breaches that have come due.

Correct after a restart by construction: what is due is read from `sla_watch` (a projection
of the event log), and each ticket's aggregate remembers which breaches it recorded, so a
breach missed while the service was down fires at the first scan and none fires twice.
Time comes from an injected clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import IntegrityError
from psycopg_pool import AsyncConnectionPool

from libs.catalog.model import Catalog
from libs.platform.metrics import SLA_BREACHES
from services.escalation.adapters.store import EscalationApplication, escalation_id_of
from services.escalation.domain.decisions import SlaSetup, record_breaches

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


class BreachWatcher:
    def __init__(
        self,
        *,
        app: EscalationApplication,
        pool: AsyncConnectionPool[Any],
        schema: str,
        catalog: Catalog,
        setup: SlaSetup,
        clock: Clock = system_clock,
        interval_s: float = 5.0,
    ) -> None:
        self.app = app
        self.pool = pool
        self.schema = schema
        self.catalog = catalog
        self.setup = setup
        self.clock = clock
        self.interval_s = interval_s

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.scan_once()
            except Exception:
                log.exception("breach scan failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.interval_s)

    async def scan_once(self) -> int:
        now = self.clock()
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                f'SELECT ticket_id::text FROM "{self.schema}".sla_watch'
                " WHERE next_breach_at <= %s ORDER BY next_breach_at LIMIT 500",
                (now,),
            )
            due = [row[0] for row in await cur.fetchall()]
        fired = 0
        for ticket_id in due:
            fired += await asyncio.to_thread(self._fire, ticket_id, now)
        return fired

    def _fire(self, ticket_id: str, now: datetime) -> int:
        for _ in range(5):
            escalation = self.app.repository.get(escalation_id_of(ticket_id))
            kinds = record_breaches(escalation, now, self.catalog, self.setup)
            if not kinds:
                return 0
            try:
                self.app.save(escalation)
            except IntegrityError:
                continue  # the consumer changed it meanwhile: decide again on fresh state
            for kind in kinds:
                SLA_BREACHES.labels(kind, escalation.group).inc()
                log.warning("SLA breached", extra={"ticket_id": ticket_id, "kind": kind})
            return len(kinds)
        return 0
