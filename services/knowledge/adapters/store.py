"""The knowledge service's event store: `Article` aggregates, their public contracts, and the
tables readers use.

The aggregate is the truth and its events are the relay's outbox. After each save the
`articles` row (the searchable view) and `article_revisions` get the article's state; a crash
between the two leaves a row behind its aggregate and `repair()` at start-up rebuilds it
(the same order and repair as monitoring's notices).
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
from psycopg import AsyncConnection, sql
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from libs.events.schemas import (
    ArticleDrafted,
    ArticleRevised,
    ArticleStatusChanged,
    ArticleUsed,
    contract_from,
)
from libs.platform.eventstore import ServiceApplication
from services.knowledge.adapters import search_index
from services.knowledge.domain.article import Article
from services.knowledge.domain.lifecycle import OutOfOrder

_RETRIES = 3
_article: Any = Article


class KnowledgeApplication(ServiceApplication):
    name = "knowledge"


class ArticleNotFound(LookupError):
    pass


def to_contract(domain_event: Any) -> tuple[str, msgspec.Struct] | None:
    """Each step of an article, keyed by the article's id (hotro.knowledge.v1)."""
    article_id = str(domain_event.originator_id)
    if isinstance(domain_event, _article.Drafted):
        content = domain_event.content
        return article_id, contract_from(
            domain_event, ArticleDrafted, article_id=article_id, revision=1, **content
        )
    if isinstance(domain_event, _article.Revised):
        return article_id, contract_from(
            domain_event, ArticleRevised, article_id=article_id, **domain_event.content
        )
    if isinstance(domain_event, _article.StatusChanged):
        return article_id, contract_from(domain_event, ArticleStatusChanged, article_id=article_id)
    if isinstance(domain_event, _article.Used):
        return article_id, contract_from(domain_event, ArticleUsed, article_id=article_id)
    return None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def revision_view(revision: dict[str, Any]) -> dict[str, Any]:
    return {**revision, "at": _iso(revision["at"])}


def view_of(article: Article) -> dict[str, Any]:
    """The article as staff see it: its working revision, status, history and links."""
    return {
        "id": str(article.id),
        "status": article.status,
        "revision": len(article.revisions),
        "published_revision": article.published_revision,
        **{k: v for k, v in revision_view(article.latest).items() if k not in ("revision", "at")},
        "source_ticket_id": article.source_ticket_id,
        "used_on": list(article.used_on),
        "created_at": _iso(article.created_at),
        "updated_at": _iso(article.updated_at),
        "history": [{**h, "at": _iso(h["at"])} for h in article.history],
    }


class ArticleStore:
    def __init__(
        self, app: ServiceApplication, pool: AsyncConnectionPool[Any], schema: str
    ) -> None:
        self.app = app
        self.pool = pool
        self.schema = schema

    def _t(self, name: str) -> sql.Identifier:
        return sql.Identifier(self.schema, name)

    async def ensure_tables(self) -> None:
        async with self.pool.connection() as conn:
            await search_index.ensure_tables(conn, self.schema)
            await conn.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} ("
                    " article_id uuid NOT NULL, revision integer NOT NULL, content jsonb NOT NULL,"
                    " PRIMARY KEY (article_id, revision))"
                ).format(self._t("article_revisions"))
            )

    async def repair(self) -> int:
        """Rebuild rows that lag their aggregate (a crash after a save); how many were."""
        events = self._t(self.app.recorder.events_table_name)  # type: ignore[attr-defined]
        query = sql.SQL(
            "SELECT e.originator_id FROM (SELECT originator_id, max(originator_version) AS v"
            " FROM {} WHERE topic LIKE %s GROUP BY originator_id) e"
            " LEFT JOIN {} a ON a.article_id = e.originator_id"
            " WHERE a.version IS NULL OR a.version < e.v"
        ).format(events, self._t("articles"))
        async with self.pool.connection() as conn:
            cur = await conn.execute(query, (f"%:{Article.__qualname__}.%",))
            stale = [uuid.UUID(str(r[0])) for r in await cur.fetchall()]
        for article_id in stale:
            await self._put(await self.load(article_id))
        return len(stale)

    async def create(self, article: Article) -> dict[str, Any]:
        await asyncio.to_thread(self.app.save, article)
        return await self._put(article)

    async def exists(self, article_id: uuid.UUID) -> bool:
        try:
            await self.load(article_id)
        except ArticleNotFound:
            return False
        return True

    async def load(self, article_id: uuid.UUID) -> Article:
        try:
            article: Any = await asyncio.to_thread(self.app.repository.get, article_id)
        except AggregateNotFoundError:
            raise ArticleNotFound(str(article_id)) from None
        if not isinstance(article, Article):
            raise ArticleNotFound(str(article_id))
        return article

    async def change(
        self, article_id: uuid.UUID, command: Callable[[Article], Any]
    ) -> tuple[Article, dict[str, Any]]:
        """Load, run `command` (raises to refuse), save, update the tables; retried on a race."""
        for _ in range(_RETRIES):
            article = await self.load(article_id)
            command(article)
            try:
                await asyncio.to_thread(self.app.save, article)
            except IntegrityError:
                continue
            return article, await self._put(article)
        raise OutOfOrder(
            "Bài viết vừa được người khác cập nhật; vui lòng thử lại. / The article was "
            "changed meanwhile; try again."
        )

    async def _put(self, article: Article) -> dict[str, Any]:
        view = view_of(article)
        async with self.pool.connection() as conn, conn.transaction():
            await search_index.put_article(conn, self.schema, article, view)
            for revision in article.revisions:
                await conn.execute(
                    sql.SQL(
                        "INSERT INTO {} (article_id, revision, content) VALUES (%s, %s, %s)"
                        " ON CONFLICT (article_id, revision) DO UPDATE SET content ="
                        " EXCLUDED.content"
                    ).format(self._t("article_revisions")),
                    (article.id, revision["revision"], Jsonb(revision_view(revision))),
                )
            if article.source_ticket_id:
                await link(conn, self.schema, article.id, article.source_ticket_id, "drafted_from")
            for ticket_id in article.used_on:
                await link(conn, self.schema, article.id, ticket_id, "used")
        return view

    async def view(self, article_id: uuid.UUID) -> dict[str, Any] | None:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                sql.SQL("SELECT view FROM {} WHERE article_id = %s").format(self._t("articles")),
                (article_id,),
            )
            row = await cur.fetchone()
        return row[0] if row else None

    async def revisions(self, article_id: uuid.UUID) -> list[dict[str, Any]]:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                sql.SQL("SELECT content FROM {} WHERE article_id = %s ORDER BY revision").format(
                    self._t("article_revisions")
                ),
                (article_id,),
            )
            return [r[0] for r in await cur.fetchall()]


async def link(
    conn: AsyncConnection[Any], schema: str, article_id: uuid.UUID, ticket_id: str, kind: str
) -> None:
    try:
        ticket = uuid.UUID(ticket_id)
    except ValueError:
        return
    await conn.execute(
        sql.SQL(
            "INSERT INTO {} (article_id, ticket_id, kind) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING"
        ).format(sql.Identifier(schema, "article_links")),
        (article_id, ticket, kind),
    )
