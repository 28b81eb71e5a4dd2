"""The ticket view the gateway serves: a projection of every service's events.

It decides nothing (ARCHITECTURE.md rule 3): it records what intake, routing and escalation
decided. Events of one ticket arrive on different topics in any order, so every update is
written to be correct whichever arrives first, and status never moves backwards.
"""

from __future__ import annotations

from typing import Any

import orjson
from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from libs.events.envelope import Envelope
from libs.text import fold
from services.intake.adapters import ticket_search as search

#: Status order for events that may arrive late: a later stage is never overwritten.
STATUS_RANK = {
    "new": 0,
    "routed": 1,
    "in_progress": 2,
    "waiting_requester": 2,
    "resolved": 3,
    "reopened": 2,
    "closed": 4,
}

DDL = """
CREATE TABLE IF NOT EXISTS {s}.ticket_view (
  id uuid PRIMARY KEY,
  number text UNIQUE,
  status text NOT NULL DEFAULT 'new',
  channel text,
  subject text,
  description text,
  requester jsonb,
  unit_code text,
  unit_kind text,
  province text,
  application text,
  picked_application text,
  group_code text,
  type text,
  priority text,
  tier text,
  owner text,
  handler text,
  first_handler jsonb,
  classification jsonb,
  parent uuid,
  received_at timestamptz,
  submitted_at timestamptz,
  updated_at timestamptz,
  search text
);
ALTER TABLE {s}.ticket_view ADD COLUMN IF NOT EXISTS assignee text;
ALTER TABLE {s}.ticket_view ADD COLUMN IF NOT EXISTS sla jsonb;
ALTER TABLE {s}.ticket_view ADD COLUMN IF NOT EXISTS cause text;
ALTER TABLE {s}.ticket_view ADD COLUMN IF NOT EXISTS attachments jsonb NOT NULL DEFAULT '[]';
ALTER TABLE {s}.ticket_view ADD COLUMN IF NOT EXISTS undeliverable jsonb NOT NULL DEFAULT '[]';
ALTER TABLE {s}.ticket_view ADD COLUMN IF NOT EXISTS monitoring jsonb;
-- The desk's decisions (issue 13): the requester's urgency, merges both ways.
ALTER TABLE {s}.ticket_view ADD COLUMN IF NOT EXISTS urgency text;
ALTER TABLE {s}.ticket_view ADD COLUMN IF NOT EXISTS merged_into jsonb;
ALTER TABLE {s}.ticket_view ADD COLUMN IF NOT EXISTS merged jsonb NOT NULL DEFAULT '[]';
-- Queues (issue 13): what falls due next and whether a target was missed, from escalation.
ALTER TABLE {s}.ticket_view ADD COLUMN IF NOT EXISTS due_at timestamptz;
ALTER TABLE {s}.ticket_view ADD COLUMN IF NOT EXISTS breached boolean;
-- Search (issue 13): folded words of everything staff may search, and of what requesters see.
ALTER TABLE {s}.ticket_view ADD COLUMN IF NOT EXISTS search_words text[];
ALTER TABLE {s}.ticket_view ADD COLUMN IF NOT EXISTS public_words text[];
CREATE INDEX IF NOT EXISTS ticket_view_words ON {s}.ticket_view USING gin (search_words);
CREATE INDEX IF NOT EXISTS ticket_view_due ON {s}.ticket_view (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS ticket_view_queue ON {s}.ticket_view (status, group_code, tier);
CREATE INDEX IF NOT EXISTS ticket_view_handler ON {s}.ticket_view (handler, status);
CREATE INDEX IF NOT EXISTS ticket_view_owner ON {s}.ticket_view (owner, status);
CREATE INDEX IF NOT EXISTS ticket_view_received ON {s}.ticket_view (received_at DESC);
CREATE TABLE IF NOT EXISTS {s}.ticket_history (
  seq bigserial PRIMARY KEY,
  ticket_id uuid NOT NULL,
  event_id text NOT NULL UNIQUE,
  type text NOT NULL,
  source text NOT NULL,
  time timestamptz NOT NULL,
  data jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS ticket_history_ticket ON {s}.ticket_history (ticket_id, time, seq);
"""


async def ensure_tables(pool: AsyncConnectionPool[Any], schema: str) -> None:
    async with pool.connection() as conn:
        await conn.execute(DDL.format(s=f'"{schema}"'))
    await search.backfill(pool, f'"{schema}"')


def projector(schema: str):  # type: ignore[no-untyped-def]
    s = f'"{schema}"'

    async def project(conn: AsyncConnection[Any], envelope: Envelope) -> None:
        if not _about_a_ticket(envelope):
            return
        await conn.execute(
            f"INSERT INTO {s}.ticket_history (ticket_id, event_id, type, source, time, data)"
            " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (event_id) DO NOTHING",
            (
                envelope.subject,
                envelope.id,
                envelope.type,
                envelope.source,
                envelope.time,
                Jsonb(envelope.data),
            ),
        )
        handler = _HANDLERS.get(envelope.type)
        if handler is not None:
            await handler(conn, s, envelope)

    return project


def _about_a_ticket(envelope: Envelope) -> bool:
    """Ticket events, and a known error opened or joined by this ticket, are its history."""
    if envelope.type.startswith("hotro.ticket."):
        return True
    return envelope.type == "hotro.known_error.changed.v1" and envelope.data.get("change") in (
        "opened",
        "joined",
    )


async def _submitted(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    d = e.data
    requester = d["requester"]
    unit = requester.get("unit") or {}
    await conn.execute(
        f"INSERT INTO {s}.ticket_view AS v (id, number, channel, subject, description, requester,"
        " unit_code, unit_kind, province, application, picked_application, priority,"
        " received_at, submitted_at, updated_at, search)"
        " VALUES (%(id)s, %(number)s, %(channel)s, %(subject)s, %(description)s, %(requester)s,"
        " %(unit_code)s, %(unit_kind)s, %(province)s, %(app)s, %(app)s, %(priority)s,"
        " %(received_at)s, %(time)s, %(time)s, %(search)s)"
        " ON CONFLICT (id) DO UPDATE SET number = EXCLUDED.number, channel = EXCLUDED.channel,"
        " subject = EXCLUDED.subject, description = EXCLUDED.description,"
        " requester = EXCLUDED.requester, unit_code = EXCLUDED.unit_code,"
        " unit_kind = EXCLUDED.unit_kind, province = EXCLUDED.province,"
        " application = COALESCE(v.application, EXCLUDED.application),"
        " picked_application = EXCLUDED.picked_application,"
        " priority = COALESCE(v.priority, EXCLUDED.priority),"
        " received_at = EXCLUDED.received_at, submitted_at = EXCLUDED.submitted_at,"
        " search = EXCLUDED.search",
        {
            "id": e.subject,
            "number": d["number"],
            "channel": d["channel"],
            "subject": d["subject"],
            "description": d["description"],
            "requester": Jsonb(requester),
            "unit_code": requester.get("unit_code"),
            "unit_kind": d.get("unit_kind") or unit.get("kind"),
            "province": d.get("unit_province") or unit.get("province"),
            "app": d.get("application_code"),
            "priority": d.get("priority"),
            "received_at": d["received_at"],
            "time": e.time,
            "search": fold(f"{d['number']} {d['subject']} {d['description']}"),
        },
    )
    await search.add_words(conn, s, e.subject, search.submission_text(d), public=True)
    await _submitted_urgency(conn, s, e)


async def _advance_status(
    conn: AsyncConnection[Any], s: str, ticket_id: str, status: str, time: Any
) -> None:
    rank = STATUS_RANK[status]
    ranks = " ".join(f"WHEN '{k}' THEN {v}" for k, v in STATUS_RANK.items())
    await conn.execute(
        f"UPDATE {s}.ticket_view SET status = %s, updated_at = GREATEST(updated_at, %s)"
        f" WHERE id = %s AND (CASE status {ranks} ELSE 0 END) <= %s",
        (status, time, ticket_id, rank),
    )


async def _ensure_row(conn: AsyncConnection[Any], s: str, ticket_id: str) -> None:
    await conn.execute(
        f"INSERT INTO {s}.ticket_view (id) VALUES (%s) ON CONFLICT (id) DO NOTHING", (ticket_id,)
    )


async def _routed(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    d = e.data
    await _ensure_row(conn, s, e.subject)
    await conn.execute(
        f"UPDATE {s}.ticket_view SET group_code = %s, type = %s, application = %s,"
        " first_handler = %s, classification = %s, priority = COALESCE(priority, %s)"
        " WHERE id = %s",
        (
            d["group"],
            d["type"],
            d.get("application"),
            Jsonb(d["first_handler"]),
            Jsonb(d["classification"]),
            d.get("priority"),
            e.subject,
        ),
    )
    await _advance_status(conn, s, e.subject, "routed", e.time)


async def _assigned(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    d = e.data
    await _ensure_row(conn, s, e.subject)
    await conn.execute(
        f"UPDATE {s}.ticket_view SET tier = %s, owner = %s, handler = %s,"
        " updated_at = GREATEST(updated_at, %s) WHERE id = %s",
        (d["tier"], d["owner"], d["handler"], e.time, e.subject),
    )


# --- the support ladder (escalation's events) -------------------------------------------


async def _ladder_moved(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    """Taken, escalated or returned: who handles it now (the owner never changes)."""
    d = e.data
    await _ensure_row(conn, s, e.subject)
    await conn.execute(
        f"UPDATE {s}.ticket_view SET tier = %s, handler = %s, assignee = %s,"
        " owner = COALESCE(%s, owner), updated_at = GREATEST(updated_at, %s) WHERE id = %s",
        (d["tier"], d["handler"], d.get("assignee"), d.get("owner"), e.time, e.subject),
    )


#: What the ticket shows of its SLA (SPEC §7, and issue 13: the first response, and while
#: paused the due times as they stood with the time left).
SLA_SHOWN = (
    "policy",
    "priority",
    "response_due",
    "resolution_due",
    "paused",
    "breached",
    "responded",
    "responded_at",
    "response_left_s",
    "resolution_left_s",
)


async def _sla_updated(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    d = e.data
    sla = {k: d.get(k) for k in SLA_SHOWN}
    await _ensure_row(conn, s, e.subject)
    await conn.execute(
        f"UPDATE {s}.ticket_view SET sla = %s WHERE id = %s", (Jsonb(sla), e.subject)
    )
    await conn.execute(
        f"UPDATE {s}.ticket_view SET due_at = %s, breached = %s WHERE id = %s",
        (d.get("next_breach_at"), bool(d.get("breached")), e.subject),
    )


# --- routing's corrections and outage links ---------------------------------------------


async def _reclassified(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    """An operator's correction replaces routing's labels; the classification says so."""
    d = e.data
    await _ensure_row(conn, s, e.subject)
    source = {"source": "operator", "confidence": 1.0, "reclassified_by": d.get("actor")}
    await conn.execute(
        f"UPDATE {s}.ticket_view SET group_code = %s, type = %s, application = %s,"
        " classification = COALESCE(classification, '{}'::jsonb) || %s,"
        " updated_at = GREATEST(updated_at, %s) WHERE id = %s",
        (d["group"], d["type"], d.get("application"), Jsonb(source), e.time, e.subject),
    )


async def _linked(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    await _ensure_row(conn, s, e.subject)
    await conn.execute(
        f"UPDATE {s}.ticket_view SET parent = %s, updated_at = GREATEST(updated_at, %s)"
        " WHERE id = %s",
        (e.data["parent_id"], e.time, e.subject),
    )


async def _unlinked(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    await conn.execute(
        f"UPDATE {s}.ticket_view SET parent = NULL, updated_at = GREATEST(updated_at, %s)"
        " WHERE id = %s AND parent = %s",
        (e.time, e.subject, e.data["parent_id"]),
    )


# --- intake's lifecycle, files and mail -------------------------------------------------


async def _status_changed(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    """Intake owns the status and its events arrive in order: set as told (reopening goes
    back), unlike the late-arriving stages of other services that only advance it."""
    d = e.data
    await _ensure_row(conn, s, e.subject)
    await conn.execute(
        f"UPDATE {s}.ticket_view SET status = %s,"
        " cause = CASE WHEN %s = 'resolved' THEN %s WHEN %s = 'reopened' THEN NULL ELSE cause END,"
        " updated_at = GREATEST(updated_at, %s) WHERE id = %s",
        (d["status"], d["status"], d.get("cause"), d["status"], e.time, e.subject),
    )
    if d["status"] == "resolved" and d.get("reason"):
        await search.add_words(conn, s, e.subject, d["reason"], public=True)


async def _attachment_added(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    d = e.data
    keep = ("attachment_id", "filename", "content_type", "size", "sha256", "stored")
    attachment = {k: d.get(k) for k in keep} | {
        "source": d.get("source"),
        "refused_reason": d.get("refused_reason"),
    }
    await _ensure_row(conn, s, e.subject)
    await conn.execute(
        f"UPDATE {s}.ticket_view SET attachments = attachments || %s WHERE id = %s"
        " AND NOT attachments @> %s",
        (Jsonb([attachment]), e.subject, Jsonb([{"attachment_id": d["attachment_id"]}])),
    )


async def _undeliverable(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    await _ensure_row(conn, s, e.subject)
    await conn.execute(
        f"UPDATE {s}.ticket_view SET undeliverable = undeliverable || %s WHERE id = %s"
        " AND NOT undeliverable @> %s",
        (Jsonb([e.data["address"]]), e.subject, Jsonb([e.data["address"]])),
    )


async def _monitoring_changed(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    """SPEC §7: a monitoring ticket shows `monitoring: {check_id, down_since, recovered_at?,
    outage_minutes?}` (and which incident, from which source); the latest change is told."""
    d = e.data
    keep = ("incident_id", "source", "check_id", "fingerprint", "down_since", "priority")
    shown = {k: d.get(k) for k in keep} | {
        "recovered_at": d.get("recovered_at"),
        "outage_minutes": d.get("outage_minutes"),
    }
    await _ensure_row(conn, s, e.subject)
    await conn.execute(
        f"UPDATE {s}.ticket_view SET monitoring = %s WHERE id = %s", (Jsonb(shown), e.subject)
    )


async def _priority_changed(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    await _ensure_row(conn, s, e.subject)
    await conn.execute(
        f"UPDATE {s}.ticket_view SET priority = %s, updated_at = GREATEST(updated_at, %s)"
        " WHERE id = %s",
        (e.data["priority"], e.time, e.subject),
    )


async def _submitted_urgency(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    await conn.execute(
        f"UPDATE {s}.ticket_view SET urgency = %s WHERE id = %s",
        (e.data.get("urgency"), e.subject),
    )


async def _corrected(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    """Subject, requester or unit corrected by an operator: the view shows the new values."""
    changes = e.data["changes"]
    columns = {"subject": "subject", "unit_kind": "unit_kind", "unit_province": "province"}
    sets, params = [], []
    for key, column in columns.items():
        if key in changes:
            sets.append(f"{column} = %s")
            params.append(changes[key])
    if "requester" in changes:
        sets += ["requester = %s", "unit_code = %s"]
        params += [Jsonb(changes["requester"]), changes["requester"].get("unit_code")]
    await _ensure_row(conn, s, e.subject)
    await conn.execute(
        f"UPDATE {s}.ticket_view SET {', '.join([*sets, 'updated_at = GREATEST(updated_at, %s)'])}"
        " WHERE id = %s",
        [*params, e.time, e.subject],
    )
    if "subject" in changes:
        await search.add_words(conn, s, e.subject, str(changes["subject"]), public=True)


async def _merged(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    into = {"id": e.data["into_id"], "number": e.data["into_number"], "at": e.data["at"]}
    await _ensure_row(conn, s, e.subject)
    await conn.execute(
        f"UPDATE {s}.ticket_view SET merged_into = %s WHERE id = %s", (Jsonb(into), e.subject)
    )


async def _merge_received(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    merged = {"id": e.data["merged_id"], "number": e.data["merged_number"], "at": e.data["at"]}
    await _ensure_row(conn, s, e.subject)
    await conn.execute(
        f"UPDATE {s}.ticket_view SET merged = merged || %s WHERE id = %s AND NOT merged @> %s",
        (Jsonb([merged]), e.subject, Jsonb([{"id": merged["id"]}])),
    )


_HANDLERS = {
    "hotro.ticket.priority_changed.v1": _priority_changed,
    "hotro.ticket.corrected.v1": _corrected,
    "hotro.ticket.merged.v1": _merged,
    "hotro.ticket.merge_received.v1": _merge_received,
    "hotro.ticket.commented.v1": search.commented,
    "hotro.ticket.monitoring_changed.v1": _monitoring_changed,
    "hotro.ticket.submitted.v1": _submitted,
    "hotro.ticket.routed.v1": _routed,
    "hotro.ticket.reclassified.v1": _reclassified,
    "hotro.ticket.linked.v1": _linked,
    "hotro.ticket.unlinked.v1": _unlinked,
    "hotro.ticket.assigned.v1": _assigned,
    "hotro.ticket.taken.v1": _ladder_moved,
    "hotro.ticket.escalated.v1": _ladder_moved,
    "hotro.ticket.returned.v1": _ladder_moved,
    "hotro.ticket.transferred.v1": _ladder_moved,
    "hotro.ticket.sla_updated.v1": _sla_updated,
    "hotro.ticket.status_changed.v1": _status_changed,
    "hotro.ticket.attachment_added.v1": _attachment_added,
    "hotro.ticket.requester_undeliverable.v1": _undeliverable,
}

VIEW_COLUMNS = (
    "id, number, status, channel, subject, description, requester, unit_code, unit_kind,"
    " province, application, picked_application, group_code, type, priority, tier, owner,"
    " handler, first_handler, classification, parent, received_at, submitted_at, updated_at,"
    " assignee, sla, cause, attachments, undeliverable, monitoring, urgency, merged_into, merged"
)


#: Orders of a queue view (`sort=`); `sla` is what needs doing first: a missed target,
#: then the next due time (paused clocks have none and come last), then priority.
ORDERS = {
    "sla": "breached DESC NULLS LAST, due_at ASC NULLS LAST, priority ASC NULLS LAST,"
    " received_at ASC, number ASC",
    "newest": "received_at DESC, number DESC",
    "oldest": "received_at ASC, number ASC",
    "due": "due_at ASC NULLS LAST, number ASC",
    "priority": "priority ASC NULLS LAST, received_at DESC, number DESC",
    "updated": "updated_at DESC NULLS LAST, number DESC",
}


class TicketQueries:
    """Read side of the view: one ticket with its history, and paged queue views."""

    def __init__(self, pool: AsyncConnectionPool[Any], schema: str) -> None:
        self.pool = pool
        self.s = f'"{schema}"'

    async def one(self, id_or_number: str) -> dict[str, Any] | None:
        column = "number" if id_or_number.upper().startswith("YC-") else "id::text"
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(
                f"SELECT {VIEW_COLUMNS} FROM {self.s}.ticket_view"
                f" WHERE {column} = %s AND number IS NOT NULL",
                (id_or_number.upper() if column == "number" else id_or_number,),
            )
            row: Any = await cur.fetchone()
            if row is None:
                return None
            await cur.execute(
                f"SELECT event_id AS id, type, source, time, data FROM {self.s}.ticket_history"
                " WHERE ticket_id = %s ORDER BY time, seq",
                (row["id"],),
            )
            row["history"] = await cur.fetchall()
        return dict(row)

    async def page(
        self,
        filters: dict[str, Any],
        q: str | None,
        limit: int,
        offset: int,
        extra: list[str] | None = None,
        order: str = "newest",
        public_only: bool = False,
    ) -> tuple[list[dict[str, Any]], int]:
        """`filters` maps a column (or "column <op>", e.g. "handler <>") to a value, or to a
        list of values meaning "any of"; `extra` adds fixed SQL conditions written by the
        caller, never from user input; `order` is a key of `ORDERS`; `q` matches words
        (`ticket_search`), among what requesters may read when `public_only`."""
        clauses, params = ["number IS NOT NULL", *(extra or [])], []
        for column, value in filters.items():
            if value is None:
                continue
            if isinstance(value, list | tuple | set | frozenset):
                clauses.append(f"{column} = ANY(%s)")
                params.append(list(value))
            else:
                clauses.append(f"{column} %s" if " " in column else f"{column} = %s")
                params.append(value)
        matching, words = search.condition(q, public_only)
        if matching:
            clauses.append(matching)
            params.extend(words)
        where = " AND ".join(clauses)
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(
                f"SELECT count(*) AS n FROM {self.s}.ticket_view WHERE {where}", params
            )
            total: Any = await cur.fetchone()
            await cur.execute(
                f"SELECT {VIEW_COLUMNS} FROM {self.s}.ticket_view WHERE {where}"
                f" ORDER BY {ORDERS[order]} LIMIT %s OFFSET %s",
                [*params, limit, offset],
            )
            rows = await cur.fetchall()
        return [dict(r) for r in rows], int(total["n"])

    async def numbers_of(self, ticket_ids: set[str]) -> dict[str, str]:
        """Each ticket's number, for messages that name tickets by id (people read numbers)."""
        if not ticket_ids:
            return {}
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT id::text, number FROM {self.s}.ticket_view"
                " WHERE id::text = ANY(%s) AND number IS NOT NULL",
                (sorted(ticket_ids),),
            )
            return {row[0]: row[1] for row in await cur.fetchall()}

    async def provinces_of(self, ticket_ids: set[str]) -> dict[str, str | None]:
        """Each ticket's province, for answers of other services that name tickets by id."""
        if not ticket_ids:
            return {}
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT id::text, province FROM {self.s}.ticket_view WHERE id::text = ANY(%s)",
                (sorted(ticket_ids),),
            )
            return {row[0]: row[1] for row in await cur.fetchall()}


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=str)
