"""Rebuilding a projection from the log (issue 10): beside the live table, then swapped in;
equal to the incrementally built one row for row, also when events keep coming during the
rebuild and when the broker restarts (and loses everything) in the middle of it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from libs.events.consumer import ConsumerRunner
from libs.events.envelope import Envelope
from libs.events.relay import ensure_topics, partition_for
from libs.events.sinks import ProjectionSink
from libs.events.topics import DEADLETTER, DEFAULT_PARTITIONS
from services.reporting.adapters import projections
from services.reporting.adapters.rebuild import LogIncomplete, Rebuild
from services.reporting.adapters.rebuild_jobs import RebuildJobs, RebuildRunning, lock_key
from services.reporting.adapters.rebuild_service import RebuildService
from services.reporting.domain.rebuild_progress import Progress
from tests.support.infra import Infra
from tests.support.reporting_log import ReportingLog, messages
from tests.support.waiting import eventually

pytestmark = pytest.mark.service

LIVE, REFERENCE = "reporting", "reference"


async def publish(bootstrap: str, events: list[tuple[str, Envelope]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        for topic, batch in messages(events).items():
            sent = [
                await producer.send(topic, value=value, key=key, partition=partition)
                for partition, key, value in batch
            ]
            await asyncio.gather(*sent)
    finally:
        await producer.stop()


def topics(prefix: str) -> list[str]:
    return [f"{prefix}{t}" for t in projections.TOPICS]


@asynccontextmanager
async def consuming(
    infra: Infra, prefix: str, pool: AsyncConnectionPool[Any], schema: str
) -> AsyncIterator[ProjectionSink]:
    """Reporting's live consumer (its projections, its tracking) into `schema`."""
    sink = ProjectionSink(
        name=projections.NAME, pool=pool, schema=schema, project=projections.projector(schema)
    )
    await sink.ensure_tables()
    await projections.ensure_schema(pool, schema)
    runner = ConsumerRunner(
        name=f"{prefix}{schema}",
        bootstrap=infra.bootstrap,
        topics=topics(prefix),
        sink=sink,
        dead_letter_topic=f"{prefix}{DEADLETTER}",
        rebalance_timeout_s=3,
    )
    stop = asyncio.Event()
    await runner.start()
    task = asyncio.create_task(runner.run(stop))
    try:
        yield sink
    finally:
        stop.set()
        await task
        await runner.stop()


async def rows(pool: AsyncConnectionPool[Any], query: str) -> list[dict[str, Any]]:
    async with pool.connection() as conn:
        cur = conn.cursor(row_factory=dict_row)
        await cur.execute(query)
        return list(await cur.fetchall())


def last_positions(events: list[tuple[str, Envelope]]) -> dict[str, int]:
    """The last position of each stream (topic:partition) among `events`."""
    last: dict[str, int] = {}
    for topic, envelope in events:
        last[f"{topic}:{partition_for(envelope.subject, DEFAULT_PARTITIONS)}"] = envelope.position
    return last


async def caught_up(
    pool: AsyncConnectionPool[Any], schema: str, events: list[tuple[str, Envelope]]
) -> bool:
    """Every one of `events` applied: the last position of each stream recorded."""
    found = await rows(
        pool,
        f'SELECT stream, position FROM "{schema}".projection_tracking'
        f" WHERE consumer = '{projections.NAME}'",
    )
    recorded = {r["stream"]: r["position"] for r in found}
    expected = last_positions(events)
    return all(recorded.get(stream) == position for stream, position in expected.items())


def table_sql(schema: str, table: str) -> str:
    return f'SELECT * FROM "{schema}"."{table}" ORDER BY 1, 2'


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[AsyncConnectionPool[Any]]:
    async with AsyncConnectionPool(database_url, min_size=2, max_size=10) as pool:
        yield pool


@pytest.fixture
async def made_topics(infra: Infra, topic_prefix: str) -> list[str]:
    names = [*topics(topic_prefix), f"{topic_prefix}{DEADLETTER}"]
    await ensure_topics(infra.bootstrap, names)
    return names


def rebuild_of(
    projection: str,
    pool: AsyncConnectionPool[Any],
    database_url: str,
    infra: Infra,
    prefix: str,
    job_id: str,
    seen: list[Progress],
) -> Rebuild:
    return Rebuild(
        pool=pool,
        database_url=database_url,
        schema=LIVE,
        bootstrap=infra.bootstrap,
        topics=topics(prefix),
        projection=projection,
        job_id=job_id,
        jobs=RebuildJobs(pool, LIVE),
        on_progress=seen.append,
    )


async def test_a_rebuild_while_events_keep_coming_equals_the_incremental_build(
    infra: Infra, topic_prefix: str, made_topics: list[str], pool: AsyncConnectionPool[Any],
    database_url: str,
) -> None:  # fmt: skip
    log = ReportingLog(topic_prefix)
    for n in range(120):
        log.ticket(n)
    log.incident(0)
    first = len(log.events)
    for n in range(120, 240):
        log.ticket(n)
    log.incident(1)
    await publish(infra.bootstrap, log.events[:first])
    async with (
        consuming(infra, topic_prefix, pool, LIVE),
        consuming(infra, topic_prefix, pool, REFERENCE),
    ):
        await eventually(lambda: caught_up(pool, LIVE, log.events[:first]), timeout=60)
        reader = f"analyst_{uuid.uuid4().hex[:8]}"
        async with pool.connection() as conn:  # what ensure_analyst_role grants
            await conn.execute(f'CREATE ROLE "{reader}" NOLOGIN')
            await conn.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA {LIVE} TO "{reader}"')
        jobs = RebuildJobs(pool, LIVE)
        seen: list[Progress] = []
        results = {}
        for projection in ("tickets", "outages"):
            job_id = await jobs.create(projection, "test")
            rebuild = rebuild_of(projection, pool, database_url, infra, topic_prefix, job_id, seen)
            running = asyncio.create_task(rebuild.run())
            if projection == "tickets":  # the rest of the log arrives during the rebuild
                await publish(infra.bootstrap, log.events[first:])
            await running
            results[projection] = await jobs.get(job_id)
        await eventually(lambda: caught_up(pool, LIVE, log.events), timeout=60)
        await eventually(lambda: caught_up(pool, REFERENCE, log.events), timeout=60)

    for job in results.values():
        assert job is not None and job.state == "done", job
        assert job.events_done > 0 and job.finished_at is not None
    assert seen and seen[-1].percent == 100.0
    for table in ("tickets", "outages"):
        live = await rows(pool, table_sql(LIVE, table))
        assert live == await rows(pool, table_sql(REFERENCE, table)), table
    assert len(await rows(pool, table_sql(LIVE, "tickets"))) == 240
    # the v1 views are there again, reading the rebuilt table
    views = await rows(pool, "SELECT count(*) AS n FROM reporting.v1_tickets")
    assert views == [{"n": 240}]
    shadows = await rows(
        pool, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'reporting_rebuild_%'"
    )
    assert shadows == []
    granted = await rows(
        pool,
        f"SELECT has_table_privilege('{reader}', 'reporting.tickets', 'SELECT') AS t,"
        f" has_table_privilege('{reader}', 'reporting.v1_tickets', 'SELECT') AS v",
    )
    assert granted == [{"t": True, "v": True}]  # the analysts still read the swapped tables
    async with pool.connection() as conn:
        await conn.execute(f'DROP OWNED BY "{reader}"')
        await conn.execute(f'DROP ROLE "{reader}"')


async def test_a_broker_that_restarts_empty_during_a_rebuild_changes_nothing(
    infra: Infra, topic_prefix: str, made_topics: list[str], pool: AsyncConnectionPool[Any],
    database_url: str,
) -> None:  # fmt: skip
    log = ReportingLog(topic_prefix)
    for n in range(150):
        log.ticket(n)
    await publish(infra.bootstrap, log.events)
    async with consuming(infra, topic_prefix, pool, LIVE):
        await eventually(lambda: caught_up(pool, LIVE, log.events), timeout=60)
        before = await rows(pool, table_sql(LIVE, "sla_clocks"))
        jobs = RebuildJobs(pool, LIVE)
        job_id = await jobs.create("sla_clocks", "test")
        rebuild = rebuild_of("sla_clocks", pool, database_url, infra, topic_prefix, job_id, [])

        reached, go_on = asyncio.Event(), asyncio.Event()
        project = rebuild.sink.project

        async def held_at_the_first_event(conn: Any, envelope: Envelope) -> None:
            reached.set()
            await go_on.wait()
            await project(conn, envelope)

        rebuild.sink.project = held_at_the_first_event
        running = asyncio.create_task(rebuild.run())
        await asyncio.wait_for(reached.wait(), 30)
        await asyncio.to_thread(infra.restart_broker)  # comes back with nothing
        await eventually(lambda: _topics_made(infra, made_topics), timeout=30)
        go_on.set()
        await publish(infra.bootstrap, log.events)  # the relays' republish from the start
        await asyncio.wait_for(running, 120)
        job = await jobs.get(job_id)
        assert job is not None and job.state == "done", job
        assert await rows(pool, table_sql(LIVE, "sla_clocks")) == before
        assert len(before) == 150  # a clock per ticket


async def _topics_made(infra: Infra, names: list[str]) -> bool:
    try:
        await ensure_topics(infra.bootstrap, names)
    except Exception as error:
        raise AssertionError(f"broker not back yet: {error!r}") from error
    return True


async def test_a_log_that_lost_events_fails_the_rebuild_and_leaves_the_live_table(
    infra: Infra, topic_prefix: str, made_topics: list[str], pool: AsyncConnectionPool[Any],
    database_url: str,
) -> None:  # fmt: skip
    """What a week of retention does: the live tables were built from events the topics no
    longer hold. The rebuild says so and swaps nothing in."""
    log = ReportingLog(topic_prefix)
    for n in range(20):
        log.ticket(n)
    await publish(infra.bootstrap, log.events)
    async with consuming(infra, topic_prefix, pool, LIVE):
        await eventually(lambda: caught_up(pool, LIVE, log.events), timeout=60)
    before = await rows(pool, table_sql(LIVE, "tickets"))
    async with pool.connection() as conn:  # the live tables saw more than the topics hold now
        await conn.execute(
            f"UPDATE {LIVE}.projection_tracking SET position = position + 1000"
            " WHERE stream LIKE %s",
            (f"{topic_prefix}hotro.intake.v1:%",),
        )
    jobs = RebuildJobs(pool, LIVE)
    job_id = await jobs.create("tickets", "test")
    rebuild = rebuild_of("tickets", pool, database_url, infra, topic_prefix, job_id, [])
    rebuild.stall_s = 3
    with pytest.raises(LogIncomplete, match=r"retention\.ms: -1"):
        await asyncio.wait_for(rebuild.run(), 60)
    job = await jobs.get(job_id)
    assert job is not None and job.state == "failed" and "retention" in (job.error or "")
    assert await rows(pool, table_sql(LIVE, "tickets")) == before


async def test_a_rebuild_left_by_a_dead_process_is_taken_up_again_at_start(
    infra: Infra, topic_prefix: str, made_topics: list[str], pool: AsyncConnectionPool[Any],
    database_url: str,
) -> None:  # fmt: skip
    log = ReportingLog(topic_prefix)
    for n in range(30):
        log.ticket(n)
    await publish(infra.bootstrap, log.events)
    async with consuming(infra, topic_prefix, pool, LIVE):
        await eventually(lambda: caught_up(pool, LIVE, log.events), timeout=60)
        before = await rows(pool, table_sql(LIVE, "ladder_moves"))
        jobs = RebuildJobs(pool, LIVE)
        job_id = await jobs.create("ladder_moves", "test")
        await jobs.update(job_id, state="running", events_done=17)  # then the process died
        service = RebuildService(pool, database_url, LIVE, infra.bootstrap, topics(topic_prefix))
        await service.resume_orphans()

        async def finished() -> bool:
            job = await jobs.get(job_id)
            assert job is not None and job.state in ("done", "failed", "running", "swapping")
            return job.state == "done"

        await eventually(finished, timeout=90)
    assert await rows(pool, table_sql(LIVE, "ladder_moves")) == before


async def test_one_rebuild_per_projection_at_a_time(
    pool: AsyncConnectionPool[Any], database_url: str
) -> None:
    async with pool.connection() as conn:
        await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{LIVE}"')
    jobs = RebuildJobs(pool, LIVE)
    await jobs.ensure_table()
    first = await jobs.create("tickets", "test")
    holder = await pool.getconn()
    try:  # a live process holds the projection's lock: a second one is refused
        await holder.execute("SELECT pg_advisory_lock(%s)", (lock_key("tickets"),))
        with pytest.raises(RebuildRunning) as refused:
            await jobs.create("tickets", "test")
        assert refused.value.job_id == first
        assert await jobs.create("outages", "test")  # another projection is free
        await holder.execute("SELECT pg_advisory_unlock_all()")
    finally:
        await pool.putconn(holder)
    # the process died (no lock): the job is marked failed and a new one may start
    again = await jobs.create("tickets", "test")
    assert again != first
    old = await jobs.get(first)
    assert old is not None and old.state == "failed" and old.error == "interrupted"
