"""`reporting.outages`: one row per monitoring incident, its application, start, end and minutes
(SPEC §5 Incidents, §6 "incidents and outage durations").

Built from monitoring's `hotro.incident.*.v1` events alone (keyed by incident, so one incident's
events arrive in order). The outage starts at `down_since` (the first failed check, before the
N confirmations that opened the incident) and ends at `recovered_at`; its minutes are
monitoring's own count (`outage_minutes`: every down period of the incident, a reopened one
included). A WAN district's incident has no application: its `province` and `district` say
where.
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

from libs.events.envelope import Envelope
from services.reporting.adapters.schema_docs import Relation

TABLE = Relation(
    "outages",
    "TABLE",
    (
        "Mỗi sự cố do giám sát phát hiện một dòng: ứng dụng, bắt đầu, kết thúc, số phút gián đoạn",
        "One row per monitoring incident: application, start, end, outage minutes",
    ),
    {
        "incident_id": ("Mã sự cố của giám sát", "Monitoring's incident id"),
        "source": (
            "Nguồn: check (kiểm tra), wan (kênh truyền), alertmanager",
            "Source: check, wan (a district's channels), alertmanager",
        ),
        "key": ("Đối tượng: kiểm tra, quận/huyện hoặc cảnh báo", "Target, district or alert"),
        "application": (
            "Ứng dụng (trống với sự cố kênh truyền WAN)",
            "Application (empty for a WAN incident)",
        ),
        "check_id": ("Mã kiểm tra (nếu có)", "Check id, if any"),
        "province": ("Tỉnh (sự cố kênh truyền WAN)", "Province (WAN incidents)"),
        "district": ("Kho bạc huyện (sự cố kênh truyền WAN)", "District treasury (WAN incidents)"),
        "priority": ("Mức ưu tiên", "Priority"),
        "subject": ("Tiêu đề sự cố", "Incident subject"),
        "status": ("open hoặc resolved", "open or resolved"),
        "down_since": ("Bắt đầu gián đoạn (lần kiểm tra lỗi đầu tiên)", "Outage start"),
        "opened_at": ("Thời điểm mở sự cố", "When the incident was opened"),
        "recovered_at": ("Thời điểm hệ thống hoạt động lại", "When the target recovered"),
        "outage_minutes": ("Số phút gián đoạn (theo giám sát)", "Outage minutes (monitoring's)"),
        "reopened": ("Số lần mở lại", "Times reopened"),
        "position": ("Vị trí sự kiện mới nhất", "Log position of the latest event"),
    },
)

DDL = """
CREATE TABLE IF NOT EXISTS {s}.outages (
  incident_id text PRIMARY KEY,
  source text NOT NULL,
  key text NOT NULL,
  application text,
  check_id text,
  province text,
  district text,
  priority text,
  subject text,
  status text NOT NULL,
  down_since timestamptz NOT NULL,
  opened_at timestamptz NOT NULL,
  recovered_at timestamptz,
  outage_minutes double precision,
  reopened int NOT NULL DEFAULT 0,
  position bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS outages_down_since ON {s}.outages (down_since);
"""

_UPSERT = """
INSERT INTO {s}.outages AS o (incident_id, source, key, application, check_id, province,
  district, priority, subject, status, down_since, opened_at, recovered_at, outage_minutes,
  reopened, position)
VALUES (%(id)s, %(source)s, %(key)s, %(application)s, %(check_id)s, %(province)s,
  %(district)s, %(priority)s, %(subject)s, %(status)s, %(down_since)s, %(at)s,
  %(recovered_at)s, %(minutes)s, %(reopened)s, %(position)s)
ON CONFLICT (incident_id) DO UPDATE SET
  application = EXCLUDED.application, priority = EXCLUDED.priority,
  subject = EXCLUDED.subject, down_since = LEAST(o.down_since, EXCLUDED.down_since),
  status = CASE WHEN %(change)s = 'updated' THEN o.status ELSE EXCLUDED.status END,
  recovered_at = CASE %(change)s WHEN 'resolved' THEN EXCLUDED.recovered_at
    WHEN 'reopened' THEN NULL ELSE o.recovered_at END,
  outage_minutes = CASE %(change)s WHEN 'resolved' THEN EXCLUDED.outage_minutes
    WHEN 'reopened' THEN NULL ELSE o.outage_minutes END,
  reopened = o.reopened + EXCLUDED.reopened, position = EXCLUDED.position
WHERE o.position < EXCLUDED.position
"""

_STATUS = {"opened": "open", "updated": "open", "resolved": "resolved", "reopened": "open"}


def _handler(change: str) -> Any:
    async def apply(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
        d = e.data
        labels = d.get("labels") or {}
        await conn.execute(
            _UPSERT.format(s=s),
            {
                "id": d["incident_id"],
                "source": d["source"],
                "key": d["key"],
                "application": d.get("application"),
                "check_id": d.get("check_id"),
                "province": labels.get("province"),
                "district": labels.get("district"),
                "priority": d.get("priority"),
                "subject": d.get("subject"),
                "status": _STATUS[change],
                "down_since": d["down_since"],
                "at": d["at"],
                "recovered_at": d.get("recovered_at"),
                "minutes": d.get("outage_minutes"),
                "reopened": 1 if change == "reopened" else 0,
                "change": change,
                "position": e.position,
            },
        )

    return apply


HANDLERS = {f"hotro.incident.{change}.v1": _handler(change) for change in _STATUS}
TABLES = (TABLE,)
