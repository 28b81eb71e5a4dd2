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
from libs.events.topics import ESCALATION, INTAKE, MONITORING, ROUTING
from services.reporting.adapters import (
    checks_projection,
    delivery_tables,
    escalations_projection,
    known_errors_projection,
    outages_projection,
    readiness_projection,
    rebuild_jobs,
    sla_projection,
    status_changes_projection,
    tickets_projection,
    views_v1,
)
from services.reporting.adapters.schema_docs import Relation, comment_sql

#: 3: tickets follow the desk's priority changes and corrections (issue 13).
VERSION = 3
NAME = f"reporting.projections.v{VERSION}"

#: Each projection by the name `rebuild` knows it by; a module has DDL, HANDLERS and TABLES.
PROJECTIONS: dict[str, Any] = {
    "tickets": tickets_projection,
    "status_changes": status_changes_projection,
    "sla_clocks": sla_projection,
    "ladder_moves": escalations_projection,
    "known_errors": known_errors_projection,
    "outages": outages_projection,
    "readiness": readiness_projection,
    "check_states": checks_projection,
}
MODULES = tuple(PROJECTIONS.values())
#: The topics the projections are built from (each service's outbox, keyed by ticket or target).
TOPICS = (INTAKE, ROUTING, ESCALATION, MONITORING)

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

TABLES: tuple[Relation, ...] = tuple(t for module in MODULES for t in module.TABLES)

#: Every relation of the schema, for the comments and the README.
RELATIONS: tuple[Relation, ...] = (
    *views_v1.VIEWS,
    *TABLES,
    TRACKING,
    rebuild_jobs.TABLE,
    delivery_tables.TABLE,
    delivery_tables.SCHEDULE,
)

#: Tables of earlier versions that no projection writes any more.
RETIRED: tuple[str, ...] = ()

#: pg advisory lock: one reporting process sets the schema up (or swaps a rebuild in) at a time.
SCHEMA_LOCK = 7_330_001


def projector(schema: str, modules: tuple[Any, ...] = MODULES) -> Project:
    """Applies each event to the tables of `modules` (all of them, or one being rebuilt)."""
    s = f'"{schema}"'
    handlers: dict[str, list[Any]] = defaultdict(list)
    for module in modules:
        for event_type, handler in module.HANDLERS.items():
            handlers[event_type].append(handler)

    async def project(conn: AsyncConnection[Any], envelope: Envelope) -> None:
        # A type no module handles costs a dict lookup: a rebuild of one projection skips
        # most of the log this way.
        for handler in handlers.get(envelope.type, ()):
            await handler(conn, s, envelope)

    return project


async def ensure_schema(pool: AsyncConnectionPool[Any], schema: str) -> bool:
    """Tables, views and comments; True when the projections start again from the log."""
    s = f'"{schema}"'
    async with pool.connection() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
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
        await conn.execute(rebuild_jobs.DDL.format(s=s))
        await conn.execute(delivery_tables.DDL.format(s=s))
        for relation in RELATIONS:
            await conn.execute(comment_sql(s, relation))
    return fresh
