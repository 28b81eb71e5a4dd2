"""The two kinds of consumer effects: SQL read models and event-sourced decisions.

Both record the stream position in the same transaction as the effect (rule 5).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from eventsourcing.application import ProcessingEvent
from eventsourcing.persistence import Tracking
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from libs.events.consumer import DeadLetterFn
from libs.events.envelope import Envelope

Project = Callable[[AsyncConnection[Any], Envelope], Awaitable[None]]


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
        async with self.pool.connection() as conn, conn.transaction():
            for envelope in envelopes:
                try:
                    async with conn.transaction():
                        await self.project(conn, envelope)
                except Exception as error:
                    await dead_letter(envelope, error)
            await conn.execute(
                f'INSERT INTO "{self.schema}".projection_tracking AS t (consumer, stream, position)'
                " VALUES (%s, %s, %s) ON CONFLICT (consumer, stream) DO UPDATE"
                " SET position = EXCLUDED.position WHERE t.position < EXCLUDED.position",
                (self.name, stream, envelopes[-1].position),
            )


#: Decides what an incoming event means for this service: the aggregates it changed.
Decide = Callable[[Envelope], Sequence[Any]]


class EventSourcedSink:
    """Runs a decision per event and stores its new events with the position, atomically.

    One transaction per event keeps a poison event from taking its neighbours' effects
    with it; measured cost is in bench/ (infra.md: ~775 saves/s).
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
        for envelope in envelopes:
            try:
                aggregates = await asyncio.to_thread(self.decide, envelope)
            except Exception as error:
                await dead_letter(envelope, error)
                aggregates = []
            processing: ProcessingEvent[Any] = ProcessingEvent(
                Tracking(self._tracking_name(stream), envelope.position)
            )
            processing.collect_events(*aggregates)
            await asyncio.to_thread(
                self.app.events.put, processing.events, tracking=processing.tracking
            )
