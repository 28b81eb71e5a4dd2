"""Sign-in sessions of the console, kept server-side so that signing out ends them for good.

The browser holds a random session id (cookie); the table holds its SHA-256 only, the hash
of the bearer token the person pasted (never the token), the form token (CSRF) and an expiry
(`HOTRO_WEB_SESSION_HOURS`, 8). Every request re-reads the token's record, so a token that
expires or is revoked ends its sessions too. A requester who signed in to the portal with a
mailed one-time code has no token: the session names them (`principal`: role requester,
their name and e-mail) instead.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from libs.platform.settings import SettingError
from services.intake.adapters.tokens import TokenRecord, TokenStore, token_hash
from services.intake.domain.access import Principal

DDL = """
CREATE TABLE IF NOT EXISTS {s}.web_sessions (
  session_hash text PRIMARY KEY,
  token_hash text NOT NULL,
  csrf text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS web_sessions_expiry ON {s}.web_sessions (expires_at);
ALTER TABLE {s}.web_sessions ALTER COLUMN token_hash DROP NOT NULL;
ALTER TABLE {s}.web_sessions ADD COLUMN IF NOT EXISTS principal jsonb;
"""


def session_lifetime() -> timedelta:
    raw = os.environ.get("HOTRO_WEB_SESSION_HOURS", "8")
    try:
        hours = float(raw)
    except ValueError:
        hours = 0
    if not 0 < hours <= 24 * 30:
        raise SettingError(f"HOTRO_WEB_SESSION_HOURS: {raw!r} is not a number of hours (0–720]")
    return timedelta(hours=hours)


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


@dataclass(frozen=True)
class WebSession:
    """A signed-in browser: its token's record (staff) or its requester (portal), and the
    form token its forms must carry."""

    record: TokenRecord | None
    csrf: str
    expires_at: datetime
    requester: Principal | None = None

    @property
    def principal(self) -> Principal:
        if self.record is not None:
            return self.record.principal
        assert self.requester is not None
        return self.requester


class SessionStore:
    def __init__(self, pool: AsyncConnectionPool[Any], schema: str) -> None:
        self.pool = pool
        self.s = f'"{schema}"'
        self.tokens = TokenStore(pool, schema)
        self.lifetime = session_lifetime()

    async def ensure_table(self) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(DDL.format(s=self.s))

    async def open(self, token: str) -> tuple[str, str]:
        """A new session for `token` (already checked): its id (the cookie) and form token."""
        return await self._open(token_hash(token), None)

    async def open_for_requester(self, requester: Principal) -> tuple[str, str]:
        """A portal session for a requester whose mailed code was right."""
        who = {"name": requester.name, "email": requester.email}
        return await self._open(None, who)

    async def _open(self, hashed: str | None, who: dict[str, Any] | None) -> tuple[str, str]:
        session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        expires = datetime.now(UTC) + self.lifetime
        async with self.pool.connection() as conn:
            await conn.execute(f"DELETE FROM {self.s}.web_sessions WHERE expires_at < now()")
            await conn.execute(
                f"INSERT INTO {self.s}.web_sessions"
                " (session_hash, token_hash, principal, csrf, expires_at)"
                " VALUES (%s, %s, %s, %s, %s)",
                (_digest(session_id), hashed, Jsonb(who) if who else None, csrf, expires),
            )
        return session_id, csrf

    async def find(self, session_id: str) -> WebSession | None:
        """The live session behind a cookie, with its token's current record."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT token_hash, csrf, expires_at, principal FROM {self.s}.web_sessions"
                " WHERE session_hash = %s AND expires_at > now()",
                (_digest(session_id),),
            )
            found = await cur.fetchone()
        if found is None:
            return None
        if found[0] is None:
            who = found[3] or {}
            requester = Principal(str(who.get("name") or ""), "requester", email=who.get("email"))
            return WebSession(None, found[1], found[2], requester)
        record = await self.tokens.lookup_hash(found[0])
        if record is None:
            return None
        return WebSession(record, found[1], found[2])

    async def close(self, session_id: str) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(
                f"DELETE FROM {self.s}.web_sessions WHERE session_hash = %s",
                (_digest(session_id),),
            )
