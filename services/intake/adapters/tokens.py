"""Bearer tokens, stored as SHA-256 hashes only (SPEC §8)."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from services.intake.domain.access import ROLES, Principal

__all__ = ["ROLES", "Principal", "TokenStore", "token_hash"]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    def __init__(self, pool: AsyncConnectionPool[Any], schema: str) -> None:
        self.pool = pool
        self.s = f'"{schema}"'

    async def ensure_table(self) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(
                f"CREATE TABLE IF NOT EXISTS {self.s}.api_tokens (token_hash text PRIMARY KEY,"
                " name text NOT NULL, role text NOT NULL, scope jsonb NOT NULL DEFAULT '{}',"
                " created_at timestamptz NOT NULL DEFAULT now())"
            )

    async def put(self, token: str, principal: Principal) -> None:
        scope = {"province": principal.province, "group": principal.group, "email": principal.email}
        async with self.pool.connection() as conn:
            await conn.execute(
                f"INSERT INTO {self.s}.api_tokens (token_hash, name, role, scope)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (token_hash) DO UPDATE SET"
                " name = EXCLUDED.name, role = EXCLUDED.role, scope = EXCLUDED.scope",
                (token_hash(token), principal.name, principal.role, Jsonb(scope)),
            )

    async def issue(self, principal: Principal) -> str:
        """A new random token for `principal`; only its hash is kept, so it is shown once."""
        token = secrets.token_urlsafe(32)
        await self.put(token, principal)
        return token

    async def find(self, token: str) -> Principal | None:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT name, role, scope FROM {self.s}.api_tokens WHERE token_hash = %s",
                (token_hash(token),),
            )
            row = await cur.fetchone()
        if row is None:
            return None
        scope = row[2] or {}
        return Principal(
            row[0], row[1], scope.get("province"), scope.get("group"), scope.get("email")
        )
