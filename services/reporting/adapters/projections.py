"""Reporting's read models, applied together by one consumer in one transaction per batch.

One consumer for all projections means an analyst joining `v1_tickets` with `v1_sla` sees
both at the same point of the log, and each event is decoded once (README "Performance").

`VERSION` names the consumer. When the projections change meaning (a fix, new tables), the
version goes up: at start-up a consumer with no position yet drops the old tables and builds
the new ones from the beginning of the log (topics keep every event for this).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from libs.events.envelope import Envelope
from libs.events.sinks import Project
from services.reporting.adapters import (
    escalations_projection,
    known_errors_projection,
    sla_projection,
    status_changes_projection,
    tickets_projection,
    views_v1,
)
from services.reporting.adapters.schema_docs import Relation, comment_sql

VERSION = 2
NAME = f"reporting.projections.v{VERSION}"

MODULES = (
    tickets_projection,
    status_changes_projection,
    sla_projection,
    escalations_projection,
    known_errors_projection,
)

TRACKING = Relation(
    "projection_tracking",
    "TABLE",
    (
        "Vị trí đã xử lý trong nhật ký của từng dịch vụ nguồn (nội bộ)",
        "How far each consumer got in each source stream (internal)",
    ),
    {
        "consumer": ("Tên bộ tiêu thụ", "Consumer name"),
        "stream": ("Chủ đề:phân vùng", "topic:partition"),
        "position": ("Vị trí cuối cùng đã áp dụng", "Last position applied"),
    },
)

TABLES: tuple[Relation, ...] = (
    tickets_projection.TABLE,
    status_changes_projection.TABLE,
    sla_projection.TABLE,
    escalations_projection.TABLE,
    known_errors_projection.ERRORS,
    known_errors_projection.LINKS,
)

#: Every relation of the schema, for the comments and the README.
RELATIONS: tuple[Relation, ...] = (*views_v1.VIEWS, *TABLES, TRACKING)

#: Tables of earlier versions that no projection writes any more.
RETIRED: tuple[str, ...] = ()

_LOCK = 7_330_001  # pg advisory lock: one reporting process sets the schema up at a time


def projector(schema: str) -> Project:
    s = f'"{schema}"'
    handlers: dict[str, list[Any]] = defaultdict(list)
    for module in MODULES:
        for event_type, handler in module.HANDLERS.items():
            handlers[event_type].append(handler)

    async def project(conn: AsyncConnection[Any], envelope: Envelope) -> None:
        for handler in handlers.get(envelope.type, ()):
            await handler(conn, s, envelope)

    return project


async def ensure_schema(pool: AsyncConnectionPool[Any], schema: str) -> bool:
    """Tables, views and comments; True when the projections start again from the log."""
    s = f'"{schema}"'
    async with pool.connection() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
        cur = await conn.execute(
            f"SELECT count(*) FROM {s}.projection_tracking WHERE consumer = %s", (NAME,)
        )
        row = await cur.fetchone()
        fresh = not row or row[0] == 0
        if fresh:
            for name in (*(t.name for t in TABLES), *RETIRED):
                await conn.execute(f'DROP TABLE IF EXISTS {s}."{name}" CASCADE')
            await conn.execute(f"DELETE FROM {s}.projection_tracking WHERE consumer <> %s", (NAME,))
        for module in MODULES:
            await conn.execute(module.DDL.format(s=s))
        await conn.execute(views_v1.DDL.format(s=s))
        for relation in RELATIONS:
            await conn.execute(comment_sql(s, relation))
    return fresh
