"""`reporting.check_states`: every confirmed state change of a monitored target, WAN channels
included (SPEC §5): the source of WAN channel availability.

From `hotro.check.state_changed.v1` (keyed by check, so one check's changes arrive in order).
A state lasts from its `since` to the next change's `since`; the view
`v1_wan_channel_outages` pairs each `down` of a WAN channel (a check with a `district` label)
with the change that ended it.
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

from libs.events.envelope import Envelope
from services.reporting.adapters.schema_docs import EVENT_ID, Relation

TABLE = Relation(
    "check_states",
    "TABLE",
    (
        "Mỗi lần một đối tượng giám sát đổi trạng thái (kể cả kênh truyền WAN) một dòng",
        "One row per confirmed state change of a monitored target (WAN channels included)",
    ),
    {
        "event_id": EVENT_ID,
        "check_id": ("Mã kiểm tra", "Check id"),
        "application": ("Ứng dụng (trống với kênh truyền WAN)", "Application (empty: WAN)"),
        "kind": ("Loại kiểm tra", "Kind of check"),
        "state": ("Trạng thái mới: up, down, unknown, maintenance", "New state"),
        "previous": ("Trạng thái trước", "Previous state"),
        "since": ("Trạng thái mới bắt đầu từ", "When the new state began"),
        "district": ("Kho bạc huyện (kênh truyền WAN)", "District treasury (WAN channel)"),
        "province": ("Tỉnh (kênh truyền WAN)", "Province (WAN channel)"),
        "carrier": ("Nhà mạng (kênh truyền WAN)", "Carrier (WAN channel)"),
        "reason": ("Lý do", "Why"),
        "position": ("Vị trí trong nhật ký của giám sát", "Position in monitoring's log"),
    },
)

DDL = """
CREATE TABLE IF NOT EXISTS {s}.check_states (
  event_id text PRIMARY KEY,
  check_id text NOT NULL,
  application text,
  kind text,
  state text NOT NULL,
  previous text,
  since timestamptz NOT NULL,
  district text,
  province text,
  carrier text,
  reason text,
  position bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS check_states_check ON {s}.check_states (check_id, since);
"""


async def _changed(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    d = e.data
    labels = d.get("labels") or {}
    await conn.execute(
        f"INSERT INTO {s}.check_states (event_id, check_id, application, kind, state, previous,"
        " since, district, province, carrier, reason, position)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
        (
            e.id,
            d["check_id"],
            d.get("application"),
            d.get("kind"),
            d["state"],
            d.get("previous"),
            d["since"],
            labels.get("district"),
            labels.get("province"),
            labels.get("carrier"),
            d.get("reason") or None,
            e.position,
        ),
    )


HANDLERS = {"hotro.check.state_changed.v1": _changed}
TABLES = (TABLE,)
