"""The analysts' contract: `reporting.v1_*` views that never change shape (SPEC §6).

The projection tables may gain columns or be rebuilt; these views keep their columns, names,
order and types. A change is a new `v2_*` view beside these, never an edit here — the
service test `test_reporting_schema` holds their shape.
"""

from __future__ import annotations

from services.reporting.adapters import (
    checks_projection,
    escalations_projection,
    known_errors_projection,
    outages_projection,
    readiness_projection,
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

_O = outages_projection.TABLE.columns
_R = readiness_projection.RESULTS.columns
_RR = readiness_projection.ROUNDS.columns
_W = checks_projection.TABLE.columns

_OUTAGE_NAMES = (
    "incident_id", "source", "key", "application", "check_id", "province", "district",
    "priority", "subject", "status", "down_since", "opened_at", "recovered_at",
    "outage_minutes", "reopened",
)  # fmt: skip

V1_OUTAGES = Relation(
    "v1_outages",
    "VIEW",
    (
        "Sự cố do giám sát phát hiện: ứng dụng, bắt đầu, kết thúc, số phút gián đoạn",
        "Monitoring incidents: application, start, end, outage minutes",
    ),
    {c: _O[c] for c in _OUTAGE_NAMES},
)

V1_READINESS = Relation(
    "v1_readiness",
    "VIEW",
    (
        "Kết quả kiểm tra sẵn sàng buổi sáng theo ngày và hệ thống (lượt mới nhất của ngày)",
        "Morning readiness results per day and system (the day's latest run)",
    ),
    {
        **{c: _R[c] for c in ("day", "check_id", "application", "name", "kind", "ok")},
        **{c: _R[c] for c in ("degraded", "reason", "checked_at", "duration_ms")},
        "run": _R["run"],
        "late": _RR["late"],
    },
)

V1_READINESS_DAYS = Relation(
    "v1_readiness_days",
    "VIEW",
    (
        "Mỗi ngày một dòng: số hệ thống sẵn sàng, mọi hệ thống đều đạt hay không",
        "One row per day: systems ready, and whether every system passed",
    ),
    {
        **{c: _RR[c] for c in ("day", "run", "trigger", "late", "completed_at")},
        **{c: _RR[c] for c in ("systems_total", "systems_ready", "report_sent_at")},
        "all_green": ("Mọi hệ thống đều đạt", "Every system passed"),
    },
)

V1_WAN_CHANNEL_OUTAGES = Relation(
    "v1_wan_channel_outages",
    "VIEW",
    (
        "Mỗi lần một kênh truyền WAN mất kết nối: từ khi nào, đến khi nào, bao nhiêu phút",
        "Each time a WAN channel was down: from, until, minutes",
    ),
    {
        "check_id": ("Mã kênh truyền", "Channel id"),
        "district": _W["district"],
        "province": _W["province"],
        "carrier": _W["carrier"],
        "down_since": ("Mất kết nối từ", "Down since"),
        "until": ("Hoạt động lại lúc (trống: vẫn mất)", "Back at (empty: still down)"),
        "minutes": ("Số phút mất kết nối (trống: vẫn mất)", "Minutes down (empty: still down)"),
        "reason": _W["reason"],
    },
)

_OUTAGE_COLUMNS = ", ".join(V1_OUTAGES.columns)

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

CREATE OR REPLACE VIEW {{s}}.v1_outages AS
SELECT {_OUTAGE_COLUMNS} FROM {{s}}.outages;

CREATE OR REPLACE VIEW {{s}}.v1_readiness AS
SELECT r.day, r.check_id, r.application, r.name, r.kind, r.ok, r.degraded, r.reason,
  r.checked_at, r.duration_ms, r.run, d.late
FROM {{s}}.readiness_results r LEFT JOIN {{s}}.readiness_rounds d USING (day);

CREATE OR REPLACE VIEW {{s}}.v1_readiness_days AS
SELECT d.day, d.run, d.trigger, d.late, d.completed_at, d.systems_total, d.systems_ready,
  d.report_sent_at,
  (SELECT count(*) > 0 AND bool_and(r.ok) FROM {{s}}.readiness_results r WHERE r.day = d.day)
    AS all_green
FROM {{s}}.readiness_rounds d;

CREATE OR REPLACE VIEW {{s}}.v1_wan_channel_outages AS
SELECT check_id, district, province, carrier, since AS down_since, until,
  EXTRACT(EPOCH FROM (until - since)) / 60 AS minutes, reason
FROM (
  SELECT c.*, lead(c.since) OVER (PARTITION BY c.check_id ORDER BY c.since, c.position) AS until
  FROM {{s}}.check_states c WHERE c.district IS NOT NULL
) changes
WHERE state = 'down';
"""

VIEWS = (
    V1_TICKETS,
    V1_STATUS_CHANGES,
    V1_ESCALATIONS,
    V1_SLA,
    V1_KNOWN_ERRORS,
    V1_KNOWN_ERROR_TICKETS,
    V1_OUTAGES,
    V1_READINESS,
    V1_READINESS_DAYS,
    V1_WAN_CHANNEL_OUTAGES,
)
