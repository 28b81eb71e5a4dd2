"""Notices kept as `Notice` aggregates in monitoring's event store, and a table the page reads.

The aggregate is the truth and its events are the relay's outbox (`with_notices` maps them
to the public contracts). After each save the `notices` table gets the notice's view; a crash
between the two leaves the row one version behind, and `repair()` at start-up rebuilds such
rows from the aggregates (the same order and repair as the check states' table).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import msgspec
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError
from psycopg import sql
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from libs.events.schemas import NoticePublished, NoticeUpdated, contract_from
from libs.platform.eventstore import ServiceApplication, ToContract
from services.monitoring.domain.notices import InvalidTransition, Notice

#: A notice whose save lost a race is decided again on fresh state this many times.
_RETRIES = 3


class NoticeNotFound(LookupError):
    pass


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def view_of(notice: Notice) -> dict[str, Any]:
    """The notice as JSON (times in ISO 8601 with offset), actors included (operators')."""
    return {
        "id": str(notice.id),
        "kind": notice.kind,
        "title": notice.title,
        "applications": list(notice.applications),
        "description": notice.description,
        "guidance": notice.guidance,
        "status": notice.status,
        "expected_fix_at": _iso(notice.expected_fix_at),
        "starts_at": _iso(notice.starts_at),
        "ends_at": _iso(notice.ends_at),
        "published_at": _iso(notice.published_at),
        "updated_at": _iso(notice.updated_at),
        "started_at": _iso(notice.started_at),
        "finished_at": _iso(notice.finished_at),
        "version": int(notice.version),
        "updates": [
            {"status": u.status, "message": u.message, "at": _iso(u.at), "actor": u.actor}
            for u in notice.timeline()
        ],
    }


def with_notices(base: ToContract) -> ToContract:
    """The relay's mapping of monitoring's events: notices here, everything else by `base`."""

    def to_contract(domain_event: Any) -> tuple[str, msgspec.Struct] | None:
        notice_id = str(getattr(domain_event, "originator_id", ""))
        if isinstance(domain_event, Notice.Published):  # type: ignore[attr-defined]
            return notice_id, contract_from(domain_event, NoticePublished, notice_id=notice_id)
        if isinstance(domain_event, Notice.Updated):  # type: ignore[attr-defined]
            return notice_id, contract_from(domain_event, NoticeUpdated, notice_id=notice_id)
        return base(domain_event)

    return to_contract


class NoticeStore:
    def __init__(
        self, app: ServiceApplication, pool: AsyncConnectionPool[Any], schema: str
    ) -> None:
        self.app = app
        self.pool = pool
        self.schema = schema
        self.table = sql.Identifier(schema, "notices")

    async def ensure_tables(self) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} ("
                    " notice_id uuid PRIMARY KEY, kind text NOT NULL, status text NOT NULL,"
                    " version integer NOT NULL, published_at timestamptz NOT NULL,"
                    " finished_at timestamptz, view jsonb NOT NULL)"
                ).format(self.table)
            )

    async def repair(self) -> int:
        """Rebuild rows that lag their aggregate (a crash after a save); how many were."""
        events = sql.Identifier(self.schema, self.app.recorder.events_table_name)  # type: ignore[attr-defined]
        query = sql.SQL(
            "SELECT e.originator_id FROM (SELECT originator_id, max(originator_version) AS v"
            " FROM {} WHERE topic LIKE %s GROUP BY originator_id) e"
            " LEFT JOIN {} n ON n.notice_id = e.originator_id"
            " WHERE n.version IS NULL OR n.version < e.v"
        ).format(events, self.table)
        async with self.pool.connection() as conn:
            cur = await conn.execute(query, (f"%:{Notice.__qualname__}.%",))
            stale = [uuid.UUID(str(r[0])) for r in await cur.fetchall()]
        for notice_id in stale:
            notice: Notice = await asyncio.to_thread(self.app.repository.get, notice_id)
            await self._put(notice)
        return len(stale)

    async def publish(self, **fields: Any) -> dict[str, Any]:
        notice: Notice = Notice(id=uuid.uuid4(), **fields)
        await asyncio.to_thread(self.app.save, notice)
        return await self._put(notice)

    async def update(
        self, notice_id: uuid.UUID, kind: str, change: Callable[[Notice], None]
    ) -> dict[str, Any]:
        """Load, `change` (raises InvalidTransition to refuse), save; retried on a race."""
        for _ in range(_RETRIES):
            notice = await self._load(notice_id, kind)
            change(notice)
            try:
                await asyncio.to_thread(self.app.save, notice)
            except IntegrityError:
                continue
            return await self._put(notice)
        raise InvalidTransition(
            "Thông báo vừa được người khác cập nhật; vui lòng thử lại. / The notice was "
            "changed meanwhile; try again."
        )

    async def _load(self, notice_id: uuid.UUID, kind: str) -> Notice:
        try:
            notice: Notice = await asyncio.to_thread(self.app.repository.get, notice_id)
        except AggregateNotFoundError:
            raise NoticeNotFound(str(notice_id)) from None
        if not isinstance(notice, Notice) or notice.kind != kind:
            raise NoticeNotFound(str(notice_id))
        return notice

    async def _put(self, notice: Notice) -> dict[str, Any]:
        view = view_of(notice)
        async with self.pool.connection() as conn:
            await conn.execute(
                sql.SQL(
                    "INSERT INTO {} AS n (notice_id, kind, status, version, published_at,"
                    " finished_at, view) VALUES (%s, %s, %s, %s, %s, %s, %s)"
                    " ON CONFLICT (notice_id) DO UPDATE SET status = EXCLUDED.status,"
                    " version = EXCLUDED.version, finished_at = EXCLUDED.finished_at,"
                    " view = EXCLUDED.view WHERE n.version < EXCLUDED.version"
                ).format(self.table),
                (
                    notice.id,
                    notice.kind,
                    notice.status,
                    notice.version,
                    notice.published_at,
                    notice.finished_at,
                    Jsonb(view),
                ),
            )
        return view

    async def get(self, notice_id: uuid.UUID, kind: str | None = None) -> dict[str, Any] | None:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                sql.SQL(
                    "SELECT view FROM {} WHERE notice_id = %s AND (%s::text IS NULL OR kind = %s)"
                ).format(self.table),
                (notice_id, kind, kind),
            )
            row = await cur.fetchone()
        return row[0] if row else None

    async def recent(self, since: datetime, limit: int = 200) -> list[dict[str, Any]]:
        """Every open notice, and the ones closed since `since`, newest first."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                sql.SQL(
                    "SELECT view FROM {} WHERE finished_at IS NULL OR finished_at >= %s"
                    " ORDER BY published_at DESC LIMIT %s"
                ).format(self.table),
                (since, limit),
            )
            return [r[0] for r in await cur.fetchall()]
