"""Tickets per application and hour: the signal an outage leaves before any check fails.

A first read model for the monitoring service (status page and surge detection build on it).
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from libs.events.envelope import Envelope


async def ensure_tables(pool: AsyncConnectionPool[Any], schema: str) -> None:
    async with pool.connection() as conn:
        await conn.execute(
            f'CREATE TABLE IF NOT EXISTS "{schema}".reports_by_application ('
            " application text NOT NULL, hour timestamptz NOT NULL, reports int NOT NULL,"
            " PRIMARY KEY (application, hour))"
        )


def projector(schema: str):  # type: ignore[no-untyped-def]
    async def project(conn: AsyncConnection[Any], e: Envelope) -> None:
        if e.type != "hotro.ticket.routed.v1":
            return
        await conn.execute(
            f'INSERT INTO "{schema}".reports_by_application AS r (application, hour, reports)'
            " VALUES (%s, date_trunc('hour', %s::timestamptz), 1)"
            " ON CONFLICT (application, hour) DO UPDATE SET reports = r.reports + 1",
            (e.data.get("application") or "-", e.data["received_at"]),
        )

    return project
