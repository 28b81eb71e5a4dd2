"""`reporting.status_changes`: every status a ticket entered, and when (SPEC §6: durations, ageing).

A ticket is `new` when received and `routed` when routing decided (the ticket view shows both
although intake records no status event for them), then takes each of intake's lifecycle
statuses. Rows are only ever inserted, keyed by the event, so the order in which the three
topics arrive does not matter: when a status ended is the next row's time, computed by the
view `v1_status_changes`.
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

from libs.events.envelope import Envelope
from services.reporting.adapters.schema_docs import EVENT_ID, TICKET_ID, Relation

TABLE = Relation(
    "status_changes",
    "TABLE",
    (
        "Mỗi lần yêu cầu chuyển trạng thái một dòng (kể cả new khi tiếp nhận, routed khi phân"
        " loại)",
        "One row per status a ticket entered (new when received and routed when classified"
        " included)",
    ),
    {
        "event_id": EVENT_ID,
        "ticket_id": TICKET_ID,
        "status": ("Trạng thái mới", "Status entered"),
        "previous": (
            "Trạng thái trước theo intake (trống với new, routed)",
            "Previous status as intake saw it (empty for new and routed)",
        ),
        "at": ("Thời điểm chuyển trạng thái", "When the status was entered"),
        "actor": ("Người thực hiện", "Who moved it"),
        "reason": ("Lý do", "Why"),
        "cause": ("Nguyên nhân (khi giải quyết)", "Cause (when resolved)"),
        "source": (
            "Sự kiện nguồn: submitted, routed, status_changed",
            "Source event: submitted, routed, status_changed",
        ),
        "position": ("Vị trí trong nhật ký của dịch vụ nguồn", "Position in the source's log"),
    },
)

DDL = """
CREATE TABLE IF NOT EXISTS {s}.status_changes (
  event_id text PRIMARY KEY,
  ticket_id uuid NOT NULL,
  status text NOT NULL,
  previous text,
  at timestamptz NOT NULL,
  actor text,
  reason text,
  cause text,
  source text NOT NULL,
  position bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS status_changes_ticket ON {s}.status_changes (ticket_id, at);
"""

#: Order of rows at the same instant: received, then routed, then intake's own moves.
SOURCE_RANK = {"submitted": 0, "routed": 1, "status_changed": 2}


async def _insert(
    conn: AsyncConnection[Any],
    s: str,
    e: Envelope,
    status: str,
    at: Any,
    source: str,
    **more: Any,
) -> None:
    await conn.execute(
        f"INSERT INTO {s}.status_changes (event_id, ticket_id, status, previous, at, actor,"
        " reason, cause, source, position) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (event_id) DO NOTHING",
        (
            e.id,
            e.subject,
            status,
            more.get("previous"),
            at,
            more.get("actor"),
            more.get("reason") or None,
            more.get("cause"),
            source,
            e.position,
        ),
    )


async def _submitted(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    await _insert(conn, s, e, "new", e.data["received_at"], "submitted")


async def _routed(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    await _insert(conn, s, e, "routed", e.time, "routed", actor="routing")


async def _status_changed(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    d = e.data
    await _insert(
        conn,
        s,
        e,
        d["status"],
        d["at"],
        "status_changed",
        previous=d.get("previous"),
        actor=d.get("actor"),
        reason=d.get("reason"),
        cause=d.get("cause"),
    )


HANDLERS = {
    "hotro.ticket.submitted.v1": _submitted,
    "hotro.ticket.routed.v1": _routed,
    "hotro.ticket.status_changed.v1": _status_changed,
}
TABLES = (TABLE,)
