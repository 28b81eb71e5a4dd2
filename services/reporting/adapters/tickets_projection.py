"""`reporting.tickets`: one row a ticket, the first table of the analysts' SQL schema (SPEC §6).

Columns are stable and documented in README; analysts query them read-only.
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from libs.events.envelope import Envelope

DDL = """
CREATE TABLE IF NOT EXISTS {s}.tickets (
  ticket_id uuid PRIMARY KEY,
  number text,
  channel text,
  unit_code text,
  unit_kind text,
  province text,
  picked_application text,
  application text,
  group_code text,
  type text,
  priority text,
  first_handler_kind text,
  policy_version text,
  tier text,
  owner text,
  handler text,
  received_at timestamptz,
  routed_at timestamptz,
  assigned_at timestamptz
);
COMMENT ON TABLE {s}.tickets IS 'One row per ticket, built from hotro.intake.v1, hotro.routing.v1 and hotro.escalation.v1';
"""


async def ensure_tables(pool: AsyncConnectionPool[Any], schema: str) -> None:
    async with pool.connection() as conn:
        await conn.execute(DDL.format(s=f'"{schema}"'))


def projector(schema: str):  # type: ignore[no-untyped-def]
    s = f'"{schema}"'

    async def project(conn: AsyncConnection[Any], e: Envelope) -> None:
        d = e.data
        await conn.execute(
            f"INSERT INTO {s}.tickets (ticket_id) VALUES (%s) ON CONFLICT DO NOTHING", (e.subject,)
        )
        if e.type == "hotro.ticket.submitted.v1":
            await conn.execute(
                f"UPDATE {s}.tickets SET number = %s, channel = %s, unit_code = %s, unit_kind = %s,"
                " province = %s, picked_application = %s, priority = COALESCE(priority, %s),"
                " received_at = %s WHERE ticket_id = %s",
                (
                    d["number"],
                    d["channel"],
                    d["requester"].get("unit_code"),
                    d.get("unit_kind"),
                    d.get("unit_province"),
                    d.get("application_code"),
                    d.get("priority"),
                    d["received_at"],
                    e.subject,
                ),
            )
        elif e.type == "hotro.ticket.routed.v1":
            handler = d["first_handler"]
            await conn.execute(
                f"UPDATE {s}.tickets SET application = %s, group_code = %s, type = %s,"
                " priority = %s, first_handler_kind = %s, policy_version = %s, routed_at = %s"
                " WHERE ticket_id = %s",
                (
                    d.get("application"),
                    d["group"],
                    d["type"],
                    d.get("priority"),
                    handler["kind"],
                    handler["policy_version"],
                    e.time,
                    e.subject,
                ),
            )
        elif e.type == "hotro.ticket.assigned.v1":
            await conn.execute(
                f"UPDATE {s}.tickets SET tier = %s, owner = %s, handler = %s, assigned_at = %s"
                " WHERE ticket_id = %s",
                (d["tier"], d["owner"], d["handler"], d["assigned_at"], e.subject),
            )

    return project
