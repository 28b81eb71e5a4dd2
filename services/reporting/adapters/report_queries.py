"""The rows of one report, read from the analysts' own v1 views (what they can check in SQL).

A ticket belongs to the period of its `received_at` (SPEC §6); its SLA figures are those of its
first cycle (a reopened ticket's later clocks measure the rework, not the first answer). The
backlog is read from the status history, so a ticket resolved after the period's end still
counts as open at the end.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from services.reporting.domain.periods import Period
from services.reporting.domain.report import TicketRow

_TICKETS = """
SELECT t.number, t.channel, t.group_code, t.application, t.province, t.unit_code, t.type,
  t.cause, t.status, t.subject, t.received_at, t.resolved_at, t.reopened,
  t.first_contact_resolution, t.resolved_at_province, s.response_met, s.resolution_met
FROM {s}.v1_tickets t
LEFT JOIN {s}.v1_sla s ON s.ticket_id = t.ticket_id AND s.cycle = 1
WHERE t.received_at >= %(start)s AND t.received_at < %(end)s
  AND (%(province)s::text IS NULL OR t.province = %(province)s)
ORDER BY t.received_at, t.number
"""

_BACKLOG = """
SELECT t.received_at
FROM {s}.v1_tickets t
LEFT JOIN LATERAL (
  SELECT c.status FROM {s}.v1_status_changes c
  WHERE c.ticket_id = t.ticket_id AND c.started_at < %(end)s
  ORDER BY c.seq DESC LIMIT 1
) last ON true
WHERE t.received_at < %(end)s
  AND COALESCE(last.status, 'new') NOT IN ('resolved', 'closed')
  AND (%(province)s::text IS NULL OR t.province = %(province)s)
"""


class ReportQueries:
    def __init__(self, pool: AsyncConnectionPool[Any], schema: str) -> None:
        self._pool = pool
        self._s = f'"{schema}"'

    async def tickets(self, period: Period, province: str | None) -> list[TicketRow]:
        params = {"start": period.start, "end": period.end, "province": province}
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(_TICKETS.format(s=self._s), params)
            rows = await cur.fetchall()
        return [
            TicketRow(
                number=r["number"],
                channel=r["channel"],
                group=r["group_code"],
                application=r["application"],
                province=r["province"],
                unit_code=r["unit_code"],
                type=r["type"],
                cause=r["cause"],
                status=r["status"],
                subject=r["subject"] or "",
                received_at=r["received_at"],
                resolved_at=r["resolved_at"],
                reopened=r["reopened"] or 0,
                first_contact=bool(r["first_contact_resolution"]),
                at_province=bool(r["resolved_at_province"]),
                response_met=r["response_met"],
                resolution_met=r["resolution_met"],
            )
            for r in rows
        ]

    async def backlog(self, period: Period, province: str | None) -> list[datetime]:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                _BACKLOG.format(s=self._s), {"end": period.end, "province": province}
            )
            return [row[0] for row in await cur.fetchall()]
