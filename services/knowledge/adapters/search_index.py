"""The search index in PostgreSQL: folded text in stored `tsvector` columns, a vocabulary with
trigrams for typos, and the queries of `domain/search.py`.

Measured on the embedded server (bench/knowledge.py): `unaccent` and `pg_trgm` both ship with
it, but folding happens in Python (`libs.text.fold`, the same folding routing and the catalog
use), so the index needs no superuser-only `unaccent` wrapper; `pg_trgm` is used only on the
vocabulary (a few thousand words), where it turns "tabmsi" into "tabmis" in a millisecond.
Full text then runs on GIN indexes with the `simple` configuration (no stemming: Vietnamese
words are syllables). Weights: A title/subject, B symptom and keywords, C cause, fix and
application codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from psycopg import AsyncConnection, sql

from services.knowledge.domain import search
from services.knowledge.domain.lifecycle import PUBLIC, RETIRED

#: Among the matches of one relaxation step, at most this many tickets are ranked: a query as
#: broad as "tabmis" matches tens of thousands of a million tickets, and fetching them all to
#: sort them cost most of the time (bench/knowledge.py: ordering the window by recency first
#: made p95 several times worse). Every candidate holds every informative word already.
RANK_WINDOW = 500
#: pg_trgm similarity below which a vocabulary word is not taken for a typo of a query word.
TYPO_SIMILARITY = 0.4


async def ensure_tables(conn: AsyncConnection[Any], schema: str) -> None:
    s = sql.Identifier(schema)
    await conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(s))
    await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for statement in (
        "CREATE TABLE IF NOT EXISTS {s}.articles (article_id uuid PRIMARY KEY,"
        " status text NOT NULL, version integer NOT NULL, published_revision integer,"
        " audience text, applications text[] NOT NULL DEFAULT '{{}}', title text NOT NULL,"
        " updated_at timestamptz NOT NULL, view jsonb NOT NULL, tsv tsvector NOT NULL)",
        "CREATE INDEX IF NOT EXISTS articles_tsv ON {s}.articles USING gin (tsv)",
        "CREATE TABLE IF NOT EXISTS {s}.solved_tickets (ticket_id uuid PRIMARY KEY,"
        " number text NOT NULL, subject text NOT NULL, resolution text NOT NULL,"
        " cause text, application text, province text, resolved_at timestamptz NOT NULL,"
        " tsv tsvector NOT NULL)",
        "CREATE INDEX IF NOT EXISTS solved_tickets_tsv ON {s}.solved_tickets USING gin (tsv)",
        "CREATE INDEX IF NOT EXISTS solved_tickets_recent ON {s}.solved_tickets (resolved_at)",
        "CREATE TABLE IF NOT EXISTS {s}.search_terms (term text PRIMARY KEY,"
        " df bigint NOT NULL DEFAULT 0)",
        "CREATE INDEX IF NOT EXISTS search_terms_trgm ON {s}.search_terms"
        " USING gin (term gin_trgm_ops)",
        "CREATE TABLE IF NOT EXISTS {s}.article_links (article_id uuid NOT NULL,"
        " ticket_id uuid NOT NULL, kind text NOT NULL, PRIMARY KEY (article_id, ticket_id, kind))",
        "CREATE INDEX IF NOT EXISTS article_links_ticket ON {s}.article_links (ticket_id)",
    ):
        await conn.execute(sql.SQL(statement).format(s=s))


_TSV = (
    "setweight(to_tsvector('simple', %s), 'A') || setweight(to_tsvector('simple', %s), 'B')"
    " || setweight(to_tsvector('simple', %s), 'C')"
)


async def count_terms(conn: AsyncConnection[Any], schema: str, *texts: str) -> None:
    """Add a document's words to the vocabulary (document frequency +1 each)."""
    terms = sorted({w for text in texts for w in text.split()})
    await conn.execute(
        sql.SQL(
            "INSERT INTO {} AS t (term, df) SELECT unnest(%s::text[]), 1"
            " ON CONFLICT (term) DO UPDATE SET df = t.df + 1"
        ).format(sql.Identifier(schema, "search_terms")),
        (terms,),
    )


async def put_article(
    conn: AsyncConnection[Any], schema: str, article: Any, view: dict[str, Any]
) -> None:
    """The article's row: searchable by its published text (or its draft's, before that)."""
    shown = article.published or article.latest
    title = search.fold_document(shown["title"])
    middle = search.fold_document(shown["symptom"], " ".join(shown["keywords"]))
    rest = search.fold_document(shown["cause"], shown["fix"], " ".join(shown["applications"]))
    cur = await conn.execute(
        sql.SQL("SELECT version FROM {} WHERE article_id = %s").format(
            sql.Identifier(schema, "articles")
        ),
        (article.id,),
    )
    before = await cur.fetchone()
    if before is not None and before[0] >= article.version:
        return
    await conn.execute(
        sql.SQL(
            "INSERT INTO {} AS a (article_id, status, version, published_revision, audience,"
            " applications, title, updated_at, view, tsv) VALUES (%s, %s, %s, %s, %s, %s, %s,"
            " %s, %s, " + _TSV + ") ON CONFLICT (article_id) DO UPDATE SET"
            " status = EXCLUDED.status, version = EXCLUDED.version,"
            " published_revision = EXCLUDED.published_revision, audience = EXCLUDED.audience,"
            " applications = EXCLUDED.applications, title = EXCLUDED.title,"
            " updated_at = EXCLUDED.updated_at, view = EXCLUDED.view, tsv = EXCLUDED.tsv"
        ).format(sql.Identifier(schema, "articles")),
        (
            article.id,
            article.status,
            article.version,
            article.published_revision,
            shown["audience"],
            list(shown["applications"]),
            shown["title"],
            article.updated_at,
            _json(view),
            title,
            middle,
            rest,
        ),
    )
    if before is None or article.published_revision is not None:
        await count_terms(conn, schema, title, middle, rest)


def _json(value: dict[str, Any]) -> Any:
    from psycopg.types.json import Jsonb

    return Jsonb(value)


async def put_solved_ticket(
    conn: AsyncConnection[Any], schema: str, ticket: dict[str, Any]
) -> None:
    subject = search.fold_document(ticket["subject"])
    body = search.fold_document(ticket.get("description") or "")
    rest = search.fold_document(ticket["resolution"], ticket.get("application") or "")
    await conn.execute(
        sql.SQL(
            "INSERT INTO {} (ticket_id, number, subject, resolution, cause, application,"
            " province, resolved_at, tsv) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, " + _TSV + ")"
            " ON CONFLICT (ticket_id) DO UPDATE SET resolution = EXCLUDED.resolution,"
            " cause = EXCLUDED.cause, application = EXCLUDED.application,"
            " resolved_at = EXCLUDED.resolved_at, tsv = EXCLUDED.tsv"
        ).format(sql.Identifier(schema, "solved_tickets")),
        (
            ticket["ticket_id"],
            ticket["number"],
            ticket["subject"],
            ticket["resolution"],
            ticket.get("cause"),
            ticket.get("application"),
            ticket.get("province"),
            ticket["resolved_at"],
            subject,
            body,
            rest,
        ),
    )
    await count_terms(conn, schema, subject, body, rest)


async def remove_solved_ticket(conn: AsyncConnection[Any], schema: str, ticket_id: Any) -> None:
    await conn.execute(
        sql.SQL("DELETE FROM {} WHERE ticket_id = %s").format(
            sql.Identifier(schema, "solved_tickets")
        ),
        (ticket_id,),
    )


# --- queries ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """A query's term groups (each: the word, its chat spelling, its near-typos) and those a
    document must match (`required`: the informative ones, search.informative)."""

    groups: list[list[str]]
    required: list[list[str]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.groups


async def prepare(conn: AsyncConnection[Any], schema: str, text: str) -> Query:
    """Fold the text, spell out chat words, keep the rarest words, add the near-typos."""
    typed = search.query_words(text)
    if not typed:
        return Query([])
    terms = sql.Identifier(schema, "search_terms")
    cur = await conn.execute(
        sql.SQL("SELECT term, df FROM {} WHERE term = ANY(%s)").format(terms), (typed,)
    )
    frequency = {str(t): int(df) for t, df in await cur.fetchall()}
    kept = search.keep_rarest(typed, frequency)
    unsure = [w for w in kept if search.needs_spelling(w, frequency)]
    cur = await conn.execute(
        sql.SQL(
            "SELECT q.word, t.term, t.df FROM unnest(%s::text[]) AS q(word) CROSS JOIN LATERAL ("
            " SELECT term, df FROM {} WHERE term %% q.word AND similarity(term, q.word) >= %s"
            " AND term <> q.word AND df > coalesce((SELECT w.df FROM {} w WHERE w.term = q.word), 0)"
            " ORDER BY similarity(term, q.word) DESC, df DESC LIMIT 3) t"
        ).format(terms, terms),
        (unsure, TYPO_SIMILARITY),
    )
    near: dict[str, list[str]] = {}
    for word, term, df in await cur.fetchall():
        near.setdefault(word, []).append(term)
        frequency[term] = int(df)
    groups = [[w, *near.get(w, [])] for w in kept]
    documents = await _documents(conn, schema)
    return Query(groups, search.informative(groups, frequency, documents))


async def _documents(conn: AsyncConnection[Any], schema: str) -> int:
    """How many documents the index holds, as the planner estimates it (no count(*))."""
    cur = await conn.execute(
        "SELECT coalesce(sum(greatest(c.reltuples, 0)), 0)::bigint FROM pg_class c"
        " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s"
        " AND c.relname IN ('articles', 'solved_tickets')",
        (schema,),
    )
    row = await cur.fetchone()
    return int(row[0]) if row else 0


async def _relaxed(
    conn: AsyncConnection[Any], query: Query, limit: int, run: Any
) -> list[dict[str, Any]]:
    """Strictest first (every group), then relaxed; results of a stricter step rank first."""
    found: dict[str, dict[str, Any]] = {}
    ranking = search.any_of(query.groups)
    required = query.required or query.groups
    for need in search.relaxation(len(required)):
        matching = search.at_least(required, need)
        for row in await run(conn, matching, ranking, limit, list(found)):
            found.setdefault(row["id"], {**row, "matched": need})
        if len(found) >= limit:
            break
    return list(found.values())[:limit]


@dataclass(frozen=True)
class ArticleFilter:
    #: Only published, not retired articles (what readers and suggestions see).
    published_only: bool = True
    #: Only public articles (requesters and the public).
    public_only: bool = True
    status: str | None = None
    application: str | None = None


_ARTICLE_COLUMNS = "a.article_id::text AS id, a.title, a.status, a.audience, a.applications, a.view"


def _article_where(f: ArticleFilter) -> tuple[sql.Composable, list[Any]]:
    parts: list[sql.Composable] = []
    params: list[Any] = []
    if f.published_only:
        parts.append(sql.SQL("a.published_revision IS NOT NULL AND a.status <> %s"))
        params.append(RETIRED)
    if f.public_only:
        parts.append(sql.SQL("a.audience = %s"))
        params.append(PUBLIC)
    if f.status:
        parts.append(sql.SQL("a.status = %s"))
        params.append(f.status)
    if f.application:
        parts.append(sql.SQL("%s = ANY(a.applications)"))
        params.append(f.application)
    where = sql.SQL(" AND ").join(parts) if parts else sql.SQL("TRUE")
    return where, params


async def search_articles(
    conn: AsyncConnection[Any],
    schema: str,
    query: Query,
    f: ArticleFilter,
    limit: int = 10,
    boost_application: str | None = None,
) -> list[dict[str, Any]]:
    where, params = _article_where(f)
    table = sql.Identifier(schema, "articles")

    async def run(
        c: AsyncConnection[Any], matching: str, ranking: str, n: int, seen: list[str]
    ) -> list[dict[str, Any]]:
        cur = await c.execute(
            sql.SQL(
                "SELECT " + _ARTICLE_COLUMNS + ", ts_rank_cd(a.tsv, to_tsquery('simple', %s), 1)"
                " * CASE WHEN %s::text = ANY(a.applications) THEN 1.5 ELSE 1 END AS score"
                " FROM {} a WHERE a.tsv @@ to_tsquery('simple', %s) AND {}"
                " AND NOT (a.article_id::text = ANY(%s)) ORDER BY score DESC, a.updated_at DESC"
                " LIMIT %s"
            ).format(table, where),
            (ranking, boost_application, matching, *params, seen, n),
        )
        return [_row(cur, r) for r in await cur.fetchall()]

    if query.empty:
        return []
    return await _relaxed(conn, query, limit, run)


async def list_articles(
    conn: AsyncConnection[Any], schema: str, f: ArticleFilter, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where, params = _article_where(f)
    table = sql.Identifier(schema, "articles")
    cur = await conn.execute(
        sql.SQL(
            "SELECT " + _ARTICLE_COLUMNS + ", NULL::real AS score, count(*) OVER () AS total"
            " FROM {} a WHERE {} ORDER BY a.updated_at DESC LIMIT %s OFFSET %s"
        ).format(table, where),
        (*params, limit, offset),
    )
    rows = await cur.fetchall()
    total = int(rows[0][-1]) if rows else 0
    return [_row(cur, r[:-1]) for r in rows], total


async def search_tickets(
    conn: AsyncConnection[Any],
    schema: str,
    query: Query,
    limit: int = 10,
    province: str | None = None,
    exclude: str | None = None,
) -> list[dict[str, Any]]:
    table = sql.Identifier(schema, "solved_tickets")

    async def run(
        c: AsyncConnection[Any], matching: str, ranking: str, n: int, seen: list[str]
    ) -> list[dict[str, Any]]:
        cur = await c.execute(
            sql.SQL(
                "SELECT w.ticket_id::text AS id, w.number, w.subject, w.resolution, w.cause,"
                " w.application, w.province, w.resolved_at,"
                " ts_rank_cd(w.tsv, to_tsquery('simple', %s), 1) AS score FROM ("
                "  SELECT * FROM {} t WHERE t.tsv @@ to_tsquery('simple', %s)"
                "  AND (%s::text IS NULL OR t.province = %s)"
                "  AND NOT (t.ticket_id::text = ANY(%s)) LIMIT %s"
                " ) w ORDER BY score DESC, w.resolved_at DESC LIMIT %s"
            ).format(table),
            (ranking, matching, province, province, [*seen, exclude or ""], RANK_WINDOW, n),
        )
        return [_row(cur, r) for r in await cur.fetchall()]

    if query.empty:
        return []
    return await _relaxed(conn, query, limit, run)


def _row(cur: Any, values: Any) -> dict[str, Any]:
    names = [d.name for d in cur.description]
    row = dict(zip(names, values, strict=False))
    if row.get("resolved_at") is not None:
        row["resolved_at"] = row["resolved_at"].isoformat()
    if row.get("score") is not None:
        row["score"] = round(float(row["score"]), 4)
    return row
