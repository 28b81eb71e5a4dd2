"""`reporting.tickets`: one row a ticket, as the ticket view shows it now (SPEC §6).

Events of one ticket come from three topics in any order, so each column is written by the
events of one source only (intake: lifecycle; routing: classification; escalation: ladder),
and the only shared ones are order-proof: priority (the same value from submission and
routing, until the desk changes it: then `priority_changed_at` says the change wins over
routing's decision whichever arrives first; submission, changes and corrections all come in
order on intake's topic) and status (routing's `routed` only replaces nothing or `new`; intake's own status
events arrive in order and are taken as told, reopening included) — the rules the gateway's
ticket view follows, so the two agree.
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

from libs.events.envelope import Envelope
from services.reporting.adapters.schema_docs import TICKET_ID, Relation

TABLE = Relation(
    "tickets",
    "TABLE",
    (
        "Mỗi yêu cầu hỗ trợ một dòng, trạng thái hiện tại, dựng từ sự kiện của intake, routing"
        " và escalation",
        "One row per ticket, as it stands now, built from the events of intake, routing and"
        " escalation",
    ),
    {
        "ticket_id": TICKET_ID,
        "number": ("Số yêu cầu (YC-năm-số)", "Ticket number (YC-year-sequence)"),
        "channel": (
            "Kênh tiếp nhận: web, email, phone, monitoring",
            "Intake channel: web, email, phone, monitoring",
        ),
        "subject": ("Tiêu đề yêu cầu", "Ticket subject"),
        "unit_code": (
            "Mã đơn vị của người yêu cầu (nếu có trong danh bạ)",
            "Requester's unit code (when in the directory)",
        ),
        "unit_kind": (
            "Loại đơn vị (kbnn_province, budget_unit, …)",
            "Kind of the unit (kbnn_province, budget_unit, …)",
        ),
        "province": ("Tỉnh của đơn vị người yêu cầu", "Province of the requester's unit"),
        "picked_application": (
            "Ứng dụng người yêu cầu chọn",
            "Application the requester picked",
        ),
        "application": ("Ứng dụng sau phân loại", "Application after classification"),
        "group_code": ("Nhóm xử lý (TABMIS, PAYMENT, …)", "Support group (TABMIS, PAYMENT, …)"),
        "type": (
            "Loại: incident, service_request, proposal",
            "Type: incident, service_request, proposal",
        ),
        "priority": ("Mức ưu tiên P1–P4", "Priority P1–P4"),
        "first_handler_kind": (
            "Nơi xử lý đầu tiên: province, central, ito",
            "First handler: province, central, ito",
        ),
        "first_handler_office": ("Đơn vị xử lý đầu tiên", "First handler's office or group"),
        "policy_version": ("Phiên bản chính sách phân cấp đã áp dụng", "Routing policy version"),
        "first_tier": ("Bậc xử lý ban đầu (L1…L4, ITO)", "Tier the ticket started at (L1…L4, ITO)"),
        "tier": ("Bậc xử lý hiện tại (L1…L4, ITO)", "Current tier (L1…L4, ITO)"),
        "owner": ("Đơn vị chủ trì, theo dõi và trả lời", "Owner, who follows up and replies"),
        "handler": ("Đơn vị đang xử lý", "Current handler"),
        "assignee": ("Người đang nhận xử lý ở bậc hiện tại", "Person working on it now"),
        "status": (
            "Trạng thái hiện tại (new, routed, in_progress, …)",
            "Current status (new, routed, in_progress, …)",
        ),
        "cause": (
            "Nguyên nhân khi giải quyết (user_error, …)",
            "Cause found at resolution (user_error, …)",
        ),
        "received_at": ("Thời điểm tiếp nhận", "When the request was received"),
        "routed_at": ("Thời điểm phân loại", "When routing decided"),
        "assigned_at": ("Thời điểm giao xử lý lần đầu", "When first placed on the ladder"),
        "first_resolved_at": ("Lần giải quyết đầu tiên", "First resolution"),
        "resolved_at": (
            "Lần giải quyết gần nhất; trống khi đang mở lại",
            "Latest resolution; empty while reopened",
        ),
        "closed_at": ("Thời điểm đóng", "When closed"),
        "reopened": ("Số lần mở lại", "Times reopened"),
        "parent_id": ("Yêu cầu gốc (sự cố chung) nếu là bản trùng", "Parent (outage) ticket"),
        "escalations": ("Số lần chuyển lên bậc trên", "Escalations up the ladder"),
        "returns": ("Số lần trả kết quả về đơn vị chủ trì", "Answers returned to the owner"),
        "max_tier": ("Bậc cao nhất đã đến", "Highest tier reached"),
        "response_breached": ("Đã vi phạm thời hạn phản hồi", "Response target missed"),
        "resolution_breached": ("Đã vi phạm thời hạn giải quyết", "Resolution target missed"),
        "reclassified": ("Đã được phân loại lại thủ công", "Reclassified by an operator"),
        "priority_changed_at": (
            "Lần đổi mức ưu tiên gần nhất (bộ phận hỗ trợ hoặc tự động)",
            "Latest change of priority (by the desk, or automatic)",
        ),
    },
)

DDL = """
CREATE TABLE IF NOT EXISTS {s}.tickets (
  ticket_id uuid PRIMARY KEY,
  number text,
  channel text,
  subject text,
  unit_code text,
  unit_kind text,
  province text,
  picked_application text,
  application text,
  group_code text,
  type text,
  priority text,
  first_handler_kind text,
  first_handler_office text,
  policy_version text,
  first_tier text,
  tier text,
  owner text,
  handler text,
  assignee text,
  status text,
  cause text,
  received_at timestamptz,
  routed_at timestamptz,
  assigned_at timestamptz,
  first_resolved_at timestamptz,
  resolved_at timestamptz,
  closed_at timestamptz,
  reopened int NOT NULL DEFAULT 0,
  parent_id uuid,
  escalations int NOT NULL DEFAULT 0,
  returns int NOT NULL DEFAULT 0,
  max_tier text,
  response_breached boolean NOT NULL DEFAULT false,
  resolution_breached boolean NOT NULL DEFAULT false,
  reclassified boolean NOT NULL DEFAULT false,
  priority_changed_at timestamptz
);
CREATE INDEX IF NOT EXISTS tickets_received ON {s}.tickets (received_at);
"""


async def _ensure(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    """The row may not exist yet (routing's or escalation's event came first)."""
    await conn.execute(
        f"INSERT INTO {s}.tickets (ticket_id) VALUES (%s) ON CONFLICT DO NOTHING", (e.subject,)
    )


async def _update(conn: AsyncConnection[Any], s: str, e: Envelope, sets: str, *args: Any) -> None:
    await _ensure(conn, s, e)
    await conn.execute(f"UPDATE {s}.tickets SET {sets} WHERE ticket_id = %s", (*args, e.subject))


async def _submitted(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    d = e.data
    unit = d["requester"].get("unit") or {}
    await _update(
        conn,
        s,
        e,
        "number = %s, channel = %s, subject = %s, unit_code = %s, unit_kind = %s, province = %s,"
        " picked_application = %s, priority = COALESCE(priority, %s), received_at = %s,"
        " status = COALESCE(status, 'new')",
        d["number"],
        d["channel"],
        d["subject"],
        d["requester"].get("unit_code"),
        d.get("unit_kind") or unit.get("kind"),
        d.get("unit_province") or unit.get("province"),
        d.get("application_code"),
        d.get("priority"),
        d["received_at"],
    )


async def _routed(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    d = e.data
    first = d["first_handler"]
    await _update(
        conn,
        s,
        e,
        "application = %s, group_code = %s, type = %s,"
        " priority = CASE WHEN priority_changed_at IS NULL THEN %s ELSE priority END,"
        " first_handler_kind = %s,"
        " first_handler_office = %s, policy_version = %s, routed_at = %s,"
        " status = CASE WHEN status IS NULL OR status = 'new' THEN 'routed' ELSE status END",
        d.get("application"),
        d["group"],
        d["type"],
        d.get("priority"),
        first["kind"],
        first["office"],
        first["policy_version"],
        e.time,
    )


async def _reclassified(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    d = e.data
    await _update(
        conn,
        s,
        e,
        "group_code = %s, type = %s, application = %s, reclassified = true",
        d["group"],
        d["type"],
        d.get("application"),
    )


async def _linked(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    await _update(conn, s, e, "parent_id = %s", e.data["parent_id"])


async def _unlinked(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    await _update(
        conn,
        s,
        e,
        "parent_id = CASE WHEN parent_id = %s::uuid THEN NULL ELSE parent_id END",
        e.data["parent_id"],
    )


async def _status_changed(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    """Reopening clears the cause and the resolution time, as the ticket view does."""
    d = e.data
    await _ensure(conn, s, e)
    await conn.execute(
        f"UPDATE {s}.tickets SET status = %(status)s,"
        " cause = CASE %(status)s WHEN 'resolved' THEN %(cause)s WHEN 'reopened' THEN NULL"
        " ELSE cause END,"
        " resolved_at = CASE %(status)s WHEN 'resolved' THEN %(at)s::timestamptz"
        " WHEN 'reopened' THEN NULL ELSE resolved_at END,"
        " first_resolved_at = CASE WHEN %(status)s = 'resolved'"
        " THEN COALESCE(first_resolved_at, %(at)s::timestamptz) ELSE first_resolved_at END,"
        " closed_at = CASE WHEN %(status)s = 'closed' THEN %(at)s::timestamptz ELSE closed_at END,"
        " reopened = reopened + CASE WHEN %(status)s = 'reopened' THEN 1 ELSE 0 END"
        " WHERE ticket_id = %(id)s",
        {"status": d["status"], "cause": d.get("cause"), "at": d["at"], "id": e.subject},
    )


async def _assigned(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    d = e.data
    await _update(
        conn,
        s,
        e,
        "tier = %s, first_tier = %s, owner = %s, handler = %s, assigned_at = %s,"
        " max_tier = GREATEST(COALESCE(max_tier, ''), %s)",
        d["tier"],
        d["tier"],
        d["owner"],
        d["handler"],
        d["assigned_at"],
        d["tier"],
    )


async def _taken(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    await _update(
        conn, s, e, "tier = %s, handler = %s, assignee = %s", *_where(e.data), e.data["assignee"]
    )


async def _escalated(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    """Escalation rate (SPEC §6: the share resolved at the province) counts these."""
    await _update(
        conn,
        s,
        e,
        "tier = %s, handler = %s, owner = %s, assignee = NULL, escalations = escalations + 1,"
        " max_tier = GREATEST(COALESCE(max_tier, ''), %s)",
        *_where(e.data),
        e.data["owner"],
        e.data["tier"],
    )


async def _returned(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    """The answer comes back down to the owner: tier and handler are the owner's again."""
    await _update(
        conn,
        s,
        e,
        "tier = %s, handler = %s, owner = %s, assignee = NULL, returns = returns + 1",
        *_where(e.data),
        e.data["owner"],
    )


async def _transferred(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    await _update(
        conn,
        s,
        e,
        "tier = %s, handler = %s, owner = %s, assignee = NULL",
        *_where(e.data),
        e.data["owner"],
    )


def _where(d: dict[str, Any]) -> tuple[Any, Any]:
    return d["tier"], d["handler"]


async def _breached(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    column = "response_breached" if e.data["kind"] == "response" else "resolution_breached"
    await _update(conn, s, e, f"{column} = true")


async def _priority_changed(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    """The desk's (or an automatic) priority; routing's decision arriving later keeps it."""
    await _update(conn, s, e, "priority = %s, priority_changed_at = %s", e.data["priority"],
                  e.data["at"])  # fmt: skip


#: The corrected fields reporting keeps, by the name the correction gives them.
_CORRECTED_COLUMNS = {"subject": "subject", "unit_kind": "unit_kind", "unit_province": "province"}


async def _corrected(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    changes = {
        column: e.data["changes"][field]
        for field, column in _CORRECTED_COLUMNS.items()
        if field in e.data["changes"]
    }
    if not changes:
        return
    sets = ", ".join(f"{column} = %s" for column in changes)
    await _update(conn, s, e, sets, *changes.values())


HANDLERS = {
    "hotro.ticket.submitted.v1": _submitted,
    "hotro.ticket.routed.v1": _routed,
    "hotro.ticket.reclassified.v1": _reclassified,
    "hotro.ticket.linked.v1": _linked,
    "hotro.ticket.unlinked.v1": _unlinked,
    "hotro.ticket.status_changed.v1": _status_changed,
    "hotro.ticket.assigned.v1": _assigned,
    "hotro.ticket.taken.v1": _taken,
    "hotro.ticket.escalated.v1": _escalated,
    "hotro.ticket.returned.v1": _returned,
    "hotro.ticket.transferred.v1": _transferred,
    "hotro.ticket.sla_breached.v1": _breached,
    "hotro.ticket.priority_changed.v1": _priority_changed,
    "hotro.ticket.corrected.v1": _corrected,
}
TABLES = (TABLE,)
