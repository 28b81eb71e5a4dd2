"""The tables of scheduled delivery (adapters/delivery.py), on their own so the schema set-up
(adapters/projections.py) makes them without importing the mail and report machinery."""

from __future__ import annotations

from services.reporting.adapters.schema_docs import Relation

TABLE = Relation(
    "report_deliveries",
    "TABLE",
    (
        "Báo cáo định kỳ đã gửi: mỗi kỳ, mỗi người nhận một dòng (nội bộ)",
        "Scheduled reports sent: one row per period and recipient (internal)",
    ),
    {
        "kind": ("weekly, monthly, quarterly", "Report kind"),
        "period": ("Kỳ báo cáo (2026-W48, 2026-11, 2026-Q4)", "Period label"),
        "recipient": ("Địa chỉ thư người nhận", "Recipient address"),
        "province": (
            "Tỉnh của báo cáo (trống: toàn quốc)",
            "Province of the report (empty: national)",
        ),
        "message_id": ("Message-ID của thư", "Message-ID of the mail"),
        "sent_at": ("Thời điểm gửi", "When sent"),
    },
)

SCHEDULE = Relation(
    "report_schedule",
    "TABLE",
    ("Lịch gửi báo cáo định kỳ (nội bộ)", "Scheduled delivery's state (internal)"),
    {"id": ("Luôn là 1", "Always 1"), "since": ("Bắt đầu gửi từ", "Delivery switched on at")},
)

DDL = """
CREATE TABLE IF NOT EXISTS {s}.report_deliveries (
  kind text NOT NULL,
  period text NOT NULL,
  recipient text NOT NULL,
  province text NOT NULL DEFAULT '',
  message_id text NOT NULL,
  sent_at timestamptz NOT NULL,
  PRIMARY KEY (kind, period, recipient, province)
);
CREATE TABLE IF NOT EXISTS {s}.report_schedule (
  id int PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  since timestamptz NOT NULL
);
"""

__all__ = ["DDL", "SCHEDULE", "TABLE"]
