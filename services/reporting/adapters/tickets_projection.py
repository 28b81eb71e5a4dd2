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
ALTER TABLE {s}.tickets ADD COLUMN IF NOT EXISTS status text;
ALTER TABLE {s}.tickets ADD COLUMN IF NOT EXISTS cause text;
ALTER TABLE {s}.tickets ADD COLUMN IF NOT EXISTS resolved_at timestamptz;
ALTER TABLE {s}.tickets ADD COLUMN IF NOT EXISTS parent_id uuid;
ALTER TABLE {s}.tickets ADD COLUMN IF NOT EXISTS escalations int NOT NULL DEFAULT 0;
ALTER TABLE {s}.tickets ADD COLUMN IF NOT EXISTS max_tier text;
ALTER TABLE {s}.tickets ADD COLUMN IF NOT EXISTS response_breached boolean NOT NULL DEFAULT false;
ALTER TABLE {s}.tickets ADD COLUMN IF NOT EXISTS resolution_breached boolean NOT NULL DEFAULT false;
ALTER TABLE {s}.tickets ADD COLUMN IF NOT EXISTS reclassified boolean NOT NULL DEFAULT false;
COMMENT ON TABLE {s}.tickets IS 'One row per ticket, built from hotro.intake.v1, hotro.routing.v1 and hotro.escalation.v1';
"""


async def ensure_tables(pool: AsyncConnectionPool[Any], schema: str) -> None:
    async with pool.connection() as conn:
        await conn.execute(DDL.format(s=f'"{schema}"'))


def projector(schema: str):  # type: ignore[no-untyped-def]
    s = f'"{schema}"'

    async def project(conn: AsyncConnection[Any], e: Envelope) -> None:
        if not e.type.startswith("hotro.ticket."):
            return
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
        elif e.type in _LATER_FACTS:
            await _LATER_FACTS[e.type](conn, s, e)
        elif e.type == "hotro.ticket.assigned.v1":
            await conn.execute(
                f"UPDATE {s}.tickets SET tier = %s, owner = %s, handler = %s, assigned_at = %s"
                " WHERE ticket_id = %s",
                (d["tier"], d["owner"], d["handler"], d["assigned_at"], e.subject),
            )

    return project


async def _status_changed(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    d = e.data
    resolved = d["status"] == "resolved"
    await conn.execute(
        f"UPDATE {s}.tickets SET status = %s, cause = COALESCE(%s, cause),"
        " resolved_at = CASE WHEN %s THEN %s ELSE resolved_at END WHERE ticket_id = %s",
        (d["status"], d.get("cause"), resolved, d["at"], e.subject),
    )


async def _escalated(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    """Escalation rate (SPEC §6: the share resolved at the province) counts these."""
    await conn.execute(
        f"UPDATE {s}.tickets SET escalations = escalations + 1, tier = %s, handler = %s,"
        " max_tier = GREATEST(COALESCE(max_tier, ''), %s) WHERE ticket_id = %s",
        (e.data["tier"], e.data["handler"], e.data["tier"], e.subject),
    )


async def _breached(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    column = "response_breached" if e.data["kind"] == "response" else "resolution_breached"
    await conn.execute(f"UPDATE {s}.tickets SET {column} = true WHERE ticket_id = %s", (e.subject,))


async def _reclassified(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    d = e.data
    await conn.execute(
        f"UPDATE {s}.tickets SET group_code = %s, type = %s, application = %s,"
        " reclassified = true WHERE ticket_id = %s",
        (d["group"], d["type"], d.get("application"), e.subject),
    )


async def _linked(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    parent = (
        e.data["parent_id"] if e.type.endswith("linked.v1") and "unlinked" not in e.type else None
    )
    await conn.execute(
        f"UPDATE {s}.tickets SET parent_id = %s WHERE ticket_id = %s", (parent, e.subject)
    )


_LATER_FACTS = {
    "hotro.ticket.status_changed.v1": _status_changed,
    "hotro.ticket.escalated.v1": _escalated,
    "hotro.ticket.sla_breached.v1": _breached,
    "hotro.ticket.reclassified.v1": _reclassified,
    "hotro.ticket.linked.v1": _linked,
    "hotro.ticket.unlinked.v1": _linked,
}
