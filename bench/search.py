"""`python -m bench.search`: the queue search (`q`) and the SLA-ordered queue on PostgreSQL.

Fills intake's ticket view (its real DDL, `ticket_view.ensure_tables`) with N tickets whose
texts are the labelled tickets of `catalog/training/` (with a requester, a number and a
comment's worth of words each), then times `TicketQueries.page` — the gateway's own query —
for word searches (`search_words @> …`, GIN index) and the `sort=sla` queue of one office,
against the raw baseline the search replaced: `search LIKE '%word%'` over the same rows.
An embedded PostgreSQL is started for the run (state under .hotro/bench-search/).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool

from libs.catalog import load_catalog
from libs.text import fold, words
from services.intake.adapters.ticket_view import TicketQueries, ensure_tables
from services.routing.adapters.corpus import load_examples
from tools.embedded import free_port, remove_tree, start_postgres, stop_postgres
from tools.suite import ROOT

STATE = ROOT / ".hotro" / "bench-search"
SCHEMA = "intake"
QUERIES = ("tabmis dang nhap", "thanh toan", "ảnh", "máy in", "nguyen van", "ttsp chung tu")
NAMES = ("Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Tâm", "Phạm Thị Hoa", "Đỗ Minh Khôi")


def _rows(count: int) -> list[tuple[Any, ...]]:
    texts = [e.text for e in load_examples(load_catalog())]
    rng = random.Random(13)
    now = datetime.now(UTC)
    rows = []
    for i in range(count):
        text = rng.choice(texts)
        name = rng.choice(NAMES)
        subject, description = text[:80], text + " " + rng.choice(texts)
        number = f"YC-2026-{i + 1:06d}"
        all_words = sorted(set(words(f"{number} {subject} {description} {name} u{i}@kbnn.gov.vn")))
        rows.append(
            (
                uuid.uuid4(), number, subject, description, fold(f"{number} {subject} {description}"),
                all_words, all_words, f"PTH-{i % 40:02d}", now - timedelta(minutes=i),
                now + timedelta(minutes=rng.randint(-600, 6000)), rng.random() < 0.05,
                f"P{rng.randint(1, 4)}",
            )
        )  # fmt: skip
    return rows


async def _fill(url: str, count: int) -> AsyncConnectionPool[Any]:
    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(url, min_size=1, max_size=4, open=False)
    await pool.open(wait=True)
    async with pool.connection() as conn:
        await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"')
    await ensure_tables(pool, SCHEMA)
    async with pool.connection() as conn, conn.cursor() as cur:
        await cur.executemany(
            f'INSERT INTO "{SCHEMA}".ticket_view (id, number, subject, description, search,'
            " search_words, public_words, handler, received_at, due_at, breached, priority)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            _rows(count),
        )
        await conn.execute(f'ANALYZE "{SCHEMA}".ticket_view')
    return pool


async def _timed(repeats: int, run: Any) -> float:
    started = time.perf_counter()
    for _ in range(repeats):
        await run()
    return (time.perf_counter() - started) / repeats * 1000


async def measure(url: str, count: int, repeats: int) -> dict[str, Any]:
    pool = await _fill(url, count)
    queries = TicketQueries(pool, SCHEMA)
    figures: dict[str, Any] = {"tickets": count, "searches": {}}
    try:
        for q in QUERIES:

            async def by_words(q: str = q) -> None:
                await queries.page({}, q, 50, 0)

            async def by_like(q: str = q) -> None:
                clauses = " AND ".join("search LIKE %s" for _ in fold(q).split())
                async with pool.connection() as conn:
                    await conn.execute(
                        f'SELECT count(*) FROM "{SCHEMA}".ticket_view WHERE {clauses}',
                        [f"%{w}%" for w in fold(q).split()],
                    )
                    await conn.execute(
                        f'SELECT * FROM "{SCHEMA}".ticket_view WHERE {clauses}'
                        " ORDER BY received_at DESC LIMIT 50",
                        [f"%{w}%" for w in fold(q).split()],
                    )

            _, total = await queries.page({}, q, 1, 0)
            figures["searches"][q] = {
                "hits": total,
                "words_ms": await _timed(repeats, by_words),
                "like_ms": await _timed(repeats, by_like),
            }

        async with pool.connection() as conn:
            cur = await conn.execute(
                f'EXPLAIN SELECT id FROM "{SCHEMA}".ticket_view WHERE search_words @> %s::text[]',
                (["ttsp", "chung", "tu"],),
            )
            plan = " ".join(str(row[0]) for row in await cur.fetchall())
        figures["uses_word_index"] = "ticket_view_words" in plan

        async def queue() -> None:
            await queries.page({"handler": "PTH-07"}, None, 50, 0, order="sla")

        figures["queue_sla_ms"] = await _timed(repeats, queue)
    finally:
        await pool.close()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    remove_tree(STATE)
    STATE.mkdir(parents=True)
    pg_dir = STATE / "postgres"
    try:
        admin_url = start_postgres(pg_dir, free_port(), database="postgres")
        url = admin_url.rsplit("/", 1)[0] + "/search_bench"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute('CREATE DATABASE "search_bench"')
        print(f"bench.search: {args.tickets} tickets in the view ...", flush=True)
        figures = asyncio.run(measure(url, args.tickets, args.repeats))
    finally:
        stop_postgres(pg_dir)
    print(f"{'q':<22}{'hits':>8}{'words ms':>10}{'LIKE ms':>10}{'ratio':>8}")
    for q, f in figures["searches"].items():
        ratio = f["like_ms"] / f["words_ms"] if f["words_ms"] else 0
        print(f"{q:<22}{f['hits']:>8}{f['words_ms']:>10.1f}{f['like_ms']:>10.1f}{ratio:>8.1f}")
    print(f"queue of one office, sort=sla, page of 50: {figures['queue_sla_ms']:.1f} ms")
    print(f"word search uses the GIN index: {figures['uses_word_index']}")
    (STATE / "last.json").write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
