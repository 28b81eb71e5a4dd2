"""Bytes kept beside the events: attachments and raw inbound messages, by SHA-256.

Events carry the metadata and the hash; the bytes live here, in intake's schema (`bytea`), so
a backup of the database is a backup of everything and no shared folder is needed between
gateway replicas. Content addressing makes a write idempotent: a retried request or a
re-delivered mail stores nothing twice. A blob written by a request that then failed is only
an orphan, never a half-written ticket.
"""

from __future__ import annotations

import hashlib
from typing import Any

from psycopg_pool import AsyncConnectionPool


class BlobStore:
    def __init__(self, pool: AsyncConnectionPool[Any], schema: str) -> None:
        self.pool = pool
        self.s = f'"{schema}"'

    async def ensure_table(self) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(
                f"CREATE TABLE IF NOT EXISTS {self.s}.blobs (sha256 text PRIMARY KEY,"
                " size bigint NOT NULL, data bytea NOT NULL,"
                " stored_at timestamptz NOT NULL DEFAULT now())"
            )

    async def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        await self.put_many({digest: data})
        return digest

    async def put_many(self, blobs: dict[str, bytes]) -> None:
        if not blobs:
            return
        async with self.pool.connection() as conn, conn.cursor() as cur:
            await cur.executemany(
                f"INSERT INTO {self.s}.blobs (sha256, size, data) VALUES (%s, %s, %s)"
                " ON CONFLICT (sha256) DO NOTHING",
                [(digest, len(data), data) for digest, data in blobs.items()],
            )

    async def get(self, digest: str) -> bytes | None:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT data FROM {self.s}.blobs WHERE sha256 = %s", (digest,)
            )
            row = await cur.fetchone()
        return bytes(row[0]) if row else None
