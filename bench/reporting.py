"""`python -m bench.reporting`: how fast reporting rebuilds a projection, and how long the
quarterly report takes over a million tickets, each beside a raw baseline on the same servers.

1. *Rebuild*: a generated log of the four services (tickets walked up the ladder, waiting,
   resolved, reopened; incidents) is published to an embedded broker and built incrementally by
   reporting's live consumer; then `tickets` and `status_changes` are rebuilt from the log
   (adapters/rebuild.py: read, apply beside, swap). Baseline: reading the same topics raw with
   aiokafka `getmany` (decode nothing, store nothing). The aim: ≥ 20,000 events/s.
2. *Quarterly report*: `--tickets` projection rows (tickets, their first SLA clock and their
   status changes) written straight into reporting's tables with COPY, then the 2026-Q4 report
   in each format (JSON, CSV, XLSX, HTML). Baseline: the COPY rate of those rows, and one raw
   `SELECT` of the quarter's tickets.

Embedded PostgreSQL and Tansu under .hotro/bench-reporting/ (fresh each run). Prints a table
and writes the figures to .hotro/bench-reporting/last.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import random
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import psycopg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from psycopg_pool import AsyncConnectionPool

from libs.calendar import load_business_calendar
from libs.catalog.loader import catalog_dir
from libs.events.consumer import ConsumerRunner
from libs.events.relay import ensure_topics
from libs.events.sinks import ProjectionSink
from libs.events.topics import DEADLETTER
from services.reporting.adapters import projections
from services.reporting.adapters.rebuild import Rebuild
from services.reporting.adapters.rebuild_jobs import RebuildJobs
from services.reporting.adapters.report_files import report_csv, report_xlsx
from services.reporting.adapters.report_html import report_html
from services.reporting.adapters.report_queries import ReportQueries
from services.reporting.api.report_service import ReportService
from services.reporting.domain.periods import LOCAL_TZ, parse_period
from tests.support.reporting_log import ReportingLog, messages
from tools.embedded import Broker, free_port, remove_tree, start_postgres, stop_postgres
from tools.suite import ROOT

STATE = ROOT / ".hotro" / "bench-reporting"
SCHEMA = "reporting"
QUARTER = parse_period("quarterly", "2026-Q4")


# --- 1. rebuild ---------------------------------------------------------------------------


async def publish(bootstrap: str, log: ReportingLog) -> float:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20)
    await producer.start()
    started = time.perf_counter()
    try:
        for topic, batch in messages(log.events).items():
            futures = [await producer.send(topic, value=v, key=k, partition=p) for p, k, v in batch]
            await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return len(log.events) / (time.perf_counter() - started)


async def raw_consume(bootstrap: str, topics: list[str], total: int) -> float:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer.topics()
        tps = [TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t) or ()]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        read, started = 0, time.perf_counter()
        while read < total:
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            read += sum(len(records) for records in batch.values())
        return read / (time.perf_counter() - started)
    finally:
        await consumer.stop()


async def live_build(bootstrap: str, prefix: str, pool: AsyncConnectionPool[Any], n: int) -> float:
    sink = ProjectionSink(
        name=projections.NAME, pool=pool, schema=SCHEMA, project=projections.projector(SCHEMA)
    )
    await sink.ensure_tables()
    await projections.ensure_schema(pool, SCHEMA)
    runner = ConsumerRunner(
        name=f"{prefix}live",
        bootstrap=bootstrap,
        topics=[f"{prefix}{t}" for t in projections.TOPICS],
        sink=sink,
        dead_letter_topic=f"{prefix}{DEADLETTER}",
        rebalance_timeout_s=3,
        max_records=2000,
    )
    stop = asyncio.Event()
    await runner.start()
    task = asyncio.create_task(runner.run(stop))
    started = time.perf_counter()
    try:
        while await _tickets_built(pool) < n:
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)  # the rest of the last tickets' events
        return time.perf_counter() - started
    finally:
        stop.set()
        await task
        await runner.stop()


async def _tickets_built(pool: AsyncConnectionPool[Any]) -> int:
    async with pool.connection() as conn:
        cur = await conn.execute(
            f"SELECT count(*) FROM {SCHEMA}.tickets WHERE reopened > 0 OR number IS NOT NULL"
        )
        row = await cur.fetchone()
        return int(row[0]) if row else 0


async def rebuild_rate(
    projection: str, pool: AsyncConnectionPool[Any], url: str, bootstrap: str, prefix: str
) -> dict[str, Any]:
    jobs = RebuildJobs(pool, SCHEMA)
    job_id = await jobs.create(projection, "bench")
    rebuild = Rebuild(
        pool=pool,
        database_url=url,
        schema=SCHEMA,
        bootstrap=bootstrap,
        topics=[f"{prefix}{t}" for t in projections.TOPICS],
        projection=projection,
        job_id=job_id,
        jobs=jobs,
    )
    started = time.perf_counter()
    await rebuild.run()
    seconds = time.perf_counter() - started
    return {"events": rebuild.done, "seconds": round(seconds, 2), "rate": rebuild.done / seconds}


async def rebuild_figures(url: str, bootstrap: str, tickets: int) -> dict[str, Any]:
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    topics = [f"{prefix}{t}" for t in projections.TOPICS]
    await ensure_topics(bootstrap, [*topics, f"{prefix}{DEADLETTER}"])
    log = ReportingLog(prefix)
    for n in range(tickets):
        log.ticket(n)
    for n in range(min(200, tickets // 50)):
        log.incident(n)
    events = len(log.events)
    print(f"bench: publishing {events:,} events ...", flush=True)
    produce = await publish(bootstrap, log)
    raw = await raw_consume(bootstrap, topics, events)
    async with AsyncConnectionPool(url, min_size=2, max_size=10) as pool:
        print("bench: building incrementally (the live consumer) ...", flush=True)
        live_s = await live_build(bootstrap, prefix, pool, tickets)
        print("bench: rebuilding ...", flush=True)
        rebuilt = {p: await rebuild_rate(p, pool, url, bootstrap, prefix)
                   for p in ("tickets", "status_changes")}  # fmt: skip
    return {
        "events": events,
        "produce_rate": produce,
        "raw_consume_rate": raw,
        "live_build_rate": events / live_s,
        "rebuild": rebuilt,
    }


# --- 2. the quarterly report over many tickets -----------------------------------------------

PROVINCES = ("HNI", "HCM", "DNG", "HPG", "CTO", "NAN", "THA", "QNI")
GROUPS = (("TABMIS", "TABMIS"), ("TTSP", "PAYMENT"), ("MAIL", "WORKSTATION"), ("KTNB", "INTERNAL"))
CHANNELS = ("web", "email", "phone")


def ticket_rows(count: int) -> Any:
    rng = random.Random(7)
    span = (QUARTER.end - QUARTER.start).total_seconds()
    for n in range(count):
        tid = uuid.UUID(int=n + 1)
        received = QUARTER.start + timedelta(seconds=rng.random() * span)
        app, group = GROUPS[n % len(GROUPS)]
        province = PROVINCES[n % len(PROVINCES)]
        resolved = received + timedelta(hours=rng.random() * 60) if n % 3 else None
        cause = ("user_error", "software_bug", "configuration")[n % 3] if resolved else None
        yield (
            tid, f"YC-2026-{n + 1:07d}", CHANNELS[n % 3], f"Lỗi {app} số {n % 40}",
            f"KBNN-{province}", "kbnn_province", province, app, app, group,
            "incident", "P3", "province", f"PTH-{province}", "phase-3", "L1",
            "L2" if n % 7 == 0 else "L1", f"PTH-{province}", f"PTH-{province}",
            "resolved" if resolved else "in_progress", cause, received, received, received,
            resolved, resolved, None, 0, 1 if n % 7 == 0 else 0, "L2" if n % 7 == 0 else "L1",
        )  # fmt: skip


TICKET_COPY = (
    f"COPY {SCHEMA}.tickets (ticket_id, number, channel, subject, unit_code, unit_kind, province,"
    " picked_application, application, group_code, type, priority, first_handler_kind,"
    " first_handler_office, policy_version, first_tier, tier, owner, handler, status, cause,"
    " received_at, routed_at, assigned_at, first_resolved_at, resolved_at, closed_at, reopened,"
    " escalations, max_tier) FROM STDIN"
)


async def load_tickets(url: str, count: int) -> dict[str, float]:
    async with AsyncConnectionPool(url, min_size=1, max_size=2) as pool:
        await ProjectionSink(
            name=projections.NAME, pool=pool, schema=SCHEMA, project=projections.projector(SCHEMA)
        ).ensure_tables()
        await projections.ensure_schema(pool, SCHEMA)
    started = time.perf_counter()
    rows = 0
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy(TICKET_COPY) as copy:
            for row in ticket_rows(count):
                copy.write_row(row)
                rows += 1
        with cur.copy(
            f"COPY {SCHEMA}.status_changes (event_id, ticket_id, status, at, source, position)"
            " FROM STDIN"
        ) as copy:
            for row in ticket_rows(count):
                tid, received, resolved = row[0], row[21], row[25]
                copy.write_row((f"{tid}:n", tid, "new", received, "submitted", 1))
                rows += 1
                if resolved is not None:
                    if tid.int % 5 == 0:  # waited for the requester for an hour
                        wait = received + timedelta(minutes=30)
                        copy.write_row(
                            (f"{tid}:w", tid, "waiting_requester", wait, "status_changed", 2)
                        )
                        copy.write_row((f"{tid}:b", tid, "in_progress", wait + timedelta(hours=1), "status_changed", 3))  # fmt: skip
                        rows += 2
                    copy.write_row((f"{tid}:r", tid, "resolved", resolved, "status_changed", 4))
                    rows += 1
        with cur.copy(
            f"COPY {SCHEMA}.sla_clocks (ticket_id, cycle, policy, priority, response_due,"
            " resolution_due, responded_at, response_met, resolved_at, resolution_met, updated_at)"
            " FROM STDIN"
        ) as copy:
            for row in ticket_rows(count):
                tid, received, resolved = row[0], row[21], row[25]
                due = received + timedelta(hours=16)
                met = None if resolved is None else resolved <= due
                copy.write_row((tid, 1, "standard", "P3", received + timedelta(hours=4), due,
                                received + timedelta(minutes=10), True, resolved, met, received))  # fmt: skip
                rows += 1
        conn.commit()
        seconds = time.perf_counter() - started
        conn.execute(f"ANALYZE {SCHEMA}.tickets")
        conn.execute(f"ANALYZE {SCHEMA}.status_changes")
        conn.execute(f"ANALYZE {SCHEMA}.sla_clocks")
        conn.commit()
        raw_started = time.perf_counter()
        cur.execute(
            f"SELECT * FROM {SCHEMA}.tickets WHERE received_at >= %s AND received_at < %s",
            (QUARTER.start, QUARTER.end),
        )
        fetched = len(cur.fetchall())
        raw_select = time.perf_counter() - raw_started
    return {"rows": rows, "copy_rate": rows / seconds, "raw_select_s": raw_select,
            "raw_selected": fetched}  # fmt: skip


async def report_times(url: str) -> dict[str, Any]:
    calendar = load_business_calendar(catalog_dir())
    async with AsyncConnectionPool(url, min_size=1, max_size=4) as pool:
        service = ReportService(
            ReportQueries(pool, SCHEMA), calendar, clock=lambda: datetime.now(LOCAL_TZ)
        )
        started = time.perf_counter()
        report = await service.report(QUARTER, None)
        json_s = time.perf_counter() - started
    times = {"json": json_s}
    for name, render in (("csv", report_csv), ("xlsx", report_xlsx), ("html", report_html)):
        t0 = time.perf_counter()
        render(report)
        times[name] = json_s + time.perf_counter() - t0
    return {"seconds": times, "tickets": report["tickets"]["total"],
            "median_business_hours": report["resolution"]["median_business_hours"]}  # fmt: skip


# --- the run -------------------------------------------------------------------------------


def table(f: dict[str, Any]) -> str:
    r = f["rebuild"]
    lines = [
        f"reporting benchmark ({platform.python_implementation()} {platform.python_version()},"
        f" {f['cpus']} CPUs)",
        f"log: {r['events']:,} events; produce {r['produce_rate']:,.0f}/s",
        f"raw consume (getmany, no work)      {r['raw_consume_rate']:>12,.0f} events/s",
        f"live consumer (all projections)     {r['live_build_rate']:>12,.0f} events/s"
        f"   {r['live_build_rate'] / r['raw_consume_rate']:.2f}× raw",
    ]
    for name, x in r["rebuild"].items():
        lines.append(
            f"rebuild {name:<27} {x['rate']:>12,.0f} events/s   "
            f"{x['rate'] / r['raw_consume_rate']:.2f}× raw   ({x['seconds']} s; aim ≥ 20,000/s)"
        )
    q = f["report"]
    lines.append(
        f"quarterly report over {q['tickets']:,} tickets: COPY {q['copy_rate']:,.0f} rows/s;"
        f" raw SELECT of the quarter {q['raw_select_s']:.2f} s"
    )
    for name, seconds in q["seconds"].items():
        lines.append(
            f"  {name:<5} {seconds:8.2f} s   {seconds / q['raw_select_s']:.1f}× the raw SELECT"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.reporting", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--log-tickets", type=int, default=10_000, help="tickets in the log (≈10 events each)"
    )
    parser.add_argument(
        "--tickets", type=int, default=1_000_000, help="tickets in the quarterly report"
    )
    args = parser.parse_args(argv)  # fmt: skip
    remove_tree(STATE)
    STATE.mkdir(parents=True)
    pg_dir = STATE / "postgres"
    broker = Broker(free_port(), STATE / "broker.log")
    admin_url = start_postgres(pg_dir, free_port(), database="postgres")
    try:
        broker.start()
        urls = {}
        for name in ("bench_rebuild", "bench_report"):
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            urls[name] = admin_url.rsplit("/", 1)[0] + f"/{name}"
        figures: dict[str, Any] = {"cpus": __import__("os").cpu_count()}
        figures["rebuild"] = asyncio.run(
            rebuild_figures(urls["bench_rebuild"], broker.bootstrap, args.log_tickets)
        )
        print(f"bench: loading {args.tickets:,} tickets with COPY ...", flush=True)
        loaded = asyncio.run(load_tickets(urls["bench_report"], args.tickets))
        print("bench: the quarterly report ...", flush=True)
        figures["report"] = {**loaded, **asyncio.run(report_times(urls["bench_report"]))}
    finally:
        broker.stop()
        stop_postgres(pg_dir)
    (STATE / "last.json").write_text(json.dumps(figures, indent=2, default=str))
    print(table(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
