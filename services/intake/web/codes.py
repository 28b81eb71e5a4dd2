"""One-time sign-in codes of the requester portal, mailed to a directory address.

A code is 6 digits, lives `HOTRO_PORTAL_CODE_MINUTES` (10), allows `MAX_ATTEMPTS` wrong
tries and is stored only as a salted SHA-256 (a leaked table gives nothing to type). An
address gets at most `MAX_SENDS` codes an hour, so the form cannot be used to flood a
mailbox; asking again replaces the previous code. The rules (`may_send`, `verdict`) are pure;
`CodeStore` keeps one row per address in table `web_codes`.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from psycopg_pool import AsyncConnectionPool

from libs.platform.settings import SettingError

MAX_ATTEMPTS = 5
MAX_SENDS = 5
SEND_WINDOW = timedelta(hours=1)

DDL = """
CREATE TABLE IF NOT EXISTS {s}.web_codes (
  email text PRIMARY KEY,
  salt text NOT NULL,
  code_hash text NOT NULL,
  expires_at timestamptz NOT NULL,
  attempts int NOT NULL DEFAULT 0,
  window_start timestamptz NOT NULL,
  sends int NOT NULL DEFAULT 1
);
"""

Verdict = Literal["ok", "wrong", "expired", "exhausted", "none"]


def code_lifetime() -> timedelta:
    raw = os.environ.get("HOTRO_PORTAL_CODE_MINUTES", "10")
    try:
        minutes = float(raw)
    except ValueError:
        minutes = 0
    if not 0 < minutes <= 60:
        raise SettingError(f"HOTRO_PORTAL_CODE_MINUTES: {raw!r} is not a number of minutes (0–60]")
    return timedelta(minutes=minutes)


@dataclass(frozen=True)
class CodeRow:
    salt: str
    code_hash: str
    expires_at: datetime
    attempts: int
    window_start: datetime
    sends: int


def new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def hash_code(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


def may_send(row: CodeRow | None, now: datetime) -> bool:
    """At most MAX_SENDS codes per address within SEND_WINDOW."""
    return row is None or now - row.window_start >= SEND_WINDOW or row.sends < MAX_SENDS


def verdict(row: CodeRow | None, code: str, now: datetime) -> Verdict:
    if row is None:
        return "none"
    if row.attempts >= MAX_ATTEMPTS:
        return "exhausted"
    if now >= row.expires_at:
        return "expired"
    given = hash_code(row.salt, code.strip())
    return "ok" if hmac.compare_digest(given, row.code_hash) else "wrong"


class CodeStore:
    def __init__(self, pool: AsyncConnectionPool[Any], schema: str) -> None:
        self.pool = pool
        self.s = f'"{schema}"'
        self.lifetime = code_lifetime()

    async def ensure_table(self) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(DDL.format(s=self.s))

    async def row(self, email: str) -> CodeRow | None:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT salt, code_hash, expires_at, attempts, window_start, sends"
                f" FROM {self.s}.web_codes WHERE email = %s",
                (email,),
            )
            found = await cur.fetchone()
        return CodeRow(*found) if found else None

    async def issue(self, email: str, now: datetime) -> str | None:
        """A fresh code for `email` (replacing the last one), or None past the send limit."""
        previous = await self.row(email)
        if not may_send(previous, now):
            return None
        fresh_window = previous is None or now - previous.window_start >= SEND_WINDOW
        window = now if fresh_window or previous is None else previous.window_start
        sends = 1 if fresh_window or previous is None else previous.sends + 1
        code, salt = new_code(), secrets.token_hex(16)
        async with self.pool.connection() as conn:
            await conn.execute(
                f"INSERT INTO {self.s}.web_codes"
                " (email, salt, code_hash, expires_at, attempts, window_start, sends)"
                " VALUES (%s, %s, %s, %s, 0, %s, %s) ON CONFLICT (email) DO UPDATE SET"
                " salt = excluded.salt, code_hash = excluded.code_hash,"
                " expires_at = excluded.expires_at, attempts = 0,"
                " window_start = excluded.window_start, sends = excluded.sends",
                (email, salt, hash_code(salt, code), now + self.lifetime, window, sends),
            )
        return code

    async def check(self, email: str, code: str, now: datetime) -> Verdict:
        """Counts the try; a right code is used up (it cannot sign in twice)."""
        found = await self.row(email)
        answer = verdict(found, code, now)
        async with self.pool.connection() as conn:
            if answer == "ok":
                # Used up in the same statement that checks it is unused: two tabs racing
                # with the right code get one session.
                cur = await conn.execute(
                    f"UPDATE {self.s}.web_codes SET attempts = %s"
                    " WHERE email = %s AND attempts < %s RETURNING 1",
                    (MAX_ATTEMPTS, email, MAX_ATTEMPTS),
                )
                if await cur.fetchone() is None:
                    return "exhausted"
            elif answer in ("wrong", "expired"):
                await conn.execute(
                    f"UPDATE {self.s}.web_codes SET attempts = attempts + 1 WHERE email = %s",
                    (email,),
                )
        return answer
