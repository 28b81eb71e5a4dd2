"""`reporting.sla_clocks`: each SLA clock of a ticket, its due times and whether it was met.

Due times are escalation's, computed in business time on the ticket's calendar (pauses while
waiting for the requester included), carried by `hotro.ticket.sla_updated.v1`; reporting
never recounts business time. A target is met when escalation reports it responded (resolved)
no later than the due time that event carries. Reopening a resolved ticket starts a new clock
(escalation's rule), recorded here as the next `cycle`; a breach belongs to the clock running
when it was recorded. Escalation's events of one ticket arrive in order (one topic, keyed by
ticket), which is what lets a resolved clock followed by an unresolved one mean "reopened".
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

from libs.events.envelope import Envelope
from services.reporting.adapters.schema_docs import TICKET_ID, Relation

TABLE = Relation(
    "sla_clocks",
    "TABLE",
    (
        "Mỗi đồng hồ SLA của một yêu cầu một dòng (mở lại thì bắt đầu đồng hồ mới)",
        "One row per SLA clock of a ticket (reopening starts a new clock)",
    ),
    {
        "ticket_id": TICKET_ID,
        "cycle": ("Đồng hồ thứ mấy: 1, rồi 2… sau mỗi lần mở lại", "1, then 2… after reopening"),
        "started_at": (
            "Thời điểm đồng hồ bắt đầu khi mở lại (trống với đồng hồ 1: tính từ lúc tiếp nhận)",
            "When a reopened clock started (empty for cycle 1: it counts from received_at)",
        ),
        "policy": ("Chính sách SLA (standard, year_end, ito…)", "SLA policy"),
        "priority": ("Mức ưu tiên P1–P4", "Priority P1–P4"),
        "response_due": (
            "Hạn phản hồi (giờ làm việc theo lịch); trống khi đang tạm dừng",
            "Response due (business time on the calendar); empty while paused",
        ),
        "resolution_due": (
            "Hạn giải quyết (giờ làm việc theo lịch); trống khi đang tạm dừng",
            "Resolution due (business time on the calendar); empty while paused",
        ),
        "paused": ("Đang tạm dừng vì chờ người yêu cầu", "Paused waiting for the requester"),
        "responded_at": ("Thời điểm phản hồi đầu tiên", "First response"),
        "response_met": ("Phản hồi đúng hạn", "Responded by the due time"),
        "resolved_at": ("Thời điểm giải quyết", "Resolution"),
        "resolution_met": ("Giải quyết đúng hạn", "Resolved by the due time"),
        "response_breached": ("Đã ghi nhận vi phạm hạn phản hồi", "Response breach recorded"),
        "resolution_breached": (
            "Đã ghi nhận vi phạm hạn giải quyết",
            "Resolution breach recorded",
        ),
        "next_breach_at": ("Thời điểm có thể vi phạm tiếp theo", "When a target falls due next"),
        "updated_at": ("Lần cập nhật gần nhất của escalation", "Escalation's latest update"),
    },
)

DDL = """
CREATE TABLE IF NOT EXISTS {s}.sla_clocks (
  ticket_id uuid NOT NULL,
  cycle int NOT NULL,
  started_at timestamptz,
  policy text NOT NULL,
  priority text NOT NULL,
  response_due timestamptz,
  resolution_due timestamptz,
  paused boolean NOT NULL DEFAULT false,
  responded_at timestamptz,
  response_met boolean,
  resolved_at timestamptz,
  resolution_met boolean,
  response_breached boolean NOT NULL DEFAULT false,
  resolution_breached boolean NOT NULL DEFAULT false,
  next_breach_at timestamptz,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (ticket_id, cycle)
);
"""


async def _updated(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    d = e.data
    await conn.execute(
        "WITH ev AS (SELECT %(id)s::uuid AS id, %(at)s::timestamptz AS at,"
        "  %(response_due)s::timestamptz AS response_due,"
        "  %(resolution_due)s::timestamptz AS resolution_due,"
        "  %(responded)s::boolean AS responded, %(resolved)s::boolean AS resolved),"
        f" cur AS (SELECT cycle, resolved_at FROM {s}.sla_clocks"
        "  WHERE ticket_id = (SELECT id FROM ev) ORDER BY cycle DESC LIMIT 1),"
        " target AS (SELECT COALESCE((SELECT CASE WHEN resolved_at IS NOT NULL"
        "  AND NOT (SELECT resolved FROM ev) THEN cycle + 1 ELSE cycle END FROM cur), 1) AS cycle)"
        f" INSERT INTO {s}.sla_clocks AS c (ticket_id, cycle, started_at, policy, priority,"
        " response_due, resolution_due, paused, responded_at, response_met, resolved_at,"
        " resolution_met, next_breach_at, updated_at)"
        " SELECT ev.id, target.cycle, CASE WHEN target.cycle > 1 THEN ev.at END,"
        " %(policy)s, %(priority)s, ev.response_due, ev.resolution_due, %(paused)s,"
        " CASE WHEN ev.responded THEN ev.at END,"
        " CASE WHEN ev.responded THEN ev.response_due IS NULL OR ev.at <= ev.response_due END,"
        " CASE WHEN ev.resolved THEN ev.at END,"
        " CASE WHEN ev.resolved THEN ev.resolution_due IS NULL"
        "  OR ev.at <= ev.resolution_due END,"
        " %(next)s::timestamptz, ev.at FROM ev, target"
        " ON CONFLICT (ticket_id, cycle) DO UPDATE SET policy = EXCLUDED.policy,"
        " priority = EXCLUDED.priority, response_due = EXCLUDED.response_due,"
        " resolution_due = EXCLUDED.resolution_due, paused = EXCLUDED.paused,"
        " responded_at = COALESCE(c.responded_at, EXCLUDED.responded_at),"
        " response_met = COALESCE(c.response_met, EXCLUDED.response_met),"
        " resolved_at = COALESCE(c.resolved_at, EXCLUDED.resolved_at),"
        " resolution_met = COALESCE(c.resolution_met, EXCLUDED.resolution_met),"
        " next_breach_at = EXCLUDED.next_breach_at, updated_at = EXCLUDED.updated_at",
        {
            "id": e.subject,
            "at": d["at"],
            "policy": d["policy"],
            "priority": d["priority"],
            "response_due": d.get("response_due"),
            "resolution_due": d.get("resolution_due"),
            "paused": bool(d.get("paused")),
            "responded": bool(d.get("responded")),
            "resolved": bool(d.get("resolved")),
            "next": d.get("next_breach_at"),
        },
    )


async def _breached(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    column = "response_breached" if e.data["kind"] == "response" else "resolution_breached"
    await conn.execute(
        f"UPDATE {s}.sla_clocks SET {column} = true WHERE ticket_id = %(id)s"
        f" AND cycle = (SELECT max(cycle) FROM {s}.sla_clocks WHERE ticket_id = %(id)s)",
        {"id": e.subject},
    )


HANDLERS = {
    "hotro.ticket.sla_updated.v1": _updated,
    "hotro.ticket.sla_breached.v1": _breached,
}
TABLES = (TABLE,)
