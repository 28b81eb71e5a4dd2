"""Bearer tokens, stored as SHA-256 hashes only (SPEC §8), with their expiry, last use and
revocation (who and when).

Last use is written at most once a minute per token (`TOUCH_EVERY_S`), inside the lookup's own
statement: a busy integration token costs one small UPDATE a minute, not one per request.
Lifetimes are settings: `HOTRO_TOKEN_DEFAULT_DAYS` (90) and `HOTRO_TOKEN_MAX_DAYS` (365).
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from libs.platform.settings import SettingError
from services.intake.domain.access import ROLES, Principal
from services.intake.domain.tokens import ExpiryPolicy, TokenRecord, expiry_for

__all__ = ["ROLES", "Principal", "TokenRecord", "TokenStore", "expiry_policy", "token_hash"]

log = logging.getLogger(__name__)

TOUCH_EVERY_S = 60
BOOTSTRAP_NAME = "bootstrap-admin"
_COLUMNS = (
    "id::text, name, role, scope, created_at, created_by, expires_at, last_used_at,"
    " revoked_at, revoked_by, bootstrap"
)
_ADDED_COLUMNS = (
    "id uuid NOT NULL DEFAULT gen_random_uuid()",
    "created_by text",
    "expires_at timestamptz",
    "last_used_at timestamptz",
    "revoked_at timestamptz",
    "revoked_by text",
    "bootstrap boolean NOT NULL DEFAULT false",
)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def expiry_policy() -> ExpiryPolicy:
    names = ("HOTRO_TOKEN_DEFAULT_DAYS", "HOTRO_TOKEN_MAX_DAYS")
    try:
        policy = ExpiryPolicy(
            int(os.environ.get(names[0], "90")), int(os.environ.get(names[1], "365"))
        )
        policy.check()
    except ValueError as error:
        raise SettingError(f"{' / '.join(names)}: {error}") from error
    return policy


def _record(row: Any) -> TokenRecord:
    scope = row[3] or {}
    principal = Principal(
        row[1], row[2], scope.get("province"), scope.get("group"), scope.get("email")
    )
    return TokenRecord(row[0], principal, *row[4:11])


class TokenStore:
    def __init__(
        self, pool: AsyncConnectionPool[Any], schema: str, expiry: ExpiryPolicy | None = None
    ) -> None:
        self.pool = pool
        self.s = f'"{schema}"'
        self.expiry = expiry or expiry_policy()

    async def ensure_table(self) -> None:
        """Create or upgrade the table. Tokens issued before expiry existed get the default
        lifetime from the upgrade on (never-expiring tokens were the bug this fixes)."""
        async with self.pool.connection() as conn, conn.transaction():
            await conn.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))", (self.s + ".api_tokens",)
            )
            await conn.execute(
                f"CREATE TABLE IF NOT EXISTS {self.s}.api_tokens (token_hash text PRIMARY KEY,"
                " name text NOT NULL, role text NOT NULL, scope jsonb NOT NULL DEFAULT '{}',"
                " created_at timestamptz NOT NULL DEFAULT now())"
            )
            cur = await conn.execute(
                "SELECT 1 FROM information_schema.columns WHERE table_schema = %s"
                " AND table_name = 'api_tokens' AND column_name = 'expires_at'",
                (self.s.strip('"'),),
            )
            upgrading = await cur.fetchone() is None
            for column in _ADDED_COLUMNS:
                await conn.execute(
                    f"ALTER TABLE {self.s}.api_tokens ADD COLUMN IF NOT EXISTS {column}"
                )
            await conn.execute(
                f"CREATE UNIQUE INDEX IF NOT EXISTS api_tokens_id ON {self.s}.api_tokens (id)"
            )
            if upgrading:
                await conn.execute(
                    f"UPDATE {self.s}.api_tokens SET bootstrap = (name = %s AND role = 'admin'),"
                    " expires_at = CASE WHEN name = %s AND role = 'admin' THEN NULL"
                    " ELSE now() + make_interval(days => %s) END",
                    (BOOTSTRAP_NAME, BOOTSTRAP_NAME, self.expiry.default_days),
                )

    async def put(
        self,
        token: str,
        principal: Principal,
        *,
        expires_at: datetime | None = None,
        created_by: str | None = None,
    ) -> TokenRecord:
        """Store a token of a known value (issued here, or a test's); the policy's default
        lifetime unless `expires_at` says otherwise. Re-putting never lifts a revocation."""
        expires = expires_at or expiry_for(self.expiry, datetime.now(UTC))
        scope = {"province": principal.province, "group": principal.group, "email": principal.email}
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                f"INSERT INTO {self.s}.api_tokens"
                " (token_hash, name, role, scope, expires_at, created_by)"
                " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (token_hash) DO UPDATE SET"
                " name = EXCLUDED.name, role = EXCLUDED.role, scope = EXCLUDED.scope,"
                f" expires_at = EXCLUDED.expires_at RETURNING {_COLUMNS}",
                (
                    token_hash(token),
                    principal.name,
                    principal.role,
                    Jsonb(scope),
                    expires,
                    created_by,
                ),
            )
            row = await cur.fetchone()
        return _record(row)

    async def create(
        self,
        principal: Principal,
        *,
        expires_in_days: int | None = None,
        expires_at: datetime | None = None,
        created_by: str | None = None,
    ) -> tuple[str, TokenRecord]:
        """A new random token; only its hash is kept, so the returned secret is the only copy.
        Raises `ExpiryRefused` for an expiry the policy does not allow."""
        expires = expiry_for(self.expiry, datetime.now(UTC), in_days=expires_in_days, at=expires_at)
        token = secrets.token_urlsafe(32)
        record = await self.put(token, principal, expires_at=expires, created_by=created_by)
        log.info(
            "token issued",
            extra={"token_id": record.id, "role": principal.role, "by": created_by},
        )
        return token, record

    async def issue(self, principal: Principal) -> str:
        """A new token of the default lifetime (the CLI's); shown once."""
        token, _ = await self.create(principal, created_by="cli")
        return token

    async def keep_bootstrap(self, token: str) -> None:
        """The admin token of `HOTRO_ADMIN_TOKEN`: never expires; a changed setting revokes
        the previous one. A revoked bootstrap token stays revoked: set a new value."""
        async with self.pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                f"INSERT INTO {self.s}.api_tokens"
                " (token_hash, name, role, scope, bootstrap, created_by)"
                " VALUES (%s, %s, 'admin', '{}', true, 'HOTRO_ADMIN_TOKEN')"
                " ON CONFLICT (token_hash) DO UPDATE SET name = EXCLUDED.name, role = 'admin',"
                " scope = '{}', bootstrap = true, expires_at = NULL RETURNING revoked_at",
                (token_hash(token), BOOTSTRAP_NAME),
            )
            row = await cur.fetchone()
            await conn.execute(
                f"UPDATE {self.s}.api_tokens SET revoked_at = now(),"
                " revoked_by = 'HOTRO_ADMIN_TOKEN changed'"
                " WHERE bootstrap AND token_hash <> %s AND revoked_at IS NULL",
                (token_hash(token),),
            )
        if row is not None and row[0] is not None:
            log.warning("HOTRO_ADMIN_TOKEN names a revoked token: set a new value to get an admin")

    async def lookup(self, token: str) -> TokenRecord | None:
        """The token's record, noting its use when the last note is older than a minute."""
        return await self.lookup_hash(token_hash(token))

    async def lookup_hash(self, digest: str) -> TokenRecord | None:
        """The same by the stored hash (a web session keeps the hash, never the token)."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                f"WITH found AS (SELECT {_COLUMNS} FROM {self.s}.api_tokens WHERE token_hash = %s),"
                f" touched AS (UPDATE {self.s}.api_tokens t SET last_used_at = now()"
                " WHERE t.token_hash = %s AND t.revoked_at IS NULL"
                " AND (t.expires_at IS NULL OR t.expires_at > now())"
                " AND (t.last_used_at IS NULL OR t.last_used_at < now() - make_interval(secs => %s))"
                " RETURNING t.last_used_at)"
                " SELECT found.*, (SELECT last_used_at FROM touched) FROM found",
                (digest, digest, TOUCH_EVERY_S),
            )
            row = await cur.fetchone()
        if row is None:
            return None
        record = _record(row)
        return replace(record, last_used_at=row[11]) if row[11] is not None else record

    async def list(
        self, *, role: str | None, status: str | None, limit: int, offset: int
    ) -> tuple[list[TokenRecord], int]:
        """Newest first; the secret is not kept, so it cannot be listed."""
        where = (
            " WHERE (%(role)s::text IS NULL OR role = %(role)s) AND (%(status)s::text IS NULL"
            " OR %(status)s = CASE WHEN revoked_at IS NOT NULL THEN 'revoked'"
            " WHEN expires_at <= now() THEN 'expired' ELSE 'active' END)"
        )
        params = {"role": role, "status": status, "limit": limit, "offset": offset}
        async with self.pool.connection() as conn:
            cur = await conn.execute(f"SELECT count(*) FROM {self.s}.api_tokens{where}", params)
            total = (await cur.fetchone() or (0,))[0]
            cur = await conn.execute(
                f"SELECT {_COLUMNS} FROM {self.s}.api_tokens{where}"
                " ORDER BY created_at DESC, id LIMIT %(limit)s OFFSET %(offset)s",
                params,
            )
            rows = await cur.fetchall()
        return [_record(r) for r in rows], int(total)

    async def revoke(self, token_id: str, by: str) -> TokenRecord | None:
        """Revoke once: a second call keeps the first revocation's time and author."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                f"UPDATE {self.s}.api_tokens SET revoked_at = coalesce(revoked_at, now()),"
                " revoked_by = CASE WHEN revoked_at IS NULL THEN %s ELSE revoked_by END"
                f" WHERE id = %s RETURNING {_COLUMNS}",
                (by, token_id),
            )
            row = await cur.fetchone()
        if row is not None:
            log.info("token revoked", extra={"token_id": token_id, "by": by})
        return _record(row) if row is not None else None
