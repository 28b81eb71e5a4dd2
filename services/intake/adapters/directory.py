"""The requester directory in intake's schema: ~15,000 treasury users, imported in bulk.

Reference data copied from the treasury's user master (as Zammad or RT sync from LDAP), like
the catalog: Hotro does not decide it, so it is a table, not events. Each ticket records the
requester as they were when it was submitted, so a later re-import changes no old ticket.
Re-importing updates by e-mail and never duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from services.intake.domain.directory import DirectoryEntry


@dataclass(frozen=True)
class ImportCounts:
    created: int
    updated: int
    unchanged: int


class RequesterDirectory:
    def __init__(self, pool: AsyncConnectionPool[Any], schema: str) -> None:
        self.pool = pool
        self.s = f'"{schema}"'

    async def ensure_table(self) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(
                f"CREATE TABLE IF NOT EXISTS {self.s}.requesters (email text PRIMARY KEY,"
                " name text NOT NULL, phone text, unit_code text, unit jsonb,"
                " unit_kind text NOT NULL, province text,"
                " updated_at timestamptz NOT NULL DEFAULT now())"
            )

    async def upsert(self, entries: list[DirectoryEntry]) -> ImportCounts:
        """One transaction for the whole file: an import is applied whole or not at all."""
        created = updated = 0
        async with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            for start in range(0, len(entries), 1000):
                chunk = entries[start : start + 1000]
                await cur.executemany(
                    f"INSERT INTO {self.s}.requesters AS r (email, name, phone, unit_code, unit,"
                    " unit_kind, province) VALUES (%s, %s, %s, %s, %s, %s, %s)"
                    " ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name,"
                    " phone = EXCLUDED.phone, unit_code = EXCLUDED.unit_code,"
                    " unit = EXCLUDED.unit, unit_kind = EXCLUDED.unit_kind,"
                    " province = EXCLUDED.province, updated_at = now()"
                    " WHERE (r.name, r.phone, r.unit_code, r.unit, r.unit_kind, r.province)"
                    " IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.phone, EXCLUDED.unit_code,"
                    " EXCLUDED.unit, EXCLUDED.unit_kind, EXCLUDED.province)"
                    " RETURNING (xmax = 0) AS inserted",
                    [_row(e) for e in chunk],
                    returning=True,
                )
                while True:
                    row = await cur.fetchone()
                    if row is not None:
                        created += bool(row[0])
                        updated += not row[0]
                    if not cur.nextset():
                        break
        return ImportCounts(created, updated, len(entries) - created - updated)

    async def find(self, email: str) -> DirectoryEntry | None:
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(
                f"SELECT email, name, phone, unit_code, unit, unit_kind, province"
                f" FROM {self.s}.requesters WHERE email = %s",
                (email.strip().lower(),),
            )
            row = await cur.fetchone()
        return DirectoryEntry(**row) if row else None


def _row(entry: DirectoryEntry) -> tuple[Any, ...]:
    return (
        entry.email,
        entry.name,
        entry.phone,
        entry.unit_code,
        Jsonb(entry.unit) if entry.unit else None,
        entry.unit_kind,
        entry.province,
    )
