"""`python -m bench.mail`: raw messages per second through the parser, and over SMTP to a stored
ticket.

1. The parser alone (pure, one core): every message of tests/data/mail/ parsed, and taken
   through the whole intake decision, round after round for a few seconds.
2. SMTP to a stored ticket: its own PostgreSQL and Tansu broker (state under .hotro/bench-mail/,
   fresh each run) and the intake service alone; N distinct messages delivered over SMTP by C
   concurrent clients. The listener answers 250 only once the ticket (or dead letter) is stored,
   so a 250 is a stored message; the count of stored tickets is checked at the end.

Prints a table and writes .hotro/bench-mail/last.json; stops everything it started.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import secrets
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import aiosmtplib
import psycopg

from services.intake.domain.mail import UnparseableMail, parse_mail
from services.intake.domain.mail_decision import ThreadIndex, decide_raw
from tools.embedded import Broker, free_port, remove_tree, start_postgres, stop_postgres
from tools.suite import ROOT, Suite

STATE = ROOT / ".hotro" / "bench-mail"
CORPUS = ROOT / "tests" / "data" / "mail"
SUBJECTS = (
    "Không đăng nhập được TABMIS",
    "Lỗi lệnh chuyển Có trên TTSP",
    "Máy in không in được chứng từ",
    "Không gửi được thư điện tử",
    "Lỗi kết xuất báo cáo trên kho dữ liệu TABMIS",
)


def parser_figures(seconds: float) -> dict[str, Any]:
    raws = [p.read_bytes() for p in sorted(CORPUS.glob("*.eml"))]
    index = ThreadIndex(our_domain="hotro.kbnn.gov.vn")
    figures: dict[str, Any] = {"corpus_messages": len(raws)}
    for name, step in (
        ("parse", parse_mail_or_refusal),
        ("decide", lambda r: decide_raw(r, index)),
    ):
        done, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            for raw in raws:
                step(raw)
            done += len(raws)
        figures[f"{name}_msgs_per_s"] = round(done / (time.perf_counter() - started), 1)
    return figures


def parse_mail_or_refusal(raw: bytes) -> None:
    with contextlib.suppress(UnparseableMail):
        parse_mail(raw)


def _message(i: int, run: str) -> bytes:
    subject = f"{SUBJECTS[i % len(SUBJECTS)]} ({run} {i})"
    lines = [
        f"From: Người dùng {i} <user{i % 500}@kbnn.gov.vn>",
        "To: hotrocntt@kbnn.gov.vn",
        f"Subject: {subject}",
        f"Message-ID: <bench-{run}-{i}@kbnn.gov.vn>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
        "",
        "Kính gửi Phòng Tin học,",
        "",
        f"{subject}: báo lỗi từ sáng nay, đề nghị hỗ trợ.",
        "",
        "Trân trọng,",
        f"Người dùng {i}",
        "",
    ]
    return "\r\n".join(lines).encode()


async def smtp_figures(port: int, count: int, concurrency: int) -> dict[str, Any]:
    run = uuid.uuid4().hex[:6]
    pending = iter(range(count))
    latencies: list[float] = []
    failures: dict[str, int] = {}

    async def client() -> None:
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=60)
        await smtp.connect()
        try:
            for i in pending:
                sent = time.perf_counter()
                try:
                    await smtp.sendmail(
                        "bench@kbnn.gov.vn", ["hotrocntt@kbnn.gov.vn"], _message(i, run)
                    )
                except aiosmtplib.SMTPException as error:
                    failures[type(error).__name__] = failures.get(type(error).__name__, 0) + 1
                    continue
                latencies.append(time.perf_counter() - sent)
        finally:
            await smtp.quit()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float | None:
        return (
            round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 1)
            if latencies
            else None
        )

    return {
        "messages": count,
        "concurrency": concurrency,
        "stored": len(latencies),
        "failures": failures,
        "smtp_msgs_per_s": round(len(latencies) / elapsed, 1),
        "latency_ms_p50": pct(0.5),
        "latency_ms_p95": pct(0.95),
        "latency_ms_p99": pct(0.99),
        "run": run,
    }


def stored_tickets(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM intake.intake_events WHERE topic LIKE %s",
            ("%Ticket.Submitted",),
        ).fetchone()
    return int(row[0]) if row else 0


def table(figures: dict[str, Any]) -> str:
    p, s = figures["parser"], figures["smtp"]
    return "\n".join(
        [
            "",
            "| path | messages/s | notes |",
            "|---|---:|---|",
            f"| parser (parse_mail) | {p['parse_msgs_per_s']} | {p['corpus_messages']} corpus messages, one core |",
            f"| parser + intake decision | {p['decide_msgs_per_s']} | loops, threading, outcome |",
            f"| SMTP → stored ticket | {s['smtp_msgs_per_s']} | {s['stored']}/{s['messages']} stored,"
            f" {s['concurrency']} clients, p50 {s['latency_ms_p50']} ms, p95 {s['latency_ms_p95']} ms |",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mail")
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--parser-seconds", type=float, default=3.0)
    args = parser.parse_args(argv)

    print("bench.mail: the parser ...", flush=True)
    figures: dict[str, Any] = {
        "at": datetime.now(UTC).isoformat(),
        "parser": parser_figures(args.parser_seconds),
    }
    remove_tree(STATE)
    STATE.mkdir(parents=True)
    pg_dir, log_dir = STATE / "postgres", STATE / "logs"
    broker: Broker | None = None
    suite: Suite | None = None
    try:
        admin_url = start_postgres(pg_dir, free_port(), database="postgres")
        database_url = admin_url.rsplit("/", 1)[0] + "/hotro_bench_mail"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute('CREATE DATABASE "hotro_bench_mail"')
        broker = Broker(free_port(), log_dir / "broker.log")
        broker.start()
        suite = Suite(
            database_url=database_url,
            bootstrap=broker.bootstrap,
            log_dir=log_dir,
            ports={"intake": free_port(), "smtp": free_port()},
            admin_token=secrets.token_urlsafe(16),
            extra_env={
                "HOTRO_TOPIC_PREFIX": f"benchmail{uuid.uuid4().hex[:6]}.",
                "HOTRO_REBALANCE_TIMEOUT_S": "3",
            },
        )
        print("bench.mail: starting intake ...", flush=True)
        suite.start("intake")
        suite.wait_ready(timeout_s=90, services=("intake",))
        print(
            f"bench.mail: {args.messages} messages over SMTP, {args.concurrency} clients ...",
            flush=True,
        )
        figures["smtp"] = asyncio.run(
            smtp_figures(suite.ports["smtp"], args.messages, args.concurrency)
        )
        figures["smtp"]["tickets_in_store"] = stored_tickets(database_url)
        print(table(figures))
        (STATE / "last.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
        print(f"bench.mail: figures in {STATE / 'last.json'}")
        return 0 if figures["smtp"]["tickets_in_store"] >= args.messages else 1
    finally:
        if suite is not None:
            suite.stop_all()
        if broker is not None:
            broker.stop()
        stop_postgres(pg_dir)


if __name__ == "__main__":
    sys.exit(main())
