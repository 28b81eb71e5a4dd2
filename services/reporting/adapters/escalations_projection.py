"""`reporting.ladder_moves`: every move of a ticket on the support ladder (SPEC §4).

Placement, each escalation (who, from, to, when, why; automatic after an SLA breach), each
answer returned to the owner and each transfer to another group. All come from escalation's
log, so their `position` orders them; the view `v1_escalations` takes the handler a step
came from from the move before it.
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

from libs.events.envelope import Envelope
from services.reporting.adapters.schema_docs import EVENT_ID, TICKET_ID, Relation

TABLE = Relation(
    "ladder_moves",
    "TABLE",
    (
        "Mỗi bước của yêu cầu trên thang hỗ trợ một dòng: giao, chuyển lên, trả về, chuyển nhóm",
        "One row per move on the support ladder: placed, escalated, returned, transferred",
    ),
    {
        "event_id": EVENT_ID,
        "ticket_id": TICKET_ID,
        "position": (
            "Vị trí trong nhật ký của escalation (thứ tự)",
            "Position in escalation's log",
        ),
        "kind": ("assigned, escalated, returned, transferred", "Kind of move"),
        "from_tier": ("Bậc trước (trống khi giao lần đầu)", "Tier before (empty when placed)"),
        "to_tier": ("Bậc sau", "Tier after"),
        "owner": ("Đơn vị chủ trì", "Owner"),
        "handler": ("Đơn vị xử lý sau bước này", "Handler after the move"),
        "actor": ("Người thực hiện", "Who made the move"),
        "reason": (
            "Lý do (chuyển lên), câu trả lời (trả về), nhóm cũ → mới (chuyển nhóm)",
            "Why (escalated), the answer (returned), old → new group (transferred)",
        ),
        "automatic": ("Tự động do vi phạm SLA", "Automatic, after an SLA breach"),
        "at": ("Thời điểm", "When"),
    },
)

DDL = """
CREATE TABLE IF NOT EXISTS {s}.ladder_moves (
  event_id text PRIMARY KEY,
  ticket_id uuid NOT NULL,
  position bigint NOT NULL,
  kind text NOT NULL,
  from_tier text,
  to_tier text NOT NULL,
  owner text NOT NULL,
  handler text NOT NULL,
  actor text,
  reason text,
  automatic boolean NOT NULL DEFAULT false,
  at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS ladder_moves_ticket ON {s}.ladder_moves (ticket_id, position);
"""


async def _insert(
    conn: AsyncConnection[Any], s: str, e: Envelope, kind: str, at: Any, **row: Any
) -> None:
    d = e.data
    await conn.execute(
        f"INSERT INTO {s}.ladder_moves (event_id, ticket_id, position, kind, from_tier, to_tier,"
        " owner, handler, actor, reason, automatic, at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
        (
            e.id,
            e.subject,
            e.position,
            kind,
            d.get("from_tier"),
            d["tier"],
            d["owner"],
            d["handler"],
            d.get("actor"),
            row.get("reason") or None,
            bool(d.get("automatic")),
            at,
        ),
    )


async def _assigned(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    await _insert(conn, s, e, "assigned", e.data["assigned_at"], reason=e.data.get("reason"))


async def _escalated(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    await _insert(conn, s, e, "escalated", e.data["at"], reason=e.data["reason"])


async def _returned(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    await _insert(conn, s, e, "returned", e.data["at"], reason=e.data["answer"])


async def _transferred(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    d = e.data
    reason = f"{d['previous_group']} → {d['group']}"
    await _insert(conn, s, e, "transferred", d["at"], reason=reason)


HANDLERS = {
    "hotro.ticket.assigned.v1": _assigned,
    "hotro.ticket.escalated.v1": _escalated,
    "hotro.ticket.returned.v1": _returned,
    "hotro.ticket.transferred.v1": _transferred,
}
TABLES = (TABLE,)
