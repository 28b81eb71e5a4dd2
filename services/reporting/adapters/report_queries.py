"""The rows of one report, read from the analysts' own v1 views (what they can check in SQL).

A ticket belongs to the period of its `received_at` (SPEC §6); its SLA figures are those of its
first cycle (a reopened ticket's later clocks measure the rework, not the first answer). The
backlog is read from the status history, so a ticket resolved after the period's end still
counts as open at the end.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from libs.catalog import Catalog, load_catalog
from services.reporting.domain.periods import Period
from services.reporting.domain.report import OutageRow, ReadinessCheck, TicketRow

_TICKETS = """
WITH period AS (
  SELECT t.ticket_id, t.number, t.channel, t.group_code, t.application, t.province,
    t.unit_code, t.type, t.cause, t.status, t.subject, t.received_at, t.resolved_at,
    t.reopened, t.first_contact_resolution, t.resolved_at_province
  FROM {s}.v1_tickets t
  WHERE t.received_at >= %(start)s AND t.received_at < %(end)s
    AND (%(province)s::text IS NULL OR t.province = %(province)s)
), pauses AS (
  SELECT c.ticket_id, array_agg(c.started_at ORDER BY c.seq) AS pause_starts,
    array_agg(c.ended_at ORDER BY c.seq) AS pause_ends
  FROM {s}.v1_status_changes c
  WHERE c.ticket_id IN (SELECT ticket_id FROM period) AND c.status = 'waiting_requester'
  GROUP BY c.ticket_id
)
SELECT p.*, s.response_met, s.resolution_met, w.pause_starts, w.pause_ends
FROM period p
LEFT JOIN {s}.v1_sla s ON s.ticket_id = p.ticket_id AND s.cycle = 1
LEFT JOIN pauses w ON w.ticket_id = p.ticket_id
ORDER BY p.received_at, p.number
"""

#: National systems' incidents concern every province; a WAN district's only its own.
_OUTAGES = """
SELECT application, down_since, recovered_at, outage_minutes FROM {s}.v1_outages
WHERE down_since >= %(start)s AND down_since < %(end)s
  AND (%(province)s::text IS NULL OR province IS NULL OR province = %(province)s)
ORDER BY down_since
"""

_READINESS = """
SELECT day, check_id, application, ok FROM {s}.v1_readiness
WHERE day >= %(first)s AND day < %(next)s ORDER BY day, check_id
"""

_USER_ERRORS = """
SELECT number, province, unit_code, application, subject, received_at, resolved_at
FROM {s}.v1_tickets
WHERE received_at >= %(start)s AND received_at < %(end)s AND cause = 'user_error'
  AND (%(province)s::text IS NULL OR province = %(province)s)
ORDER BY province, received_at, number
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
    def __init__(
        self, pool: AsyncConnectionPool[Any], schema: str, catalog: Catalog | None = None
    ) -> None:
        self._pool = pool
        self._s = f'"{schema}"'
        self._catalog = catalog

    def province_in_period(self, code: str | None, period: Period) -> str | None:
        """A ticket's province as the organisation in force on the period's last day names it
        (issue 14): a 2024 quarter keeps the 63 provinces, a 2026 one files a ticket of an
        absorbed province (Hà Giang) under the province it merged into (Tuyên Quang)."""
        if code is None:
            return None
        if self._catalog is None:
            self._catalog = load_catalog()
        last_day = period.next_day - timedelta(days=1)
        return self._catalog.as_of(last_day).province_code(code)

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
                province=self.province_in_period(r["province"], period),
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
                pauses=tuple(zip(r["pause_starts"] or (), r["pause_ends"] or (), strict=True)),
            )
            for r in rows
        ]

    async def _rows(self, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(query.format(s=self._s), params)
            return list(await cur.fetchall())

    async def outages(self, period: Period, province: str | None) -> list[OutageRow]:
        params = {"start": period.start, "end": period.end, "province": province}
        return [OutageRow(**r) for r in await self._rows(_OUTAGES, params)]

    async def readiness(self, period: Period) -> list[ReadinessCheck]:
        params = {"first": period.first_day, "next": period.next_day}
        return [ReadinessCheck(**r) for r in await self._rows(_READINESS, params)]

    async def user_errors(self, period: Period, province: str | None) -> list[dict[str, Any]]:
        """The period's tickets resolved as the user's own mistake (SPEC §6: sent to the
        province's IT staff)."""
        params = {"start": period.start, "end": period.end, "province": province}
        return await self._rows(_USER_ERRORS, params)

    async def backlog(self, period: Period, province: str | None) -> list[datetime]:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                _BACKLOG.format(s=self._s), {"end": period.end, "province": province}
            )
            return [row[0] for row in await cur.fetchall()]
