"""The analysts' contract: `reporting.v1_*` views that never change shape (SPEC §6).

The projection tables may gain columns or be rebuilt; these views keep their columns, names,
order and types. A change is a new `v2_*` view beside these, never an edit here — the
service test `test_reporting_schema` holds their shape.
"""

from __future__ import annotations

from services.reporting.adapters import (
    escalations_projection,
    known_errors_projection,
    sla_projection,
    status_changes_projection,
    tickets_projection,
)
from services.reporting.adapters.schema_docs import Relation, Text

_T = tickets_projection.TABLE.columns
_S = status_changes_projection.TABLE.columns
_L = escalations_projection.TABLE.columns
_C = sla_projection.TABLE.columns
_K = known_errors_projection.ERRORS.columns
_NUMBER: Text = ("Số yêu cầu", "Ticket number")

TICKET_COLUMNS = (
    "ticket_id, number, channel, subject, unit_code, unit_kind, province, picked_application,"
    " application, group_code, type, priority, first_handler_kind, first_handler_office,"
    " policy_version, first_tier, tier, owner, handler, assignee, status, cause, received_at,"
    " routed_at, assigned_at, first_resolved_at, resolved_at, closed_at, reopened, parent_id,"
    " escalations, returns, max_tier, response_breached, resolution_breached, reclassified"
)

V1_TICKETS = Relation(
    "v1_tickets",
    "VIEW",
    (
        "Yêu cầu hỗ trợ, phiên bản 1 (không đổi cấu trúc)",
        "Tickets, version 1 (shape never changes)",
    ),
    {
        **{c.strip(): _T[c.strip()] for c in TICKET_COLUMNS.split(",")},
        "first_contact_resolution": (
            "Đã giải quyết bởi nơi xử lý đầu tiên, không chuyển bậc, không mở lại",
            "Resolved by the first handler, never escalated nor reopened",
        ),
        "resolved_at_province": (
            "Đã giải quyết tại tỉnh: bắt đầu và kết thúc ở L1 (mục tiêu phân cấp)",
            "Resolved at the province: started and stayed at L1 (the aim of decentralisation)",
        ),
    },
)

V1_STATUS_CHANGES = Relation(
    "v1_status_changes",
    "VIEW",
    (
        "Các trạng thái của mỗi yêu cầu theo thứ tự, với thời gian bắt đầu, kết thúc, thời lượng",
        "Each ticket's statuses in order, with start, end and duration",
    ),
    {
        "ticket_id": _S["ticket_id"],
        "number": _NUMBER,
        "seq": ("Thứ tự trạng thái trong yêu cầu (1 = new)", "Order within the ticket (1 = new)"),
        "status": _S["status"],
        "previous_status": ("Trạng thái ngay trước", "Status just before"),
        "started_at": ("Bắt đầu trạng thái", "When the status began"),
        "ended_at": ("Kết thúc trạng thái (trống: hiện tại)", "When it ended (empty: current)"),
        "duration_s": (
            "Thời lượng, giây đồng hồ (trống: chưa kết thúc)",
            "Duration in wall-clock seconds (empty: not ended)",
        ),
        "actor": _S["actor"],
        "reason": _S["reason"],
        "cause": _S["cause"],
        "source": _S["source"],
    },
)

V1_ESCALATIONS = Relation(
    "v1_escalations",
    "VIEW",
    (
        "Mỗi lần chuyển lên bậc trên hoặc trả kết quả về: ai, từ đâu, đến đâu, khi nào, vì sao",
        "Each escalation or return: who, from, to, when, why",
    ),
    {
        "ticket_id": _L["ticket_id"],
        "number": _NUMBER,
        "step": ("Bước thứ mấy của yêu cầu", "Step number within the ticket"),
        "kind": ("escalated (lên) hoặc returned (trả về)", "escalated (up) or returned (down)"),
        "from_tier": ("Từ bậc", "From tier"),
        "to_tier": ("Đến bậc", "To tier"),
        "from_handler": ("Từ đơn vị xử lý", "From handler"),
        "to_handler": ("Đến đơn vị xử lý", "To handler"),
        "owner": _L["owner"],
        "actor": _L["actor"],
        "reason": ("Lý do chuyển lên, hoặc câu trả lời", "Why escalated, or the answer"),
        "automatic": _L["automatic"],
        "at": _L["at"],
    },
)

V1_SLA = Relation(
    "v1_sla",
    "VIEW",
    (
        "SLA của mỗi yêu cầu: hạn phản hồi, hạn giải quyết (giờ làm việc) và có đạt hay không",
        "Each ticket's SLA: response and resolution due (business time) and whether met",
    ),
    {
        "ticket_id": _C["ticket_id"],
        "number": _NUMBER,
        "cycle": _C["cycle"],
        "started_at": ("Đồng hồ bắt đầu", "When the clock started"),
        "policy": _C["policy"],
        "priority": _C["priority"],
        "response_due": _C["response_due"],
        "responded_at": _C["responded_at"],
        "response_met": (
            "Phản hồi đúng hạn (trống: chưa phản hồi, chưa quá hạn)",
            "Responded in time (empty: not yet, not yet late)",
        ),
        "resolution_due": _C["resolution_due"],
        "resolved_at": _C["resolved_at"],
        "resolution_met": (
            "Giải quyết đúng hạn (trống: chưa giải quyết, chưa quá hạn)",
            "Resolved in time (empty: not yet, not yet late)",
        ),
        "paused": _C["paused"],
        "response_breached": _C["response_breached"],
        "resolution_breached": _C["resolution_breached"],
    },
)

V1_KNOWN_ERRORS = Relation(
    "v1_known_errors",
    "VIEW",
    ("Lỗi đã biết và số yêu cầu gắn kèm", "Known errors and how many tickets they hold"),
    {
        **{c: _K[c] for c in _K if c != "status_position"},
        "tickets": ("Số yêu cầu gắn với lỗi", "Tickets linked to it"),
    },
)

V1_KNOWN_ERROR_TICKETS = Relation(
    "v1_known_error_tickets",
    "VIEW",
    ("Yêu cầu gắn với từng lỗi đã biết", "The tickets of each known error"),
    {
        "known_error_id": _K["known_error_id"],
        "known_error_number": _K["number"],
        "ticket_id": _T["ticket_id"],
        "ticket_number": _NUMBER,
        "linked_at": known_errors_projection.LINKS.columns["linked_at"],
        "change": known_errors_projection.LINKS.columns["change"],
    },
)

_STATUS_ORDER = (
    "PARTITION BY c.ticket_id ORDER BY c.at,"
    " CASE c.source WHEN 'submitted' THEN 0 WHEN 'routed' THEN 1 ELSE 2 END, c.position"
)

DDL = f"""
CREATE OR REPLACE VIEW {{s}}.v1_tickets AS
SELECT {TICKET_COLUMNS},
  (status IN ('resolved', 'closed') AND escalations = 0 AND reopened = 0)
    AS first_contact_resolution,
  (status IN ('resolved', 'closed') AND first_tier = 'L1' AND max_tier = 'L1')
    AS resolved_at_province
FROM {{s}}.tickets WHERE number IS NOT NULL;

CREATE OR REPLACE VIEW {{s}}.v1_status_changes AS
SELECT c.ticket_id, t.number, row_number() OVER w AS seq, c.status,
  lag(c.status) OVER w AS previous_status, c.at AS started_at, lead(c.at) OVER w AS ended_at,
  EXTRACT(EPOCH FROM (lead(c.at) OVER w - c.at)) AS duration_s,
  c.actor, c.reason, c.cause, c.source
FROM {{s}}.status_changes c LEFT JOIN {{s}}.tickets t USING (ticket_id)
WINDOW w AS ({_STATUS_ORDER});

CREATE OR REPLACE VIEW {{s}}.v1_escalations AS
SELECT ticket_id, number,
  row_number() OVER (PARTITION BY ticket_id ORDER BY position) AS step,
  kind, from_tier, to_tier, from_handler, to_handler, owner, actor, reason, automatic, at
FROM (
  SELECT m.ticket_id, t.number, m.position, m.kind, m.from_tier, m.to_tier,
    lag(m.handler) OVER (PARTITION BY m.ticket_id ORDER BY m.position) AS from_handler,
    m.handler AS to_handler, m.owner, m.actor, m.reason, m.automatic, m.at
  FROM {{s}}.ladder_moves m LEFT JOIN {{s}}.tickets t USING (ticket_id)
) moves
WHERE kind IN ('escalated', 'returned');

CREATE OR REPLACE VIEW {{s}}.v1_sla AS
SELECT c.ticket_id, t.number, c.cycle, COALESCE(c.started_at, t.received_at) AS started_at,
  c.policy, c.priority, c.response_due, c.responded_at,
  COALESCE(c.response_met, CASE WHEN c.response_breached THEN false END) AS response_met,
  c.resolution_due, c.resolved_at,
  COALESCE(c.resolution_met, CASE WHEN c.resolution_breached THEN false END) AS resolution_met,
  c.paused, c.response_breached, c.resolution_breached
FROM {{s}}.sla_clocks c LEFT JOIN {{s}}.tickets t USING (ticket_id);

CREATE OR REPLACE VIEW {{s}}.v1_known_errors AS
SELECT k.known_error_id, k.number, k.application, k.department, k.title, k.status,
  k.opened_at, k.fix_in_progress_at, k.released_at,
  (SELECT count(*) FROM {{s}}.known_error_tickets l
   WHERE l.known_error_id = k.known_error_id) AS tickets
FROM {{s}}.known_errors k;

CREATE OR REPLACE VIEW {{s}}.v1_known_error_tickets AS
SELECT l.known_error_id, k.number AS known_error_number, l.ticket_id, t.number AS ticket_number,
  l.linked_at, l.change
FROM {{s}}.known_error_tickets l
LEFT JOIN {{s}}.known_errors k USING (known_error_id)
LEFT JOIN {{s}}.tickets t USING (ticket_id);
"""

VIEWS = (
    V1_TICKETS,
    V1_STATUS_CHANGES,
    V1_ESCALATIONS,
    V1_SLA,
    V1_KNOWN_ERRORS,
    V1_KNOWN_ERROR_TICKETS,
)
