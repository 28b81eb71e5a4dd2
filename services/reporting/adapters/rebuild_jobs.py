"""`reporting.rebuilds`: every rebuild asked for, its state and progress (internal table).

One rebuild per projection at a time: a partial unique index on the projections of jobs not
finished makes a second one a conflict (409), whichever process asks. The process running a
job holds a PostgreSQL advisory lock for its projection; a job left `running` by a process that
died holds no lock, so it is taken up again (from the start: a rebuild is restartable because
it only ever writes beside the live tables until the swap).
"""

from __future__ import annotations

import uuid
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from psycopg import AsyncConnection, errors
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from services.reporting.adapters.schema_docs import Relation

ACTIVE = ("queued", "running", "swapping")

TABLE = Relation(
    "rebuilds",
    "TABLE",
    ("Các lần dựng lại bảng từ nhật ký sự kiện (nội bộ)", "Projection rebuilds (internal)"),
    {
        "id": ("Mã lần dựng lại", "Rebuild id"),
        "projection": ("Bảng được dựng lại", "Projection rebuilt"),
        "state": ("queued, running, swapping, done, failed", "State"),
        "events_done": ("Số sự kiện đã đọc", "Events read"),
        "events_total": ("Số sự kiện trong nhật ký khi bắt đầu", "Events in the log at the start"),
        "started_at": ("Bắt đầu", "Started"),
        "updated_at": ("Cập nhật lần cuối", "Last progress"),
        "finished_at": ("Kết thúc", "Finished"),
        "error": ("Lỗi (nếu thất bại)", "Error, when failed"),
        "requested_by": ("Người yêu cầu", "Who asked"),
    },
)

DDL = """
CREATE TABLE IF NOT EXISTS {s}.rebuilds (
  id uuid PRIMARY KEY,
  projection text NOT NULL,
  state text NOT NULL,
  events_done bigint NOT NULL DEFAULT 0,
  events_total bigint NOT NULL DEFAULT 0,
  started_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  finished_at timestamptz,
  error text,
  requested_by text NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX IF NOT EXISTS rebuilds_one_per_projection ON {s}.rebuilds (projection)
  WHERE state IN ('queued', 'running', 'swapping');
"""


class RebuildRunning(Exception):
    """Another rebuild of the same projection is under way."""

    def __init__(self, job_id: str) -> None:
        super().__init__(job_id)
        self.job_id = job_id


@dataclass(frozen=True)
class Job:
    id: str
    projection: str
    state: str
    events_done: int
    events_total: int
    started_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    error: str | None


def lock_key(projection: str) -> int:
    """The advisory lock the process running a rebuild of `projection` holds."""
    return 7_330_100 + zlib.crc32(projection.encode()) % 10_000


async def lock_held_elsewhere(conn: AsyncConnection[Any], projection: str) -> bool:
    cur = await conn.execute("SELECT pg_try_advisory_lock(%s)", (lock_key(projection),))
    row = await cur.fetchone()
    if row and row[0]:
        await conn.execute("SELECT pg_advisory_unlock(%s)", (lock_key(projection),))
        return False
    return True


class RebuildJobs:
    def __init__(self, pool: AsyncConnectionPool[Any], schema: str) -> None:
        self.pool = pool
        self.s = f'"{schema}"'

    async def ensure_table(self) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(DDL.format(s=self.s))

    async def create(self, projection: str, requested_by: str) -> str:
        """A new queued job, or RebuildRunning naming the one under way. A job whose process
        died (no lock held) is marked failed first, so it never blocks a new one."""
        job_id = str(uuid.uuid4())
        now = datetime.now(UTC)
        async with self.pool.connection() as conn, conn.transaction():
            active = await self._active(conn, projection)
            if active is not None:
                if await lock_held_elsewhere(conn, projection):
                    raise RebuildRunning(active)
                await self._set(conn, active, state="failed", error="interrupted", finished=now)
            try:
                await conn.execute(
                    f"INSERT INTO {self.s}.rebuilds (id, projection, state, started_at,"
                    " updated_at, requested_by) VALUES (%s, %s, 'queued', %s, %s, %s)",
                    (job_id, projection, now, now, requested_by),
                )
            except errors.UniqueViolation:
                raise RebuildRunning(await self._active(conn, projection) or "") from None
        return job_id

    async def _active(self, conn: AsyncConnection[Any], projection: str) -> str | None:
        cur = await conn.execute(
            f"SELECT id::text FROM {self.s}.rebuilds WHERE projection = %s AND state = ANY(%s)",
            (projection, list(ACTIVE)),
        )
        row = await cur.fetchone()
        return row[0] if row else None

    async def get(self, job_id: str) -> Job | None:
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(
                f"SELECT id::text AS id, projection, state, events_done, events_total,"
                f" started_at, updated_at, finished_at, error FROM {self.s}.rebuilds"
                " WHERE id = %s",
                (job_id,),
            )
            row = await cur.fetchone()
        return Job(**row) if row else None

    async def orphans(self) -> list[Job]:
        """Jobs left active by a process that stopped: to be run again."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(
                f"SELECT id::text AS id, projection, state, events_done, events_total,"
                f" started_at, updated_at, finished_at, error FROM {self.s}.rebuilds"
                " WHERE state = ANY(%s) ORDER BY started_at",
                (list(ACTIVE),),
            )
            jobs = [Job(**row) for row in await cur.fetchall()]
            return [j for j in jobs if not await lock_held_elsewhere(conn, j.projection)]

    async def update(self, job_id: str, **fields: Any) -> None:
        async with self.pool.connection() as conn:
            await self._set(conn, job_id, **fields)

    async def _set(
        self,
        conn: AsyncConnection[Any],
        job_id: str,
        *,
        state: str | None = None,
        events_done: int | None = None,
        events_total: int | None = None,
        error: str | None = None,
        finished: datetime | None = None,
    ) -> None:
        await conn.execute(
            f"UPDATE {self.s}.rebuilds SET state = COALESCE(%s, state),"
            " events_done = COALESCE(%s, events_done), events_total = COALESCE(%s, events_total),"
            " error = COALESCE(%s, error), finished_at = COALESCE(%s, finished_at),"
            " updated_at = now() WHERE id = %s",
            (state, events_done, events_total, error, finished, job_id),
        )
