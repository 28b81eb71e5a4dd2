"""Monitoring's own tables: every check result (raw history, swept after a retention period)
and each target's current state, kept so a restart resumes the confirmation where it was."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from services.monitoring.domain.confirmation import TargetState
from services.monitoring.domain.evaluation import Result

#: Rows deleted per statement by the sweep, so it never holds a long lock.
SWEEP_BATCH = 5000


@dataclass(frozen=True)
class StoredState:
    state: TargetState
    #: The version of the check's `Target` aggregate this row reflects.
    version: int


class ResultStore:
    def __init__(self, pool: AsyncConnectionPool[Any], schema: str) -> None:
        self.pool = pool
        self.schema = schema

    async def ensure_tables(self) -> None:
        s = self.schema
        async with self.pool.connection() as conn:
            await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{s}"')
            await conn.execute(
                f'CREATE TABLE IF NOT EXISTS "{s}".check_results ('
                " id bigserial PRIMARY KEY, check_id text NOT NULL,"
                " checked_at timestamptz NOT NULL, ok boolean NOT NULL, degraded boolean NOT NULL,"
                " duration_ms integer NOT NULL, reason text NOT NULL, state text NOT NULL)"
            )
            await conn.execute(
                f"CREATE INDEX IF NOT EXISTS check_results_by_check"
                f' ON "{s}".check_results (check_id, checked_at DESC)'
            )
            await conn.execute(
                f"CREATE INDEX IF NOT EXISTS check_results_by_time"
                f' ON "{s}".check_results (checked_at)'
            )
            await conn.execute(
                f'CREATE TABLE IF NOT EXISTS "{s}".check_state ('
                " check_id text PRIMARY KEY, state text NOT NULL, since timestamptz,"
                " snapshot jsonb NOT NULL, last_result jsonb, version integer NOT NULL,"
                " updated_at timestamptz NOT NULL)"
            )

    async def load(self) -> dict[str, StoredState]:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                f'SELECT check_id, snapshot, version FROM "{self.schema}".check_state'
            )
            rows = await cur.fetchall()
        return {r[0]: StoredState(TargetState.from_snapshot(r[1]), r[2]) for r in rows}

    async def record(self, check_id: str, result: Result, state: TargetState, version: int) -> None:
        """The result and the state it left, in one transaction."""
        async with self.pool.connection() as conn, conn.transaction():
            await conn.execute(
                f'INSERT INTO "{self.schema}".check_results'
                " (check_id, checked_at, ok, degraded, duration_ms, reason, state)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (
                    check_id,
                    result.checked_at,
                    result.ok,
                    result.degraded,
                    result.duration_ms,
                    result.reason,
                    state.state,
                ),
            )
            await self._put_state(conn, check_id, state, version, result.public())

    async def put_state(self, check_id: str, state: TargetState, version: int) -> None:
        async with self.pool.connection() as conn:
            await self._put_state(conn, check_id, state, version, None)

    async def _put_state(
        self,
        conn: Any,
        check_id: str,
        state: TargetState,
        version: int,
        last_result: dict[str, Any] | None,
    ) -> None:
        await conn.execute(
            f'INSERT INTO "{self.schema}".check_state AS s'
            " (check_id, state, since, snapshot, last_result, version, updated_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, now()) ON CONFLICT (check_id) DO UPDATE SET"
            " state = EXCLUDED.state, since = EXCLUDED.since, snapshot = EXCLUDED.snapshot,"
            " last_result = COALESCE(EXCLUDED.last_result, s.last_result),"
            " version = EXCLUDED.version, updated_at = now()",
            (
                check_id,
                state.state,
                state.since,
                Jsonb(state.snapshot()),
                Jsonb(last_result) if last_result is not None else None,
                version,
            ),
        )

    async def states(self, check_id: str | None = None) -> dict[str, dict[str, Any]]:
        """Every target's (or one's) current state and last result, by check id."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(
                f'SELECT check_id, state, since, last_result FROM "{self.schema}".check_state'
                " WHERE %s::text IS NULL OR check_id = %s",
                (check_id, check_id),
            )
            return {row["check_id"]: row for row in await cur.fetchall()}

    async def recent(self, check_id: str, limit: int) -> list[dict[str, Any]]:
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(
                "SELECT checked_at, ok, degraded, duration_ms, reason, state"
                f' FROM "{self.schema}".check_results WHERE check_id = %s'
                " ORDER BY checked_at DESC, id DESC LIMIT %s",
                (check_id, limit),
            )
            return list(await cur.fetchall())

    async def sweep(self, older_than: datetime) -> int:
        """Delete results checked before `older_than`, a batch at a time; how many went."""
        deleted = 0
        while True:
            async with self.pool.connection() as conn:
                cur = await conn.execute(
                    f'DELETE FROM "{self.schema}".check_results WHERE id IN ('
                    f' SELECT id FROM "{self.schema}".check_results WHERE checked_at < %s'
                    " LIMIT %s)",
                    (older_than, SWEEP_BATCH),
                )
                deleted += cur.rowcount
                if cur.rowcount < SWEEP_BATCH:
                    return deleted
