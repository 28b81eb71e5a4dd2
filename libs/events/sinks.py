"""The two kinds of consumer effects: SQL read models and event-sourced decisions.

Both record the stream position in the same transaction as the effect (rule 5).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import psycopg
from eventsourcing import persistence
from eventsourcing.application import AggregateNotFoundError, ProcessingEvent
from eventsourcing.persistence import IntegrityError, Tracking
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from libs.events.consumer import DeadLetterFn
from libs.events.envelope import Envelope

Project = Callable[[AsyncConnection[Any], Envelope], Awaitable[None]]

#: A database that is restarting or unreachable. Such an error says nothing about the event:
#: taken for a poison event, it was dead-lettered and its position recorded without its
#: effect once the database was back — a lost decision (found by the chaos run, issue 17).
STORAGE_ERRORS: tuple[type[Exception], ...] = (
    psycopg.OperationalError,
    psycopg.InterfaceError,
    PoolTimeout,
    persistence.OperationalError,
    persistence.InterfaceError,
)


class ProjectionSink:
    """Applies events to SQL tables; one transaction per batch, one savepoint per event."""

    def __init__(
        self, *, name: str, pool: AsyncConnectionPool[Any], schema: str, project: Project
    ) -> None:
        self.name = name
        self.pool = pool
        self.schema = schema
        self.project = project

    async def ensure_tables(self) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
            await conn.execute(
                f'CREATE TABLE IF NOT EXISTS "{self.schema}".projection_tracking ('
                " consumer text NOT NULL, stream text NOT NULL, position bigint NOT NULL,"
                " PRIMARY KEY (consumer, stream))"
            )

    async def last_position(self, stream: str) -> int:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                f'SELECT position FROM "{self.schema}".projection_tracking'
                " WHERE consumer = %s AND stream = %s",
                (self.name, stream),
            )
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def apply(
        self, stream: str, envelopes: list[Envelope], dead_letter: DeadLetterFn
    ) -> None:
        """Fast path: the whole batch pipelined in one transaction. If any event fails, the
        batch is redone with a savepoint per event so only the failing one is dead-lettered."""
        try:
            async with self.pool.connection() as conn, conn.transaction(), conn.pipeline():
                for envelope in envelopes:
                    await self.project(conn, envelope)
                await self._track(conn, stream, envelopes[-1].position)
            return
        except Exception:
            pass
        async with self.pool.connection() as conn, conn.transaction():
            for envelope in envelopes:
                try:
                    async with conn.transaction():
                        await self.project(conn, envelope)
                except STORAGE_ERRORS:
                    raise  # the database failed, not the event: the batch is read again
                except Exception as error:
                    await dead_letter(envelope, error)
            await self._track(conn, stream, envelopes[-1].position)

    async def _track(self, conn: AsyncConnection[Any], stream: str, position: int) -> None:
        await conn.execute(
            f'INSERT INTO "{self.schema}".projection_tracking AS t (consumer, stream, position)'
            " VALUES (%s, %s, %s) ON CONFLICT (consumer, stream) DO UPDATE"
            " SET position = EXCLUDED.position WHERE t.position < EXCLUDED.position",
            (self.name, stream, position),
        )


class UnitOfWork:
    """The aggregates one batch has loaded or created, so later events of the batch see them."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._cache: dict[Any, Any] = {}

    def get(self, aggregate_id: Any) -> Any:
        """Raises eventsourcing's AggregateNotFoundError when there is no such aggregate."""
        if aggregate_id not in self._cache:
            self._cache[aggregate_id] = self.app.repository.get(aggregate_id)
        return self._cache[aggregate_id]

    def exists(self, aggregate_id: Any) -> bool:
        try:
            self.get(aggregate_id)
        except AggregateNotFoundError:
            return False
        return True

    def add(self, *aggregates: Any) -> None:
        for aggregate in aggregates:
            self._cache[aggregate.id] = aggregate


#: Decides what an incoming event means for this service: the aggregates it changed.
Decide = Callable[[Envelope, UnitOfWork], Sequence[Any]]

#: How often an event is retried when a concurrent writer changed the same aggregate.
CONFLICT_RETRIES = 5


class EventSourcedSink:
    """Runs a decision per event and stores the new events with the stream position, atomically.

    The fast path decides a whole batch and stores it in one transaction (infra.md: one
    `save` per aggregate runs ~10x slower than one per batch). If any event of the batch
    fails, the batch is redone one event per transaction, so a poison event goes to the
    dead-letter topic alone and a write conflict with the service's own API is retried.
    """

    def __init__(self, *, name: str, app: Any, decide: Decide) -> None:
        self.name = name
        self.app = app
        self.decide = decide

    def _tracking_name(self, stream: str) -> str:
        return f"{self.name}|{stream}"

    async def last_position(self, stream: str) -> int:
        found = await asyncio.to_thread(
            self.app.recorder.max_tracking_id, self._tracking_name(stream)
        )
        return int(found or 0)

    async def apply(
        self, stream: str, envelopes: list[Envelope], dead_letter: DeadLetterFn
    ) -> None:
        try:
            await asyncio.to_thread(self._apply_batch, stream, envelopes)
            return
        except Exception:
            pass  # redo one by one below, to isolate what failed
        for envelope in envelopes:
            error = await asyncio.to_thread(self._apply_one, stream, envelope)
            if error is not None:
                await dead_letter(envelope, error)
                await asyncio.to_thread(self._store, stream, envelope.position, [])

    def _apply_batch(self, stream: str, envelopes: list[Envelope]) -> None:
        work = UnitOfWork(self.app)
        changed: dict[Any, Any] = {}
        for envelope in envelopes:
            for aggregate in self.decide(envelope, work):
                work.add(aggregate)
                changed[aggregate.id] = aggregate
        self._store(stream, envelopes[-1].position, list(changed.values()))

    def _apply_one(self, stream: str, envelope: Envelope) -> BaseException | None:
        """None when applied; the error when the event cannot be applied."""
        for _ in range(CONFLICT_RETRIES):
            try:
                aggregates = self.decide(envelope, UnitOfWork(self.app))
                self._store(stream, envelope.position, list(aggregates))
                return None
            except IntegrityError:
                continue  # someone else changed the aggregate: decide again on fresh state
            except STORAGE_ERRORS:
                raise  # the database failed, not the event: the batch is read again
            except Exception as error:
                return error
        return RuntimeError(f"write conflicts persisted over {CONFLICT_RETRIES} attempts")

    def _store(self, stream: str, position: int, aggregates: list[Any]) -> None:
        processing: ProcessingEvent[Any] = ProcessingEvent(
            Tracking(self._tracking_name(stream), position)
        )
        processing.collect_events(*aggregates)
        self.app.events.put(processing.events, tracking=processing.tracking)
