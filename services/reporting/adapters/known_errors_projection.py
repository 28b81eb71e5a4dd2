"""`reporting.known_errors` and `reporting.known_error_tickets` (SPEC §4: known errors).

`hotro.known_error.changed.v1` is keyed by the ticket when a known error is opened or joined
and by the known error when its status moves, so those arrive on different partitions in any
order. Every event is from escalation's log, so its `position` says which status is the
latest, whichever arrives first.
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

from libs.events.envelope import Envelope
from services.reporting.adapters.schema_docs import TICKET_ID, Relation

ERRORS = Relation(
    "known_errors",
    "TABLE",
    (
        "Lỗi đã biết (lỗi phần mềm) một dòng, theo dõi đến khi phát hành bản sửa",
        "One row per known error (a software defect), tracked to its release",
    ),
    {
        "known_error_id": ("Mã định danh lỗi đã biết", "Known error id"),
        "number": ("Số lỗi đã biết (KE-năm-ứng dụng-số)", "Known error number"),
        "application": ("Ứng dụng", "Application"),
        "department": ("Phòng chuyên môn chịu trách nhiệm", "Responsible department"),
        "title": ("Mô tả ngắn", "Title"),
        "status": ("Trạng thái: open, fix_in_progress, released", "Status"),
        "opened_at": ("Thời điểm mở", "When opened"),
        "fix_in_progress_at": ("Thời điểm bắt đầu sửa", "When the fix started"),
        "released_at": ("Thời điểm phát hành bản sửa", "When the fix was released"),
        "status_position": (
            "Vị trí sự kiện trạng thái mới nhất trong nhật ký escalation",
            "Log position of the latest status event",
        ),
    },
)

LINKS = Relation(
    "known_error_tickets",
    "TABLE",
    (
        "Yêu cầu gắn với lỗi đã biết: mỗi cặp lỗi–yêu cầu một dòng",
        "Tickets linked to a known error: one row per pair",
    ),
    {
        "known_error_id": ("Mã định danh lỗi đã biết", "Known error id"),
        "ticket_id": TICKET_ID,
        "linked_at": ("Thời điểm gắn", "When linked"),
        "change": ("opened (yêu cầu đầu tiên) hoặc joined", "opened (the first) or joined"),
    },
)

DDL = """
CREATE TABLE IF NOT EXISTS {s}.known_errors (
  known_error_id uuid PRIMARY KEY,
  number text,
  application text,
  department text,
  title text,
  status text,
  opened_at timestamptz,
  fix_in_progress_at timestamptz,
  released_at timestamptz,
  status_position bigint NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS {s}.known_error_tickets (
  known_error_id uuid NOT NULL,
  ticket_id uuid NOT NULL,
  linked_at timestamptz NOT NULL,
  change text NOT NULL,
  PRIMARY KEY (known_error_id, ticket_id)
);
"""


async def _status(
    conn: AsyncConnection[Any], s: str, e: Envelope, status: str, **facts: Any
) -> None:
    """Upsert the error; its status only moves to a later event's."""
    d = e.data
    await conn.execute(
        f"INSERT INTO {s}.known_errors AS k (known_error_id, number, application, department,"
        " title, opened_at, status, status_position, fix_in_progress_at, released_at)"
        " VALUES (%(id)s, %(number)s, %(application)s, %(department)s, %(title)s,"
        " %(opened_at)s, %(status)s, %(position)s,"
        " CASE WHEN %(status)s = 'fix_in_progress' THEN %(at)s::timestamptz END,"
        " CASE WHEN %(status)s = 'released' THEN %(at)s::timestamptz END)"
        " ON CONFLICT (known_error_id) DO UPDATE SET"
        " number = COALESCE(EXCLUDED.number, k.number),"
        " application = COALESCE(EXCLUDED.application, k.application),"
        " department = COALESCE(EXCLUDED.department, k.department),"
        " title = COALESCE(EXCLUDED.title, k.title),"
        " opened_at = COALESCE(EXCLUDED.opened_at, k.opened_at),"
        " fix_in_progress_at = COALESCE(k.fix_in_progress_at, EXCLUDED.fix_in_progress_at),"
        " released_at = COALESCE(k.released_at, EXCLUDED.released_at),"
        " status = CASE WHEN EXCLUDED.status_position > k.status_position"
        "  THEN EXCLUDED.status ELSE k.status END,"
        " status_position = GREATEST(k.status_position, EXCLUDED.status_position)",
        {
            "id": d["known_error_id"],
            "number": facts.get("number"),
            "application": facts.get("application"),
            "department": facts.get("department"),
            "title": facts.get("title"),
            "opened_at": facts.get("opened_at"),
            "status": status,
            "position": e.position,
            "at": d["at"],
        },
    )


async def _link(conn: AsyncConnection[Any], s: str, e: Envelope, change: str) -> None:
    await conn.execute(
        f"INSERT INTO {s}.known_error_tickets (known_error_id, ticket_id, linked_at, change)"
        " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
        (e.data["known_error_id"], e.data["ticket_id"], e.data["at"], change),
    )


async def _changed(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    d = e.data
    change = d["change"]
    if change == "opened":
        facts = {k: d.get(k) or None for k in ("number", "application", "department", "title")}
        await _status(conn, s, e, "open", opened_at=d["at"], **facts)
        await _link(conn, s, e, change)
    elif change == "joined":
        # Carries no status: position 0 never wins over a real status event.
        await conn.execute(
            f"INSERT INTO {s}.known_errors (known_error_id) VALUES (%s) ON CONFLICT DO NOTHING",
            (d["known_error_id"],),
        )
        await _link(conn, s, e, change)
    elif change == "status":
        await _status(conn, s, e, d["status"])


HANDLERS = {"hotro.known_error.changed.v1": _changed}
TABLES = (ERRORS, LINKS)
