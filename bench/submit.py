"""`python -m bench.submit`: tickets through the whole suite against raw Kafka and PostgreSQL.

Starts its own PostgreSQL and Tansu broker (state under .hotro/bench/, fresh each run), the five
services, then:

* submits N tickets through the gateway with C concurrent clients and, polling the gateway's
  ticket view every 50 ms, stamps when each ticket is first seen with a tier (assigned);
* measures raw baselines on the same servers: aiokafka produce/consume of N x 500 B messages,
  and N single-row committed INSERTs with psycopg.

Prints a table, writes the figures to .hotro/bench/last.json, and stops everything it started,
also on error, Ctrl-C or after the 10-minute limit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import random
import secrets
import signal
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import FrameType
from typing import Any

import httpx
import psycopg
from psycopg.types.json import Jsonb

from tools.embedded import Broker, free_port, remove_tree, start_postgres, stop_postgres
from tools.suite import ROOT, SERVICES, Suite

STATE = ROOT / ".hotro" / "bench"
TIME_LIMIT_S = 600.0
POLL_INTERVAL_S = 0.05
MESSAGE_BYTES = 500
PARTITIONS = 6


class BenchTimeout(Exception):
    """The whole run went past TIME_LIMIT_S."""


# --- realistic tickets --------------------------------------------------------------------

UNITS = (
    "KBNN-HNI",
    "KBNN-HCM",
    "KBNN-DNG",
    "CUC-CNTT",
    "SGD",
    "STC-HNI",
    "STC-HCM",
    "BO-YT",
)
NAMES = (
    "Nguyễn Thị Lan",
    "Trần Văn Hùng",
    "Lê Thị Thu Hà",
    "Phạm Quốc Bảo",
    "Hoàng Minh Tuấn",
    "Vũ Thị Ngọc Ánh",
    "Đặng Văn Khoa",
    "Bùi Thị Hồng Nhung",
    "Đỗ Đức Thắng",
    "Ngô Thị Mai",
)
#: (application code or None to let routing read the text, subject, description)
TEMPLATES: tuple[tuple[str | None, str, str], ...] = (
    (
        "TABMIS",
        "Không đăng nhập được TABMIS, báo sai mật khẩu",
        "Sáng nay tôi không đăng nhập được TABMIS dù đã đổi mật khẩu hôm qua.",
    ),
    (
        "TABMIS",
        "Lỗi khi hạch toán bút toán trên phân hệ sổ cái (GL) chứng từ số {n}",
        "Hệ thống báo lỗi khi lưu bút toán, xin hỗ trợ gấp để kịp khóa sổ.",
    ),
    (
        None,
        "Phân hệ quản lý chi TABMIS không hiện dự toán của đơn vị {n}",
        "Đơn vị đã được phân bổ dự toán nhưng tra cứu không thấy số liệu.",
    ),
    (
        "TTSP",
        "Lệnh thanh toán song phương điện tử số {n} bị treo",
        "Lệnh đã gửi từ 9 giờ nhưng chưa có phản hồi từ ngân hàng.",
    ),
    (
        "DVC",
        "Dịch vụ công trực tuyến không ký số được hồ sơ {n}",
        "Khi ký số hồ sơ kiểm soát chi, hệ thống báo không tìm thấy chứng thư số.",
    ),
    (
        None,
        "Không gửi được thư điện tử ra ngoài ngành",
        "Hộp thư báo lỗi khi gửi thư có tệp đính kèm lớn hơn 10 MB.",
    ),
    (
        "MAIL",
        "Hộp thư đầy, không nhận được thư mới",
        "Xin tăng dung lượng hộp thư hoặc hướng dẫn lưu trữ thư cũ.",
    ),
    (
        "DMFAS",
        "DMFAS báo lỗi khi nhập khoản vay số {n}",
        "Không lưu được thông tin khoản vay, màn hình báo lỗi cơ sở dữ liệu.",
    ),
    (
        None,
        "Mạng LAN tầng {n} bị mất kết nối",
        "Toàn bộ máy tính tầng này không truy cập được mạng nội bộ từ 8 giờ sáng.",
    ),
    (
        "TCS-TT",
        "Thu ngân sách qua TCS không đối chiếu được với ngân hàng",
        "Số liệu thu ngày hôm qua lệch so với bảng kê của ngân hàng phối hợp thu.",
    ),
    (
        "QLTS",
        "Không in được báo cáo tài sản công năm {n}",
        "Chức năng in báo cáo trả về trang trắng, đã thử nhiều trình duyệt.",
    ),
    (
        None,
        "Máy in phòng kế toán không hoạt động",
        "Máy in báo kẹt giấy liên tục dù đã kiểm tra khay giấy.",
    ),
)


def ticket_bodies(count: int, seed: int = 20261129) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    bodies = []
    for i in range(count):
        application, subject, description = rng.choice(TEMPLATES)
        name = rng.choice(NAMES)
        body: dict[str, Any] = {
            "requester": {
                "name": name,
                "email": f"nguoidung{i}@kbnn.gov.vn",
                "unit_code": rng.choice(UNITS),
            },
            "subject": subject.format(n=rng.randint(1, 9999)),
            "description": description,
            "priority": rng.choices(("P2", "P3", "P4"), weights=(1, 6, 2))[0],
        }
        if application is not None:
            body["application_code"] = application
        bodies.append(body)
    return bodies


# --- figures --------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile; None when there is nothing to rank."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def rate(count: int, seconds: float) -> float | None:
    return count / seconds if seconds > 0 else None


@dataclass
class PipelineRun:
    submitted: dict[str, float] = field(default_factory=dict)  # ticket id -> request sent
    http_ms: list[float] = field(default_factory=list)
    assigned: dict[str, float] = field(default_factory=dict)  # ticket id -> first seen with tier
    failures: dict[str, int] = field(default_factory=dict)
    started: float = 0.0
    submit_done: float = 0.0
    all_submitted: bool = False


# --- the ticket pipeline --------------------------------------------------------------------


async def submit_tickets(
    gateway: str, bodies: list[dict[str, Any]], concurrency: int, run: PipelineRun
) -> None:
    next_index = iter(range(len(bodies)))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(base_url=gateway, limits=limits, timeout=30) as client:

        async def worker() -> None:
            for i in next_index:
                sent = time.perf_counter()
                try:
                    response = await client.post("/api/v1/tickets", json=bodies[i])
                except httpx.HTTPError as error:
                    key = type(error).__name__
                    run.failures[key] = run.failures.get(key, 0) + 1
                    continue
                done = time.perf_counter()
                if response.status_code != 201:
                    key = f"HTTP {response.status_code}"
                    run.failures[key] = run.failures.get(key, 0) + 1
                    if run.failures[key] == 1:
                        print(f"  first {key}: {response.text[:300]}", file=sys.stderr)
                    continue
                run.http_ms.append((done - sent) * 1000)
                run.submitted[response.json()["id"]] = sent

        run.started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        run.submit_done = time.perf_counter()
        run.all_submitted = True


async def poll_assigned(database_url: str, run: PipelineRun, deadline: float) -> None:
    """Every 50 ms: which submitted tickets has the view seen with a tier? Stamp the first time."""
    query = "SELECT id::text FROM intake.ticket_view WHERE tier IS NOT NULL AND id = ANY(%s)"
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        while time.perf_counter() < deadline:
            pending = [uuid.UUID(t) for t in run.submitted if t not in run.assigned]
            if pending:
                try:
                    rows = await (await conn.execute(query, (pending,))).fetchall()
                except psycopg.errors.UndefinedTable:
                    rows = []
                now = time.perf_counter()
                for (ticket_id,) in rows:
                    run.assigned.setdefault(ticket_id, now)
            elif run.all_submitted:
                return
            await asyncio.sleep(POLL_INTERVAL_S)


async def ticket_pipeline(
    gateway: str, database_url: str, count: int, concurrency: int, deadline: float
) -> PipelineRun:
    run = PipelineRun()
    bodies = ticket_bodies(count)
    poller = asyncio.create_task(poll_assigned(database_url, run, deadline))
    try:
        await asyncio.wait_for(
            submit_tickets(gateway, bodies, concurrency, run),
            timeout=max(1.0, deadline - time.perf_counter()),
        )
    except TimeoutError:
        print("  submitting ran out of time; reporting what was accepted", file=sys.stderr)
        run.submit_done = time.perf_counter()
        run.all_submitted = True
    await poller
    return run


def pipeline_figures(run: PipelineRun, count: int) -> dict[str, Any]:
    accepted = len(run.submitted)
    latencies = [
        (run.assigned[t] - sent) * 1000 for t, sent in run.submitted.items() if t in run.assigned
    ]
    last_assigned = max(run.assigned.values(), default=None)
    e2e = (
        rate(len(run.assigned), last_assigned - run.started) if last_assigned is not None else None
    )
    return {
        "tickets_requested": count,
        "tickets_accepted": accepted,
        "tickets_assigned": len(run.assigned),
        "submit_failures": run.failures,
        "submit_seconds": run.submit_done - run.started,
        "submit_tps": rate(accepted, run.submit_done - run.started),
        "e2e_seconds": (last_assigned - run.started) if last_assigned is not None else None,
        "e2e_tps": e2e,
        "assign_latency_ms": {p: percentile(latencies, q) for p, q in PCTS.items()},
        "http_latency_ms": {p: percentile(run.http_ms, q) for p, q in PCTS.items()},
    }


PCTS = {"p50": 50.0, "p95": 95.0, "p99": 99.0}


# --- raw baselines --------------------------------------------------------------------------


async def raw_kafka(bootstrap: str, count: int, deadline: float) -> dict[str, Any]:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    topic = f"bench.raw.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, PARTITIONS, 1)])
    finally:
        await admin.close()

    payload = os.urandom(MESSAGE_BYTES // 2).hex().encode()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        # Warm the metadata so the timed loop measures producing, not the first lookup.
        await producer.partitions_for(topic)
        started = time.perf_counter()
        futures = [await producer.send(topic, payload, key=str(i).encode()) for i in range(count)]
        await asyncio.gather(*futures)
        produce_s = time.perf_counter() - started
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"{topic}.group",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    seen = 0
    consume_s = 0.0
    try:
        # Join the group and fetch once, then rewind: the timed loop measures fetching only.
        while not await consumer.getmany(timeout_ms=200):
            if time.perf_counter() > deadline:
                raise BenchTimeout("the raw consumer never joined its group")
        await consumer.seek_to_beginning()
        started = time.perf_counter()
        give_up = min(deadline, started + 120)
        while seen < count and time.perf_counter() < give_up:
            batches = await consumer.getmany(timeout_ms=200, max_records=10_000)
            seen += sum(len(records) for records in batches.values())
        consume_s = time.perf_counter() - started
        await consumer.commit()
    finally:
        await consumer.stop()
    return {
        "messages": count,
        "message_bytes": MESSAGE_BYTES,
        "partitions": PARTITIONS,
        "produce_msgs_per_s": rate(count, produce_s),
        "consumed": seen,
        "consume_msgs_per_s": rate(seen, consume_s),
        "note": "consume timed after the group join, from a rewind to the beginning",
    }


async def raw_postgres(database_url: str, count: int) -> dict[str, Any]:
    table = "public.bench_raw_insert"
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await conn.execute(f"DROP TABLE IF EXISTS {table}")
        await conn.execute(
            f"CREATE TABLE {table} (id bigserial PRIMARY KEY, ticket_id uuid NOT NULL,"
            " created_at timestamptz NOT NULL DEFAULT now(), data jsonb NOT NULL)"
        )
        bodies = ticket_bodies(min(count, 200), seed=7)
        started = time.perf_counter()
        for i in range(count):
            # autocommit: every INSERT is its own committed transaction
            await conn.execute(
                f"INSERT INTO {table} (ticket_id, data) VALUES (%s, %s)",
                (uuid.uuid4(), Jsonb(bodies[i % len(bodies)])),
            )
        insert_s = time.perf_counter() - started
    return {"rows": count, "insert_rows_per_s": rate(count, insert_s)}


# --- running it -----------------------------------------------------------------------------


def fmt(value: float | None, unit: str = "", digits: int = 0) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}{unit}"


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def table(figures: dict[str, Any]) -> str:
    p = figures["pipeline"]
    k = figures["raw_kafka"]
    pg = figures["raw_postgres"]
    r = figures["ratios"]
    lat, http = p["assign_latency_ms"], p["http_latency_ms"]
    rows = [
        (
            f"Ticket pipeline (N={p['tickets_requested']}, C={figures['concurrency']})",
            "",
        ),
        ("  accepted / assigned", f"{p['tickets_accepted']} / {p['tickets_assigned']}"),
        ("  submit throughput (gateway 201s)", fmt(p["submit_tps"], " tickets/s", 1)),
        ("  end-to-end throughput (to assigned)", fmt(p["e2e_tps"], " tickets/s", 1)),
        (
            "  submit->assigned p50 / p95 / p99",
            " / ".join(fmt(lat[q]) for q in ("p50", "p95", "p99")) + " ms",
        ),
        (
            "  HTTP submit p50 / p99",
            f"{fmt(http['p50'], digits=1)} / {fmt(http['p99'], digits=1)} ms",
        ),
        ("Raw baselines (same servers)", ""),
        ("  aiokafka produce (500 B, acks=all, 6 p)", fmt(k["produce_msgs_per_s"], " msgs/s")),
        ("  aiokafka consume (getmany, group)", fmt(k["consume_msgs_per_s"], " msgs/s")),
        ("  psycopg INSERT, 1 row per commit", fmt(pg["insert_rows_per_s"], " rows/s")),
        ("Ratios (end-to-end tickets/s over raw)", ""),
        ("  vs raw produce", fmt(r["e2e_vs_raw_produce"], "", 4)),
        ("  vs raw insert  <- the figure that matters", fmt(r["e2e_vs_raw_insert"], "", 3)),
    ]
    if p["submit_failures"]:
        rows.insert(2, ("  submit failures", json.dumps(p["submit_failures"])))
    width = max(len(label) for label, _ in rows) + 2
    line = "-" * (width + 24)
    out = [line]
    for label, value in rows:
        out.append(f"{label:<{width}}{value:>24}" if value else label)
    out.append(line)
    return "\n".join(out)


def _raise_timeout(signum: int, frame: FrameType | None) -> None:
    raise BenchTimeout(f"the benchmark went past {TIME_LIMIT_S:.0f} s")


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.submit", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--tickets", type=int, default=1000, help="tickets (and raw messages/rows)")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent HTTP clients")
    args = parser.parse_args(argv)
    if args.tickets < 1 or args.concurrency < 1:
        parser.error("--tickets and --concurrency must be at least 1")

    t0 = time.perf_counter()
    deadline = t0 + TIME_LIMIT_S - 15  # leave time to stop everything inside the limit
    signal.signal(signal.SIGALRM, _raise_timeout)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.alarm(int(TIME_LIMIT_S))

    remove_tree(STATE)
    STATE.mkdir(parents=True)
    pg_dir, log_dir = STATE / "postgres", STATE / "logs"
    broker: Broker | None = None
    suite: Suite | None = None
    pg_started = False
    try:
        print(f"bench: state in {STATE}", flush=True)
        pg_started = True
        admin_url = start_postgres(pg_dir, free_port(), database="postgres")
        database_url = admin_url.rsplit("/", 1)[0] + "/hotro_bench"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute('CREATE DATABASE "hotro_bench"')
        broker = Broker(free_port(), log_dir / "broker.log")
        broker.start()

        print("bench: raw baselines ...", flush=True)
        raw_k = asyncio.run(raw_kafka(broker.bootstrap, args.tickets, deadline))
        raw_pg = asyncio.run(raw_postgres(database_url, args.tickets))

        prefix = f"bench{uuid.uuid4().hex[:8]}."
        suite = Suite(
            database_url=database_url,
            bootstrap=broker.bootstrap,
            log_dir=log_dir,
            ports={service: free_port() for service in (*SERVICES, "smtp")},
            admin_token=secrets.token_urlsafe(16),
            extra_env={
                "HOTRO_TOPIC_PREFIX": prefix,
                "HOTRO_REBALANCE_TIMEOUT_S": "3",
                # One client address submits everything: the public rate limit would measure itself.
                "HOTRO_PUBLIC_RATE_PER_MINUTE": "0",
            },
        )
        print(f"bench: starting the suite (topic prefix {prefix}) ...", flush=True)
        suite.start_all()
        suite.wait_ready(timeout_s=max(1.0, min(120.0, deadline - time.perf_counter())))

        print(
            f"bench: submitting {args.tickets} tickets, {args.concurrency} at a time ...",
            flush=True,
        )
        run = asyncio.run(
            ticket_pipeline(
                suite.url("intake"), database_url, args.tickets, args.concurrency, deadline
            )
        )
        pipeline = pipeline_figures(run, args.tickets)
        figures: dict[str, Any] = {
            "at": datetime.now(UTC).isoformat(),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "tickets": args.tickets,
            "concurrency": args.concurrency,
            "pipeline": pipeline,
            "raw_kafka": raw_k,
            "raw_postgres": raw_pg,
            "ratios": {
                "e2e_vs_raw_produce": ratio(pipeline["e2e_tps"], raw_k["produce_msgs_per_s"]),
                "e2e_vs_raw_insert": ratio(pipeline["e2e_tps"], raw_pg["insert_rows_per_s"]),
                "submit_vs_raw_insert": ratio(pipeline["submit_tps"], raw_pg["insert_rows_per_s"]),
            },
            "logs": str(log_dir),
            "wall_seconds": time.perf_counter() - t0,
        }
        print(table(figures))
        (STATE / "last.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
        print(f"bench: figures in {STATE / 'last.json'}, service logs in {log_dir}")
        if pipeline["tickets_assigned"] < args.tickets:
            print(
                f"bench: only {pipeline['tickets_assigned']} of {args.tickets} tickets were"
                f" assigned; see {log_dir}",
                file=sys.stderr,
            )
            return 1
        return 0
    except (BenchTimeout, KeyboardInterrupt) as stop:
        print(f"\nbench: stopped ({stop or 'interrupted'}); logs in {log_dir}", file=sys.stderr)
        return 130 if isinstance(stop, KeyboardInterrupt) else 2
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not skip the cleanup
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if suite is not None:
            suite.stop_all()
        if broker is not None:
            broker.stop()
        if pg_started:
            stop_postgres(pg_dir)


if __name__ == "__main__":
    sys.exit(main())
