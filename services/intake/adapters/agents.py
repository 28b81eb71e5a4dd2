"""The agent directory's table: people of the desk, kept in intake beside the tokens.

Not event-sourced: like the requester directory, it is reference data an admin keeps, and a
ticket's history names people by name in its own events. Seeded at start-up from the tokens
that carry an e-mail (the people who already sign in).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from libs.catalog.model import Catalog
from services.intake.domain.agents import AGENT_ROLES, Agent, AgentRefused, check_agent, office_of

_COLUMNS = "id, name, email, office, groups, role, active, province"


def _agent(row: dict[str, Any]) -> Agent:
    return Agent(
        id=row["id"],
        name=row["name"],
        email=row["email"],
        office=row["office"],
        groups=tuple(row["groups"] or ()),
        role=row["role"],
        active=row["active"],
        province=row["province"],
    )


class AgentDirectory:
    def __init__(self, pool: AsyncConnectionPool[Any], schema: str) -> None:
        self.pool = pool
        self.s = f'"{schema}"'

    async def ensure_table(self) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(
                f"CREATE TABLE IF NOT EXISTS {self.s}.agents (id text PRIMARY KEY,"
                " name text NOT NULL, email text NOT NULL UNIQUE, office text NOT NULL,"
                " groups text[] NOT NULL DEFAULT '{}', role text NOT NULL,"
                " active boolean NOT NULL DEFAULT true, province text,"
                " created_at timestamptz NOT NULL DEFAULT now(),"
                " updated_at timestamptz NOT NULL DEFAULT now(),"
                " deactivated_at timestamptz, deactivated_by text)"
            )

    async def put(self, agent: Agent) -> bool:
        """Create or update (and reactivate) by e-mail; True when the person is new."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                f"INSERT INTO {self.s}.agents AS a (id, name, email, office, groups, role,"
                " province) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET"
                " name = EXCLUDED.name, office = EXCLUDED.office, groups = EXCLUDED.groups,"
                " role = EXCLUDED.role, province = EXCLUDED.province, active = true,"
                " deactivated_at = NULL, deactivated_by = NULL, updated_at = now()"
                " RETURNING (xmax = 0)",
                (agent.id, agent.name, agent.email, agent.office, list(agent.groups),
                 agent.role, agent.province),
            )  # fmt: skip
            row = await cur.fetchone()
        return bool(row and row[0])

    async def deactivate(self, agent_id: str, by: str) -> Agent | None:
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(
                f"UPDATE {self.s}.agents SET active = false,"
                " deactivated_at = coalesce(deactivated_at, now()),"
                " deactivated_by = coalesce(deactivated_by, %s), updated_at = now()"
                f" WHERE id = %s RETURNING {_COLUMNS}",
                (by, agent_id),
            )
            row = await cur.fetchone()
        return _agent(row) if row else None

    async def list(
        self, office: str | None = None, group: str | None = None, active: bool | None = None
    ) -> list[Agent]:
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(
                f"SELECT {_COLUMNS} FROM {self.s}.agents WHERE (%(o)s::text IS NULL OR office = %(o)s)"
                " AND (%(g)s::text IS NULL OR %(g)s = ANY(groups) OR office = %(g)s)"
                " AND (%(a)s::boolean IS NULL OR active = %(a)s) ORDER BY office, name",
                {"o": office, "g": group, "a": active},
            )
            rows = await cur.fetchall()
        return [_agent(r) for r in rows]

    async def by_email(self, email: str | None) -> Agent | None:
        if not email:
            return None
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(
                f"SELECT {_COLUMNS} FROM {self.s}.agents WHERE email = %s", (email.lower(),)
            )
            row = await cur.fetchone()
        return _agent(row) if row else None

    async def seed_from_tokens(self, catalog: Catalog) -> int:
        """Everyone signing in with an e-mail and a desk role becomes a person of the
        directory, once (an admin's later edits are kept)."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT name, role, scope FROM {self.s}.api_tokens WHERE revoked_at IS NULL"
                " AND (expires_at IS NULL OR expires_at > now()) AND scope->>'email' IS NOT NULL"
                " AND role = ANY(%s) ORDER BY created_at",
                (list(AGENT_ROLES),),
            )
            rows = await cur.fetchall()
            known = {r[0] for r in await (await conn.execute(
                f"SELECT email FROM {self.s}.agents")).fetchall()}  # fmt: skip
        added = 0
        for name, role, scope in rows:
            office = office_of(
                role, scope.get("province"), scope.get("group"), catalog, date.today()
            )
            group = scope.get("group")
            try:
                agent = check_agent(
                    name, scope["email"], office or "SERVICE_DESK",
                    [group] if group in catalog.groups else [], role, catalog,
                )  # fmt: skip
            except AgentRefused:
                continue  # a token whose scope names no office: an admin adds the person
            if agent.email not in known:
                known.add(agent.email)
                added += await self.put(agent)
        return added
