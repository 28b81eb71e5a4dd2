"""Routing's read model of its own tickets: open incidents per application, children, labels.

It is a projection of routing's own event log (decisions, reclassifications, links, the
statuses heard from intake), kept in routing's schema and caught up on demand: before any
read, the index applies what the log holds beyond its recorded position, in one transaction
with the new position, under a row lock (replicas take turns). So the duplicate check of a
report sees every decision stored before it, and the index can always be rebuilt from the
log by deleting its rows and position.

Decisions of a batch still being decided are not in the log yet; `Overlay` holds them so a
burst of reports of one outage, decided in one batch, still finds its first report.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from services.routing.domain.decision import OPEN, TicketRouting
from services.routing.domain.examples import LabelledTicket
from services.routing.domain.outages import (
    PARENTLESS_CHANNELS,
    OpenIncident,
    is_parentless_channel,
)

DDL = """
CREATE TABLE IF NOT EXISTS {s}.ticket_index (
  ticket_id text PRIMARY KEY,
  received_at timestamptz NOT NULL,
  application text,
  group_code text NOT NULL,
  type text NOT NULL,
  text text NOT NULL DEFAULT '',
  parent_id text,
  status text NOT NULL DEFAULT 'open',
  reclassified boolean NOT NULL DEFAULT false
);
ALTER TABLE {s}.ticket_index ADD COLUMN IF NOT EXISTS channel text NOT NULL DEFAULT '';
ALTER TABLE {s}.ticket_index ADD COLUMN IF NOT EXISTS unit text;
CREATE INDEX IF NOT EXISTS ticket_index_open_roots ON {s}.ticket_index
  (application, received_at) WHERE parent_id IS NULL AND type = 'incident' AND status = 'open';
CREATE INDEX IF NOT EXISTS ticket_index_parent ON {s}.ticket_index (parent_id);
CREATE TABLE IF NOT EXISTS {s}.ticket_index_position (
  name text PRIMARY KEY, position bigint NOT NULL
);
INSERT INTO {s}.ticket_index_position VALUES ('ticket_index', 0) ON CONFLICT DO NOTHING;
"""

_BATCH = 500
_PARENTLESS = sorted(PARENTLESS_CHANNELS)


@dataclass(frozen=True)
class IndexedTicket:
    ticket_id: str
    received_at: datetime
    application: str | None
    type: str
    text: str
    parent_id: str | None
    status: str
    channel: str = ""
    #: The requester's unit code (None before routing recorded it): a burst needs other units.
    unit: str | None = None

    @classmethod
    def of(cls, routing: TicketRouting) -> IndexedTicket:
        return cls(
            routing.ticket_id,
            routing.received_at,
            routing.application,
            routing.type,
            routing.text,
            routing.parent_id,
            routing.status,
            routing.channel,
            routing.unit,
        )


class Overlay:
    """Routing records changed by the batch being decided, not yet in the log."""

    def __init__(self) -> None:
        self.tickets: dict[str, IndexedTicket] = {}

    def add(self, routing: TicketRouting) -> None:
        self.tickets[routing.ticket_id] = IndexedTicket.of(routing)


class TicketIndex:
    def __init__(self, database_url: str, schema: str, app: Any) -> None:
        self.s = f'"{schema}"'
        self.app = app
        self._lock = threading.Lock()
        # A duplicate check per incident: a connection each time would cost more than the check.
        self._pool = ConnectionPool(database_url, min_size=1, max_size=4, open=True)

    def _connect(self) -> AbstractContextManager[psycopg.Connection[Any]]:
        return self._pool.connection()

    def close(self) -> None:
        self._pool.close()

    def ensure_tables(self) -> None:
        with self._connect() as conn:
            conn.execute(DDL.format(s=self.s))

    # -- catching up with the log -----------------------------------------------------------

    def catch_up(self) -> int:
        """Apply what the log holds beyond the recorded position; the number applied."""
        applied = 0
        with self._lock:
            while True:
                with self._connect() as conn, conn.transaction():
                    row = conn.execute(
                        f"SELECT position FROM {self.s}.ticket_index_position"
                        " WHERE name = 'ticket_index' FOR UPDATE"
                    ).fetchone()
                    position = int(row[0]) if row else 0
                    notifications = self.app.recorder.select_notifications(position + 1, _BATCH)
                    for notification in notifications:
                        self._apply(conn, self.app.mapper.to_domain_event(notification))
                    if notifications:
                        conn.execute(
                            f"UPDATE {self.s}.ticket_index_position SET position = %s"
                            " WHERE name = 'ticket_index'",
                            (notifications[-1].id,),
                        )
                applied += len(notifications)
                if len(notifications) < _BATCH:
                    return applied

    def _apply(self, conn: psycopg.Connection[Any], domain_event: Any) -> None:
        e: Any = domain_event
        if isinstance(e, TicketRouting.Routed):
            conn.execute(
                f"INSERT INTO {self.s}.ticket_index (ticket_id, received_at,"
                " application, group_code, type, text, channel, unit)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (ticket_id) DO NOTHING",
                (
                    e.ticket_id,
                    e.received_at,
                    e.application,
                    e.group,
                    e.type,
                    e.text,
                    getattr(e, "channel", ""),
                    # Decisions stored before routing kept the unit have none: no burst.
                    getattr(e, "unit", None),
                ),
            )
        elif isinstance(e, TicketRouting.Reclassified):
            self._update(
                conn,
                e.ticket_id,
                "group_code = %s, type = %s, application = %s, reclassified = true",
                (e.group, e.type, e.application),
            )
        elif isinstance(e, TicketRouting.Linked):
            self._update(conn, e.ticket_id, "parent_id = %s", (e.parent_id,))
        elif isinstance(e, TicketRouting.Unlinked):
            self._update(conn, e.ticket_id, "parent_id = NULL", ())
        elif isinstance(e, TicketRouting.StatusNoted):
            self._update(conn, e.ticket_id, "status = %s", (e.status,))

    def _update(
        self,
        conn: psycopg.Connection[Any],
        ticket_id: str,
        assignments: str,
        values: tuple[Any, ...],
    ) -> None:
        conn.execute(
            f"UPDATE {self.s}.ticket_index SET {assignments} WHERE ticket_id = %s",
            (*values, ticket_id),
        )

    # -- reading ------------------------------------------------------------------------------

    def open_incidents(
        self,
        application: str,
        at: datetime,
        window: timedelta,
        overlay: Overlay | None = None,
    ) -> list[OpenIncident]:
        """Open incidents without a parent whose outage had a report within `window` of `at`,
        and monitoring's open incidents of the application whenever they began; each with
        the units that reported its outage (its own and its children's)."""
        with self._connect() as conn:
            rows = conn.execute(
                f"SELECT r.ticket_id, r.application, r.received_at, r.text,"
                f" GREATEST(r.received_at, MAX(c.received_at)) AS last_report_at,"
                f" r.channel = ANY(%s) AS monitoring,"
                f" array_remove(array_agg(DISTINCT c.unit) || r.unit, NULL) AS units"
                f" FROM {self.s}.ticket_index r"
                f" LEFT JOIN {self.s}.ticket_index c ON c.parent_id = r.ticket_id"
                f" WHERE r.application = %s AND r.type = 'incident' AND r.parent_id IS NULL"
                f" AND r.status = 'open' AND r.received_at <= %s"
                f" GROUP BY r.ticket_id"
                f" HAVING GREATEST(r.received_at, MAX(c.received_at)) >= %s"
                f" OR r.channel = ANY(%s)"
                f" ORDER BY r.received_at DESC LIMIT 200",
                (_PARENTLESS, application, at, at - window, _PARENTLESS),
            ).fetchall()
        found = {row[0]: incident_of_row(row) for row in rows}
        if overlay is None:
            return list(found.values())
        return with_overlay(found, overlay, application, at, window)

    def children_of(self, parent_id: str, overlay: Overlay | None = None) -> list[str]:
        """Open tickets linked to `parent_id`."""
        with self._connect() as conn:
            rows = conn.execute(
                f"SELECT ticket_id FROM {self.s}.ticket_index WHERE parent_id = %s AND status = %s",
                (parent_id, OPEN),
            ).fetchall()
        children = {row[0] for row in rows}
        for ticket in overlay.tickets.values() if overlay else ():
            children.discard(ticket.ticket_id)
            if ticket.parent_id == parent_id and ticket.status == OPEN:
                children.add(ticket.ticket_id)
        return sorted(children)

    def has_children(self, ticket_id: str) -> bool:
        with self._connect() as conn:
            row = conn.execute(
                f"SELECT 1 FROM {self.s}.ticket_index WHERE parent_id = %s LIMIT 1", (ticket_id,)
            ).fetchone()
        return row is not None

    def reclassified_examples(self) -> list[LabelledTicket]:
        """Tickets an operator reclassified, with the labels they gave: training examples."""
        with self._connect() as conn:
            rows = conn.execute(
                f"SELECT text, group_code, type, application FROM {self.s}.ticket_index"
                " WHERE reclassified AND text <> '' ORDER BY ticket_id"
            ).fetchall()
        return [
            LabelledTicket(text=r[0], group=r[1], type=r[2], application=r[3], origin="operator")
            for r in rows
        ]


def incident_of_row(row: Sequence[Any]) -> OpenIncident:
    """One row of `open_incidents`' query: ticket_id, application, received_at, text,
    last_report_at, monitoring, units."""
    ticket_id, application, received_at, text, last_report_at, monitoring, units = row
    return OpenIncident(
        ticket_id,
        application,
        received_at,
        last_report_at,
        text,
        bool(monitoring),
        frozenset(u for u in units or () if u),
    )


def with_overlay(
    found: dict[str, OpenIncident],
    overlay: Overlay,
    application: str,
    at: datetime,
    window: timedelta,
) -> list[OpenIncident]:
    """The stored open incidents, corrected by what the current batch decided."""
    for ticket in overlay.tickets.values():
        stored = found.pop(ticket.ticket_id, None)
        if (
            ticket.application == application
            and ticket.type == "incident"
            and ticket.parent_id is None
            and ticket.status == OPEN
            and ticket.received_at <= at
        ):
            last = stored.last_report_at if stored else ticket.received_at
            units = stored.units if stored else frozenset()
            found[ticket.ticket_id] = OpenIncident(
                ticket.ticket_id,
                application,
                ticket.received_at,
                last,
                ticket.text,
                is_parentless_channel(ticket.channel),
                units | {ticket.unit} if ticket.unit else units,
            )
    for ticket in overlay.tickets.values():
        parent = found.get(ticket.parent_id or "")
        if parent is not None:
            found[parent.ticket_id] = parent.reported_by(ticket.unit, ticket.received_at)
    return [i for i in found.values() if i.monitoring or i.last_report_at >= at - window]
