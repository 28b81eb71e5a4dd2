"""Read models of inbound mail: the inbox log (dead letters for admins) and the thread index.

Projections of intake's own topic, like the ticket view: `mail_inbox` has one row per inbound
message with its latest outcome; `mail_threads` maps each received Message-ID to its ticket, so
a reply naming it in In-Reply-To or References lands on the right ticket. Our own outgoing
Message-IDs need no table: they carry the ticket number (`our_message_ids`).
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg.errors import UndefinedTable
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from libs.events.envelope import Envelope
from services.intake.domain.mail_decision import ThreadIndex

DDL = """
CREATE TABLE IF NOT EXISTS {s}.mail_inbox (
  mail_id uuid PRIMARY KEY,
  message_id text,
  outcome text NOT NULL,
  reason text NOT NULL,
  ticket_id uuid,
  sender text,
  subject text,
  channel text,
  raw_sha256 text,
  size bigint,
  received_at timestamptz,
  updated_at timestamptz,
  replays int NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS mail_inbox_outcome ON {s}.mail_inbox (outcome, received_at DESC);
CREATE TABLE IF NOT EXISTS {s}.mail_threads (
  message_id text PRIMARY KEY,
  ticket_id uuid NOT NULL
);
"""
MAIL_EVENTS = frozenset({"hotro.mail.taken_in.v1"})
#: Roles of the desk's people (SPEC §8): not requesters, analysts or machines.
OPERATOR_ROLES = frozenset({"province_it", "group_agent", "group_lead", "specialist", "admin"})


async def ensure_tables(pool: AsyncConnectionPool[Any], schema: str) -> None:
    async with pool.connection() as conn:
        await conn.execute(DDL.format(s=f'"{schema}"'))


def projector(schema: str):  # type: ignore[no-untyped-def]
    s = f'"{schema}"'

    async def project(conn: AsyncConnection[Any], e: Envelope) -> None:
        d = e.data
        if e.type == "hotro.mail.taken_in.v1" and not d.get("replay"):
            await conn.execute(
                f"INSERT INTO {s}.mail_inbox (mail_id, message_id, outcome, reason, ticket_id,"
                " sender, subject, channel, raw_sha256, size, received_at, updated_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (mail_id) DO NOTHING",
                (
                    d["mail_id"], d.get("message_id"), d["outcome"], d["reason"],
                    d.get("ticket_id"), d.get("sender"), d.get("subject"), d.get("channel"),
                    d.get("raw_sha256"), d.get("size"), d.get("received_at"), d.get("at"),
                ),
            )  # fmt: skip
        elif e.type == "hotro.mail.taken_in.v1":
            await conn.execute(
                f"UPDATE {s}.mail_inbox SET outcome = %s, reason = %s,"
                " ticket_id = COALESCE(%s, ticket_id),"
                " updated_at = %s, replays = replays + 1 WHERE mail_id = %s",
                (d["outcome"], d["reason"], d.get("ticket_id"), d.get("at"), d["mail_id"]),
            )
        elif e.type == "hotro.ticket.email_received.v1" and d.get("message_id"):
            await conn.execute(
                f"INSERT INTO {s}.mail_threads (message_id, ticket_id) VALUES (%s, %s)"
                " ON CONFLICT (message_id) DO NOTHING",
                (d["message_id"], e.subject),
            )

    return project


class MailQueries:
    def __init__(self, pool: AsyncConnectionPool[Any], schema: str) -> None:
        self.pool = pool
        self.s = f'"{schema}"'

    async def thread_index(
        self, message_ids: list[str], numbers: list[str], our_domain: str, our_addresses: set[str]
    ) -> ThreadIndex:
        """What the ticket view and thread index know of the ids and numbers a mail names."""
        known: dict[str, str] = {}
        existing: set[str] = set()
        closed: set[str] = set()
        async with self.pool.connection() as conn:
            if message_ids:
                cur = await conn.execute(
                    f"SELECT t.message_id, v.number FROM {self.s}.mail_threads t"
                    f" JOIN {self.s}.ticket_view v ON v.id = t.ticket_id"
                    " WHERE t.message_id = ANY(%s) AND v.number IS NOT NULL",
                    (message_ids,),
                )
                known = {row[0]: row[1] for row in await cur.fetchall()}
            wanted = list({*numbers, *known.values()})
            if wanted:
                # The number index is written with the number, before the view has caught up
                # (store.TicketNumbers): a reply right after its ticket was opened, or while
                # the view's consumer is down, still finds it (found by the chaos run).
                cur = await conn.execute(
                    f"SELECT number, status FROM {self.s}.ticket_view WHERE number = ANY(%s)"
                    f" UNION ALL SELECT number, NULL FROM {self.s}.number_index"
                    " WHERE number = ANY(%s)",
                    (wanted, wanted),
                )
                for number, status in await cur.fetchall():
                    existing.add(number)
                    if status == "closed":
                        closed.add(number)
        return ThreadIndex(known, existing, closed, our_domain, our_addresses)

    async def is_operator(self, email: str) -> bool:
        """Whether an operator's token names this address (staff may comment on any ticket)."""
        address = email.strip().lower()
        if not address:
            return False
        async with self.pool.connection() as conn:
            try:
                cur = await conn.execute(
                    f"SELECT 1 FROM {self.s}.api_tokens WHERE lower(scope->>'email') = %s"
                    " AND role = ANY(%s) LIMIT 1",
                    (address, list(OPERATOR_ROLES)),
                )
            except UndefinedTable:  # no token issued yet on this database
                return False
            return await cur.fetchone() is not None

    async def ticket_id_of(self, number: str) -> str | None:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT id FROM {self.s}.ticket_view WHERE number = %s", (number,)
            )
            row = await cur.fetchone()
        return str(row[0]) if row else None

    async def inbox(
        self, outcome: str | None, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        where, params = ("WHERE outcome = %s", [outcome]) if outcome else ("", [])
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(f"SELECT count(*) AS n FROM {self.s}.mail_inbox {where}", params)
            total: Any = await cur.fetchone()
            await cur.execute(
                f"SELECT * FROM {self.s}.mail_inbox {where}"
                " ORDER BY received_at DESC, mail_id LIMIT %s OFFSET %s",
                [*params, limit, offset],
            )
            rows = await cur.fetchall()
        return [dict(r) for r in rows], int(total["n"])
