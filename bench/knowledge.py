"""`python -m bench.knowledge`: knowledge-base search latency over 10,000 articles and
1,000,000 solved tickets (SPEC §6b: p95 < 100 ms).

The corpus is generated from Vietnamese symptom, object, place and fix phrases (folded once,
then combined), loaded with COPY into an embedded PostgreSQL started for the run (state under
.hotro/bench-knowledge/, fresh each run), indexed as the service indexes it, and the vocabulary
counted with `ts_stat`. Each query is then run the way `GET /api/v1/kb/articles?q=` runs for a
handler: `prepare` (fold, chat spellings, rarest words, near-typos from the vocabulary), then
articles and solved tickets with the relaxation of `domain/search.py`.

The raw baseline is the plain full-text search one writes first on the same index: one
`plainto_tsquery` AND of every folded word per table, every match ranked — no typo expansion,
no relaxation, no candidate window (and so no result when one word is misspelt or missing). Also printed: whether `unaccent` and
`pg_trgm` are available in the embedded server (both are; only `pg_trgm` is used).

Prints a table and writes the figures to .hotro/bench-knowledge/last.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg import AsyncConnection

from services.knowledge.adapters import search_index
from services.knowledge.adapters.search_index import ArticleFilter
from services.knowledge.domain.search import fold_document
from tools.embedded import free_port, remove_tree, start_postgres, stop_postgres
from tools.suite import ROOT

STATE = ROOT / ".hotro" / "bench-knowledge"
SCHEMA = "knowledge"
APPS = ("TABMIS", "TABMIS-DW", "TTSP", "TTLKB-T4", "TTLNH", "TCS-TT", "DVC", "KTNB", "QLTS",
        "MAIL", "PORTAL", "EDOCMAN", "DTKB-GD", "BMS", "QHNS")  # fmt: skip
SYMPTOMS = (
    "không đăng nhập được", "báo lỗi kết nối máy chủ", "không in được", "bị treo khi lưu",
    "chứng từ không chuyển đi được", "mật khẩu hết hạn", "tài khoản bị khóa", "lỗi phông chữ",
    "không kết xuất được báo cáo", "chạy rất chậm", "sai số liệu đối chiếu", "không ký số được",
    "lệnh thanh toán bị trả về", "không nộp được hồ sơ", "hộp thư đầy", "không gửi được thư",
    "mất kết nối mạng", "không cập nhật được danh mục", "không tính được hao mòn",
    "báo lỗi ORA-12170", "màn hình trắng", "không mở được chương trình", "báo sai mã đơn vị",
    "không duyệt được chứng từ", "không khóa sổ được", "dữ liệu không đồng bộ",
)  # fmt: skip
OBJECTS = (
    "bảng kê", "giấy nộp tiền", "lệnh chi", "báo cáo tổng hợp", "sổ cái", "phân hệ GL",
    "phân hệ AP", "chứng thư số", "USB token", "máy in", "trình duyệt", "tệp đính kèm",
    "danh mục mã kho bạc", "tài khoản đơn vị", "điện thanh toán", "máy trạm", "phiếu thu",
)  # fmt: skip
PLACES = ("Hà Nội", "Hồ Chí Minh", "Đà Nẵng", "Hải Phòng", "Cần Thơ", "Nghệ An", "Thanh Hóa",
          "Quảng Ninh", "Lâm Đồng", "Đắk Lắk", "Bắc Ninh", "Huế", "Khánh Hòa", "An Giang")  # fmt: skip
FIXES = (
    "Hướng dẫn người dùng tắt Caps Lock và đăng nhập lại", "Cấp lại mật khẩu cho người dùng",
    "Cài lại phông chữ Unicode trên máy trạm", "Khởi động lại dịch vụ trên máy chủ ứng dụng",
    "Cập nhật danh mục mã kho bạc mới", "Gia hạn chứng thư số và ký lại chứng từ",
    "Xóa hàng đợi in và in lại", "Mở cửa sổ bật lên trong trình duyệt",
    "Chuyển sang kênh truyền dự phòng", "Chạy lại đồng bộ số liệu cho ngày thiếu",
    "Nén tệp đính kèm dưới 5 MB rồi gửi lại", "Duyệt các chứng từ còn treo rồi khóa sổ",
)  # fmt: skip
CAUSES = ("user_error", "configuration", "software_bug", "infrastructure", "data")
QUERIES = (
    "Không đăng nhập được TABMIS", "khong dang nhap duoc tabmis", "ko dc dang nhap tabmis",
    "khong dang nhapp duoc tabmsi", "loi phong chu khi in bang ke", "lỗi phông chữ bảng kê",
    "chung tu ttsp khong chuyen di duoc", "hop thu day", "mat khau het han", "ORA-12170",
    "lenh thanh toan bi tra ve", "khong nop duoc ho so dich vu cong", "may in ket giay",
    "tabmis", "khong ky so duoc chung thu so", "du lieu khong dong bo bms",
    "không khóa sổ được KTNB cuối tháng", "mat ket noi mang dtkb gd", "bao cao tong hop sai",
    "treo khi luu giay nop tien tcs", "tai khoan bi khoa", "khong ket xuat dc bao cao",
)  # fmt: skip


def _folded(phrases: tuple[str, ...]) -> list[str]:
    return [fold_document(p) for p in phrases]


def generate_tickets(count: int, seed: int = 7) -> Any:
    """Rows for COPY: id, number, subject, resolution, cause, application, province,
    resolved_at, and the three folded parts the service stores (A, B, C)."""
    rng = random.Random(seed)
    symptoms, objects, places, fixes = (_folded(SYMPTOMS), _folded(OBJECTS), _folded(PLACES),
                                        _folded(FIXES))  # fmt: skip
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for i in range(count):
        app = rng.choice(APPS)
        s, o, p, f = rng.randrange(len(SYMPTOMS)), rng.randrange(len(OBJECTS)), \
            rng.randrange(len(PLACES)), rng.randrange(len(FIXES))  # fmt: skip
        subject = f"{app} {SYMPTOMS[s]} {OBJECTS[o]}"
        extra = f"so {rng.randrange(100_000)}"
        yield (
            str(uuid.UUID(int=i + 1)), f"YC-2025-{i + 1:06d}", subject, FIXES[f],
            rng.choice(CAUSES), app, p, start + timedelta(seconds=i * 60),
            f"{fold_document(app)} {symptoms[s]} {objects[o]}",
            f"kho bac {places[p]} bao {symptoms[rng.randrange(len(SYMPTOMS))]} {extra}",
            f"{fixes[f]} {fold_document(app)}",
        )  # fmt: skip


async def load(conn: AsyncConnection[Any], tickets: int, articles: int) -> dict[str, float]:
    timings: dict[str, float] = {}
    await search_index.ensure_tables(conn, SCHEMA)
    await conn.execute("DROP INDEX knowledge.solved_tickets_tsv, knowledge.articles_tsv")
    await conn.execute(
        "CREATE UNLOGGED TABLE staging (id uuid, number text, subject text, resolution text,"
        " cause text, application text, province text, resolved_at timestamptz,"
        " a text, b text, c text)"
    )
    started = time.perf_counter()
    async with conn.cursor() as cur, cur.copy("COPY staging FROM STDIN") as copy:
        for row in generate_tickets(tickets + articles):
            await copy.write_row(row)
    timings["copy_s"] = time.perf_counter() - started
    started = time.perf_counter()
    weights = ("setweight(to_tsvector('simple', a), 'A') || setweight(to_tsvector('simple', b),"
               " 'B') || setweight(to_tsvector('simple', c), 'C')")  # fmt: skip
    await conn.execute(
        "INSERT INTO knowledge.solved_tickets SELECT id, number, subject, resolution, cause,"
        f" application, province::text, resolved_at, {weights} FROM staging"
        f" ORDER BY number LIMIT {tickets}"
    )
    await conn.execute(
        "INSERT INTO knowledge.articles SELECT id, 'published', 1, 1,"
        " CASE WHEN random() < 0.5 THEN 'public' ELSE 'internal' END, ARRAY[application],"
        f" subject, resolved_at, jsonb_build_object('published_revision', 1), {weights}"
        f" FROM staging ORDER BY number OFFSET {tickets}"
    )
    timings["tsvector_s"] = time.perf_counter() - started
    started = time.perf_counter()
    await conn.execute("SET maintenance_work_mem = '256MB'")
    await conn.execute(
        "CREATE INDEX solved_tickets_tsv ON knowledge.solved_tickets USING gin (tsv)"
    )
    await conn.execute("CREATE INDEX articles_tsv ON knowledge.articles USING gin (tsv)")
    await conn.execute(
        "INSERT INTO knowledge.search_terms (term, df) SELECT word, ndoc FROM"
        " ts_stat('SELECT tsv FROM knowledge.solved_tickets UNION ALL"
        " SELECT tsv FROM knowledge.articles')"
    )
    await conn.execute("DROP TABLE staging")
    await conn.execute("ANALYZE")
    timings["index_s"] = time.perf_counter() - started
    return timings


async def ours(conn: AsyncConnection[Any], q: str) -> int:
    query = await search_index.prepare(conn, SCHEMA, q)
    found = await search_index.search_articles(
        conn, SCHEMA, query, ArticleFilter(published_only=True, public_only=False), 20
    )
    tickets = await search_index.search_tickets(conn, SCHEMA, query, 20)
    return len(found) + len(tickets)


async def raw(conn: AsyncConnection[Any], q: str) -> int:
    folded = fold_document(q)
    total = 0
    for table in ("articles", "solved_tickets"):
        cur = await conn.execute(
            f"SELECT 1 FROM knowledge.{table} WHERE tsv @@ plainto_tsquery('simple', %s)"
            " ORDER BY ts_rank_cd(tsv, plainto_tsquery('simple', %s), 1) DESC LIMIT 20",
            (folded, folded),
        )
        total += len(await cur.fetchall())
    return total


async def measure(conn: AsyncConnection[Any], search: Any, rounds: int) -> dict[str, Any]:
    for q in QUERIES:  # warm the caches once
        await search(conn, q)
    latencies, empty = [], 0
    for _ in range(rounds):
        for q in QUERIES:
            started = time.perf_counter()
            empty += await search(conn, q) == 0
            latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    return {
        "queries": len(latencies),
        "p50_ms": round(statistics.median(latencies), 2),
        "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 2),
        "max_ms": round(latencies[-1], 2),
        "empty_results": empty,
    }


async def extensions(conn: AsyncConnection[Any]) -> dict[str, bool]:
    cur = await conn.execute(
        "SELECT name, true FROM pg_available_extensions WHERE name IN ('unaccent', 'pg_trgm')"
    )
    found = {r[0]: r[1] for r in await cur.fetchall()}
    return {name: bool(found.get(name)) for name in ("unaccent", "pg_trgm")}


async def run(url: str, tickets: int, articles: int, rounds: int) -> dict[str, Any]:
    async with await AsyncConnection.connect(url, autocommit=True) as conn:
        available = await extensions(conn)
        timings = await load(conn, tickets, articles)
        figures = {
            "ours": await measure(conn, ours, rounds),
            "raw": await measure(conn, raw, rounds),
        }
    return {"extensions_available": available, "load": timings, **figures}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    remove_tree(STATE)
    pg_dir = STATE / "postgres"
    url = start_postgres(pg_dir, free_port(), database="postgres")
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        result = asyncio.run(run(url, args.tickets, args.articles, args.rounds))
    finally:
        stop_postgres(pg_dir)
    ratio = result["ours"]["p95_ms"] / max(result["raw"]["p95_ms"], 0.01)
    figures = {
        "machine": f"{platform.machine()} {platform.python_implementation()} {sys.version.split()[0]}",
        "tickets": args.tickets,
        "articles": args.articles,
        **result,
        "p95_ratio_to_raw": round(ratio, 2),
        "target_p95_ms": 100,
    }
    print(f"knowledge search over {args.articles:,} articles and {args.tickets:,} solved tickets")
    print(f"  extensions available: {result['extensions_available']}")
    print("  load: " + ", ".join(f"{k} {v:.1f}" for k, v in result["load"].items()))
    print(f"  {'search':<36} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'empty':>6}")
    for name, label in (("ours", "ours (typos, relaxation, both tables)"),
                        ("raw", "raw baseline (AND full text, ranked)")):  # fmt: skip
        r = result[name]
        print(f"  {label:<36} {r['p50_ms']:>8} {r['p95_ms']:>8} {r['max_ms']:>8} "
              f"{r['empty_results']:>6}")  # fmt: skip
    print(f"  p95 ratio ours/raw: {ratio:.2f}x  (target p95 < 100 ms: "
          f"{'met' if result['ours']['p95_ms'] < 100 else 'NOT met'})")  # fmt: skip
    STATE.mkdir(parents=True, exist_ok=True)
    (STATE / "last.json").write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
