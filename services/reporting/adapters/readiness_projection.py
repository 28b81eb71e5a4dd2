"""`reporting.readiness_rounds` and `reporting.readiness_results`: the morning readiness round
per treasury day and system (SPEC §5, §6 "readiness results").

Built from `hotro.readiness.round_completed.v1`, which carries every check's result, keyed by
the day. A day may be run again (`run` 2, 3… after a late or manual run): the latest run is
the day's result, so an earlier run never overwrites a later one and a later run replaces the
earlier one's checks. `hotro.readiness.report_sent.v1` adds when the report went out.
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

from libs.events.envelope import Envelope
from services.reporting.adapters.schema_docs import Relation

DAY = ("Ngày làm việc (lịch Kho bạc)", "Treasury working day")

ROUNDS = Relation(
    "readiness_rounds",
    "TABLE",
    (
        "Mỗi ngày một dòng: lượt kiểm tra sẵn sàng buổi sáng mới nhất của ngày",
        "One row per day: that day's latest morning readiness round",
    ),
    {
        "day": DAY,
        "run": ("Lượt chạy thứ mấy trong ngày (lượt mới nhất)", "Run of the day (the latest)"),
        "trigger": ("schedule, catch_up hoặc manual", "schedule, catch_up or manual"),
        "started_at": ("Bắt đầu", "Started"),
        "completed_at": ("Hoàn thành", "Completed"),
        "late": ("Chạy muộn (sau 07:00)", "Late (not run at 07:00)"),
        "systems_total": ("Số hệ thống được kiểm tra", "Systems checked"),
        "systems_ready": ("Số hệ thống sẵn sàng", "Systems ready"),
        "report_sent_at": ("Thời điểm gửi báo cáo", "When the report was sent"),
    },
)

RESULTS = Relation(
    "readiness_results",
    "TABLE",
    (
        "Kết quả từng hệ thống trong lượt kiểm tra buổi sáng mới nhất của mỗi ngày",
        "Each system's result in each day's latest morning round",
    ),
    {
        "day": DAY,
        "check_id": ("Mã kiểm tra", "Check id"),
        "run": ("Lượt chạy", "Run"),
        "application": ("Ứng dụng", "Application"),
        "name": ("Tên kiểm tra", "Check name"),
        "kind": ("Loại kiểm tra: http, login, tcp, smtp, imap", "Kind of check"),
        "ok": ("Đạt", "Passed"),
        "degraded": ("Chậm/suy giảm", "Degraded"),
        "reason": ("Lý do lỗi", "Why it failed"),
        "checked_at": ("Thời điểm kiểm tra", "When checked"),
        "duration_ms": ("Thời gian phản hồi (ms)", "Duration (ms)"),
        "attempts": ("Số lần thử", "Attempts"),
    },
)

DDL = """
CREATE TABLE IF NOT EXISTS {s}.readiness_rounds (
  day date PRIMARY KEY,
  run int NOT NULL,
  trigger text NOT NULL,
  started_at timestamptz NOT NULL,
  completed_at timestamptz NOT NULL,
  late boolean NOT NULL,
  systems_total int NOT NULL,
  systems_ready int NOT NULL,
  report_sent_at timestamptz
);
CREATE TABLE IF NOT EXISTS {s}.readiness_results (
  day date NOT NULL,
  check_id text NOT NULL,
  run int NOT NULL,
  application text,
  name text,
  kind text,
  ok boolean NOT NULL,
  degraded boolean NOT NULL DEFAULT false,
  reason text,
  checked_at timestamptz,
  duration_ms int,
  attempts int,
  PRIMARY KEY (day, check_id)
);
"""


async def _completed(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    d = e.data
    cur = await conn.execute(
        f"INSERT INTO {s}.readiness_rounds AS r (day, run, trigger, started_at, completed_at,"
        " late, systems_total, systems_ready) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (day) DO UPDATE SET run = EXCLUDED.run, trigger = EXCLUDED.trigger,"
        " started_at = EXCLUDED.started_at, completed_at = EXCLUDED.completed_at,"
        " late = EXCLUDED.late, systems_total = EXCLUDED.systems_total,"
        " systems_ready = EXCLUDED.systems_ready WHERE r.run <= EXCLUDED.run RETURNING 1",
        (
            d["date"],
            d["run"],
            d["trigger"],
            d["started_at"],
            d["completed_at"],
            d["late"],
            d["systems_total"],
            d["systems_ready"],
        ),
    )
    if await cur.fetchone() is None:
        return  # an earlier run arriving after a later one: the later one stands
    await conn.execute(f"DELETE FROM {s}.readiness_results WHERE day = %s", (d["date"],))
    rows = [
        (
            d["date"],
            c["check_id"],
            d["run"],
            c.get("application"),
            c.get("name"),
            c.get("kind"),
            c["ok"],
            bool(c.get("degraded")),
            c.get("reason"),
            c.get("checked_at"),
            c.get("duration_ms"),
            c.get("attempts"),
        )
        for c in d["checks"]
    ]
    if rows:
        async with conn.cursor() as cursor:
            await cursor.executemany(
                f"INSERT INTO {s}.readiness_results (day, check_id, run, application, name,"
                " kind, ok, degraded, reason, checked_at, duration_ms, attempts)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                rows,
            )


async def _sent(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    await conn.execute(
        f"UPDATE {s}.readiness_rounds SET report_sent_at = %s WHERE day = %s",
        (e.data["sent_at"], e.data["date"]),
    )


HANDLERS = {
    "hotro.readiness.round_completed.v1": _completed,
    "hotro.readiness.report_sent.v1": _sent,
}
TABLES = (ROUNDS, RESULTS)
