"""Rebuild one projection from the log, beside the live one, then swap it in (issue 10).

1. A shadow schema `<schema>_rebuild_<projection>` gets the projection's empty tables.
2. The log is read from the beginning (adapters/log_reader.py) and applied to the shadow
   tables by the same handlers, with their own position tracking — but never past what the
   live consumer has applied (its positions in `projection_tracking`), so that the shadow
   can stand in for the live tables at the end without missing or doubling an event.
3. Once the shadow has caught up, one transaction locks the live tables (the live consumer
   waits), catches up the last few events, drops the live tables, moves the shadow ones in,
   recreates the v1 views (same shape), their comments and the grants. Analysts see the old
   tables or the new ones, never a half-built one.
A rebuild writes nothing live before that transaction, so one that fails or whose process dies
leaves the live tables as they were and can simply be started again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiokafka import TopicPartition
from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool

from libs.events.consumer import contiguous_run
from libs.events.envelope import Envelope
from libs.events.sinks import ProjectionSink
from services.reporting.adapters import projections, views_v1
from services.reporting.adapters.log_reader import Chunk, LogReader
from services.reporting.adapters.rebuild_jobs import RebuildJobs, RebuildRunning, lock_key
from services.reporting.adapters.schema_docs import comment_sql
from services.reporting.domain.rebuild_progress import Progress

log = logging.getLogger(__name__)

#: Rewinds of one partition without progress before the log is judged incomplete.
MAX_FRUITLESS_REWINDS = 40
#: How long the swap may hold the live tables while it applies the last events.
SWAP_CATCH_UP_S = 60.0
#: How long the log may give nothing the shadow still lacks before the rebuild gives up.
STALL_S = 180.0


class LogIncomplete(RuntimeError):
    """The topics no longer hold every event the live tables were built from."""


class Rebuild:
    def __init__(
        self,
        *,
        pool: AsyncConnectionPool[Any],
        database_url: str,
        schema: str,
        bootstrap: str,
        topics: list[str],
        projection: str,
        job_id: str,
        jobs: RebuildJobs,
        on_progress: Callable[[Progress], None] | None = None,
        stall_s: float = STALL_S,
    ) -> None:
        self.stall_s = stall_s
        self.module = projections.PROJECTIONS[projection]
        self.pool = pool
        self.database_url = database_url
        self.schema = schema
        self.s = f'"{schema}"'
        self.shadow = f"{schema}_rebuild_{projection}"
        self.projection = projection
        self.job_id = job_id
        self.jobs = jobs
        self.on_progress = on_progress
        self.reader = LogReader(bootstrap, topics)
        self.sink = ProjectionSink(
            name="rebuild",
            pool=pool,
            schema=self.shadow,
            project=projections.projector(self.shadow, (self.module,)),
        )
        self.last: dict[str, int] = {}
        self.parked: dict[TopicPartition, int] = {}
        self.fruitless: dict[TopicPartition, int] = {}
        self.done = 0
        self.total = 0
        self.skipped = 0
        self.started = datetime.now(UTC)
        self._reported = 0.0

    async def run(self) -> None:
        lock = await AsyncConnection.connect(self.database_url, autocommit=True)
        try:
            cur = await lock.execute(
                "SELECT pg_try_advisory_lock(%s)", (lock_key(self.projection),)
            )
            row = await cur.fetchone()
            if not row or not row[0]:
                raise RebuildRunning(self.job_id)
            await self.jobs.update(self.job_id, state="running", events_done=0)
            try:
                await self._rebuild()
            except Exception as error:
                log.exception("rebuild failed", extra={"projection": self.projection})
                await self.jobs.update(
                    self.job_id, state="failed", error=repr(error)[:2000], finished=_now()
                )
                raise
            await self.jobs.update(
                self.job_id, state="done", events_done=self.done, finished=_now()
            )
            self._progress(force=True, finished=True)
        finally:
            await lock.close()

    async def _rebuild(self) -> None:
        await self._prepare_shadow()
        try:
            self.total = await self.reader.open()
            found = {tp.topic for tp in self.reader.partitions}
            missing = [t for t in self.reader.topics if t not in found]
            if missing:  # never swap in tables built from part of the log
                raise LogIncomplete(f"topics not found on the broker: {', '.join(missing)}")
            await self.jobs.update(self.job_id, events_total=self.total)
            await self._chase(frozen=None)
            await self.jobs.update(self.job_id, state="swapping", events_done=self.done)
            await self._swap()
        finally:
            await self.reader.close()
            async with self.pool.connection() as conn:
                await conn.execute(f'DROP SCHEMA IF EXISTS "{self.shadow}" CASCADE')

    async def _prepare_shadow(self) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{self.shadow}" CASCADE')
        await self.sink.ensure_tables()
        async with self.pool.connection() as conn:
            await conn.execute(self.module.DDL.format(s=f'"{self.shadow}"'))

    async def _live_positions(self, conn: AsyncConnection[Any] | None = None) -> dict[str, int]:
        query = f"SELECT stream, position FROM {self.s}.projection_tracking WHERE consumer = %s"
        if conn is None:
            async with self.pool.connection() as own:
                cur = await own.execute(query, (projections.NAME,))
                rows = await cur.fetchall()
        else:
            cur = await conn.execute(query, (projections.NAME,))
            rows = await cur.fetchall()
        mine = {f"{tp.topic}:{tp.partition}" for tp in self.reader.partitions}
        return {stream: int(position) for stream, position in rows if stream in mine}

    def _caught_up(self, caps: dict[str, int]) -> bool:
        return all(self.last.get(stream, 0) >= cap for stream, cap in caps.items())

    async def _chase(self, frozen: dict[str, int] | None) -> None:
        """Read and apply until the shadow holds what the live tables hold (`frozen`: the live
        positions under the swap's locks; None: follow the live consumer until caught up)."""
        deadline = time.monotonic() + SWAP_CATCH_UP_S if frozen is not None else None
        stalled_since, seen = time.monotonic(), dict(self.last)
        while True:
            caps = frozen if frozen is not None else await self._live_positions()
            self._resume_parked(caps)
            if self._caught_up(caps):
                return
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError("the last events did not arrive while the tables were held")
            if self.last != seen:
                stalled_since, seen = time.monotonic(), dict(self.last)
            elif time.monotonic() - stalled_since > self.stall_s:
                behind = {k: v for k, v in caps.items() if self.last.get(k, 0) < v}
                raise LogIncomplete(
                    f"the topics hold nothing more of {', '.join(sorted(behind))} although the"
                    " live tables were built from more: topics must keep every event for a"
                    " rebuild (retention.ms: -1, deploy/k8s/README.md)"
                )
            try:
                chunks = await self.reader.read()
            except Exception:  # a broker restart: read on once it is back
                log.warning("rebuild: read failed; retrying", exc_info=True)
                await asyncio.sleep(0.5)
                continue
            for chunk in chunks:
                await self._take(chunk, caps)
            self._progress()

    def _resume_parked(self, caps: dict[str, int]) -> None:
        for tp, cap in list(self.parked.items()):
            if caps.get(f"{tp.topic}:{tp.partition}", 0) > cap:
                self.reader.resume(tp)
                del self.parked[tp]

    async def _take(self, chunk: Chunk, caps: dict[str, int]) -> None:
        self.done += chunk.records
        cap, last = caps.get(chunk.stream, 0), self.last.get(chunk.stream, 0)
        kept: list[Envelope] = []
        for envelope, offset in zip(chunk.envelopes, chunk.offsets, strict=True):
            if envelope.position > cap and envelope.position > last:
                # The live consumer has not applied this yet: wait for it, here.
                self.reader.seek(chunk.tp, offset)
                self.reader.pause(chunk.tp)
                self.parked[chunk.tp] = cap
                self.done -= chunk.records - len(kept)
                break
            kept.append(envelope)
        run, hole = contiguous_run(kept, last)
        if run:
            await self.sink.apply(chunk.stream, run, self._dead_letter)
            self.last[chunk.stream] = run[-1].position
            self.fruitless.pop(chunk.tp, None)
        if hole and (chunk.at_end or chunk.tp in self.parked):
            await self._rewind(chunk.tp)

    async def _rewind(self, tp: TopicPartition) -> None:
        """A hole: the broker lost data and the relay is republishing, or retention deleted
        the oldest events — then no rewind ever fills it, and the rebuild says why."""
        self.fruitless[tp] = self.fruitless.get(tp, 0) + 1
        if self.fruitless[tp] > MAX_FRUITLESS_REWINDS:
            raise LogIncomplete(
                f"{tp.topic} partition {tp.partition} no longer holds every event (after"
                f" position {self.last.get(f'{tp.topic}:{tp.partition}', 0)}): topics must keep"
                " every event for a rebuild (retention.ms: -1, deploy/k8s/README.md)"
            )
        self.parked.pop(tp, None)
        self.reader.resume(tp)
        await self.reader.rewind(tp)

    async def _dead_letter(self, envelope: Envelope, error: BaseException) -> None:
        # The live consumer dead-lettered the same event already; count it, send nothing twice.
        self.skipped += 1
        log.error(
            "rebuild: event not applied",
            extra={"event_id": envelope.id, "ticket_id": envelope.subject, "error": repr(error)},
        )

    async def _swap(self) -> None:
        tables = [t.name for t in self.module.TABLES]
        async with self.pool.connection() as conn, conn.transaction():
            await conn.execute("SET LOCAL lock_timeout = '30s'")
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (projections.SCHEMA_LOCK,))
            for name in tables:  # the live consumer locks tables first, then tracking: so do we
                await conn.execute(f'LOCK TABLE {self.s}."{name}" IN ACCESS EXCLUSIVE MODE')
            await conn.execute(f"LOCK TABLE {self.s}.projection_tracking IN SHARE MODE")
            await self._chase(frozen=await self._live_positions(conn))
            # DROP … CASCADE takes the v1 views with it: their grants are given back too.
            views = [v.name for v in views_v1.VIEWS]
            grants = await _select_grantees(conn, self.schema, tables + views)
            for name in tables:
                await conn.execute(f'DROP TABLE {self.s}."{name}" CASCADE')
                await conn.execute(f'ALTER TABLE "{self.shadow}"."{name}" SET SCHEMA {self.s}')
            await conn.execute(views_v1.DDL.format(s=self.s))
            for relation in projections.RELATIONS:
                await conn.execute(comment_sql(self.s, relation))
            for name, role in grants:
                await conn.execute(
                    sql.SQL("GRANT SELECT ON {}.{} TO {}").format(
                        sql.Identifier(self.schema), sql.Identifier(name), sql.Identifier(role)
                    )
                )
        log.info(
            "rebuild swapped in",
            extra={"projection": self.projection, "events": self.done, "skipped": self.skipped},
        )

    def _progress(self, force: bool = False, finished: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._reported < 0.5:
            return
        self._reported = now
        progress = Progress(self.done, self.total, self.started, _now(), finished)
        if self.on_progress is not None:
            self.on_progress(progress)
        task = asyncio.ensure_future(
            self.jobs.update(self.job_id, events_done=self.done, events_total=progress.total)
        )
        task.add_done_callback(lambda t: t.exception())


async def _select_grantees(
    conn: AsyncConnection[Any], schema: str, tables: list[str]
) -> list[tuple[str, str]]:
    """Who may read these relations now (the analyst role), to read them again after."""
    cur = await conn.execute(
        "SELECT table_name, grantee FROM information_schema.role_table_grants"
        " WHERE table_schema = %s AND table_name = ANY(%s) AND privilege_type = 'SELECT'"
        " AND grantee <> current_user",
        (schema, tables),
    )
    return [(row[0], row[1]) for row in await cur.fetchall()]


def _now() -> datetime:
    return datetime.now(UTC)
