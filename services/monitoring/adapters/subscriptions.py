"""E-mail subscriptions to the status page (SPEC §5): confirmed by a link, one-click unsubscribe.

- Subscribing stores the address as *pending* and mails a confirmation link; only a
  confirmed address hears of notices. Asking again for a pending address mails a new link, at
  most once per `HOTRO_SUBSCRIBE_RESEND_S` (300 s) per address, so nobody can flood someone
  else's mailbox through the form; the answer is the same whatever the address's state, so the
  form does not tell who is subscribed.
- Tokens are 256-bit random (`secrets.token_urlsafe(32)`), kept only as SHA-256 hashes: a
  confirmation token (valid 7 days, used once) and, in every notice mail, a fresh
  unsubscribe token. Unsubscribing deletes the address and its tokens.
- Every notice mail carries `List-Unsubscribe` (the link) and `List-Unsubscribe-Post:
  List-Unsubscribe=One-Click` (RFC 8058): a mail client's one-click POST unsubscribes, while a
  GET of the link (a scanner following links) only shows a button.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from psycopg import sql
from psycopg_pool import AsyncConnectionPool

CONFIRM, UNSUBSCRIBE = "confirm", "unsubscribe"
CONFIRM_VALID = timedelta(days=7)
#: Deliberately strict: what a treasury mailbox looks like, no quoted or IP-literal forms.
_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def address_problem(address: str) -> str | None:
    """Why `address` is not a usable e-mail address, or None."""
    if len(address) > 254:
        return "at most 254 characters"
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return "an e-mail address looks like name@example.vn"
    if len(local) > 64 or not _LOCAL.match(local):
        return f"{local!r} is not a valid mailbox name"
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return f"{domain!r} is not a valid mail domain"
    if labels[-1].isdigit():
        return f"{domain!r} is not a valid mail domain"
    return None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def public_url() -> str:
    """Where people reach the gateway (links in mails): HOTRO_PUBLIC_URL, else loopback."""
    default = f"http://127.0.0.1:{os.environ.get('HOTRO_INTAKE_PORT', '8000')}"
    return os.environ.get("HOTRO_PUBLIC_URL", default).rstrip("/")


@dataclass(frozen=True)
class Subscriber:
    id: uuid.UUID
    email: str
    applications: tuple[str, ...]


@dataclass(frozen=True)
class Pending:
    """A confirmation to mail now (None from `subscribe` when nothing is to be sent)."""

    subscriber: Subscriber
    token: str


class SubscriptionStore:
    def __init__(
        self, pool: AsyncConnectionPool[Any], schema: str, resend_s: float | None = None
    ) -> None:
        self.pool = pool
        self.subscribers = sql.Identifier(schema, "status_subscribers")
        self.tokens = sql.Identifier(schema, "status_subscription_tokens")
        self.resend = timedelta(
            seconds=resend_s
            if resend_s is not None
            else float(os.environ.get("HOTRO_SUBSCRIBE_RESEND_S", "300"))
        )

    async def ensure_tables(self) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} ("
                    " id uuid PRIMARY KEY, email text NOT NULL UNIQUE,"
                    " applications text[] NOT NULL DEFAULT '{{}}', status text NOT NULL,"
                    " created_at timestamptz NOT NULL, confirmed_at timestamptz,"
                    " confirmation_sent_at timestamptz)"
                ).format(self.subscribers)
            )
            await conn.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} ("
                    " token_hash text PRIMARY KEY,"
                    " subscriber_id uuid NOT NULL REFERENCES {} (id) ON DELETE CASCADE,"
                    " purpose text NOT NULL, created_at timestamptz NOT NULL,"
                    " expires_at timestamptz)"
                ).format(self.tokens, self.subscribers)
            )

    async def subscribe(self, email: str, applications: list[str], now: datetime) -> Pending | None:
        """Record the request; the confirmation to mail, or None (already confirmed, or a
        link was mailed moments ago)."""
        address = email.strip().lower()
        async with self.pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                sql.SQL(
                    "INSERT INTO {} (id, email, applications, status, created_at)"
                    " VALUES (%s, %s, %s, 'pending', %s) ON CONFLICT (email) DO UPDATE"
                    " SET applications = CASE WHEN {}.status = 'pending'"
                    " THEN EXCLUDED.applications ELSE {}.applications END"
                    " RETURNING id, status, confirmation_sent_at"
                ).format(self.subscribers, self.subscribers, self.subscribers),
                (uuid.uuid4(), address, applications, now),
            )
            row = await cur.fetchone()
            assert row is not None
            subscriber_id, status, sent_at = row
            if status != "pending" or (sent_at is not None and now - sent_at < self.resend):
                return None
            await conn.execute(
                sql.SQL("UPDATE {} SET confirmation_sent_at = %s WHERE id = %s").format(
                    self.subscribers
                ),
                (now, subscriber_id),
            )
            token = await self._new_token(conn, subscriber_id, CONFIRM, now, now + CONFIRM_VALID)
        return Pending(Subscriber(subscriber_id, address, tuple(applications)), token)

    async def forget_confirmation(self, pending: Pending) -> None:
        """The link could not be mailed: drop it and let the address ask again at once."""
        async with self.pool.connection() as conn:
            await conn.execute(
                sql.SQL("DELETE FROM {} WHERE token_hash = %s").format(self.tokens),
                (token_hash(pending.token),),
            )
            await conn.execute(
                sql.SQL("UPDATE {} SET confirmation_sent_at = NULL WHERE id = %s").format(
                    self.subscribers
                ),
                (pending.subscriber.id,),
            )

    async def _new_token(
        self,
        conn: Any,
        subscriber_id: uuid.UUID,
        purpose: str,
        now: datetime,
        expires_at: datetime | None = None,
    ) -> str:
        token = secrets.token_urlsafe(32)
        await conn.execute(
            sql.SQL(
                "INSERT INTO {} (token_hash, subscriber_id, purpose, created_at, expires_at)"
                " VALUES (%s, %s, %s, %s, %s)"
            ).format(self.tokens),
            (token_hash(token), subscriber_id, purpose, now, expires_at),
        )
        return token

    async def unsubscribe_token(self, subscriber_id: uuid.UUID, now: datetime) -> str:
        async with self.pool.connection() as conn:
            return await self._new_token(conn, subscriber_id, UNSUBSCRIBE, now)

    async def _redeem(self, token: str, purpose: str, now: datetime) -> uuid.UUID | None:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                sql.SQL(
                    "SELECT subscriber_id FROM {} WHERE token_hash = %s AND purpose = %s"
                    " AND (expires_at IS NULL OR expires_at > %s)"
                ).format(self.tokens),
                (token_hash(token), purpose, now),
            )
            row = await cur.fetchone()
        return row[0] if row else None

    async def confirm(self, token: str, now: datetime) -> str | None:
        """The confirmed address, or None for an unknown, used or expired link."""
        subscriber_id = await self._redeem(token, CONFIRM, now)
        if subscriber_id is None:
            return None
        async with self.pool.connection() as conn, conn.transaction():
            await conn.execute(
                sql.SQL("DELETE FROM {} WHERE subscriber_id = %s AND purpose = %s").format(
                    self.tokens
                ),
                (subscriber_id, CONFIRM),
            )
            cur = await conn.execute(
                sql.SQL(
                    "UPDATE {} SET status = 'confirmed', confirmed_at = %s WHERE id = %s"
                    " RETURNING email"
                ).format(self.subscribers),
                (now, subscriber_id),
            )
            row = await cur.fetchone()
        return str(row[0]) if row else None

    async def unsubscribe(self, token: str, now: datetime) -> str | None:
        """Delete the address behind an unsubscribe link; the address, or None if unknown."""
        subscriber_id = await self._redeem(token, UNSUBSCRIBE, now)
        if subscriber_id is None:
            return None
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                sql.SQL("DELETE FROM {} WHERE id = %s RETURNING email").format(self.subscribers),
                (subscriber_id,),
            )
            row = await cur.fetchone()
        return str(row[0]) if row else None

    async def known_unsubscribe(self, token: str, now: datetime) -> bool:
        return await self._redeem(token, UNSUBSCRIBE, now) is not None

    async def confirmed_for(self, applications: list[str]) -> list[Subscriber]:
        """Confirmed subscribers who follow any of `applications` (or every system)."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                sql.SQL(
                    "SELECT id, email, applications FROM {} WHERE status = 'confirmed'"
                    " AND (applications = '{{}}' OR applications && %s::text[]) ORDER BY email"
                ).format(self.subscribers),
                (applications,),
            )
            return [Subscriber(r[0], r[1], tuple(r[2])) for r in await cur.fetchall()]
