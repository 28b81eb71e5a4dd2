"""The knowledge base's use cases: get → decide (domain) → save, and the role-aware reads.

Who sees what (SPEC §6b, §8): the public and requesters read published public articles;
staff read internal ones too; authors (the Service Desk, admins) also see drafts, reviews and
retired articles. Retired and internal articles never reach a requester, whatever they ask.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from libs.catalog.model import Catalog
from services.knowledge.adapters import search_index
from services.knowledge.adapters.search_index import ArticleFilter
from services.knowledge.adapters.store import ArticleNotFound, ArticleStore, revision_view
from services.knowledge.domain import deflection, lifecycle
from services.knowledge.domain.article import Article
from services.knowledge.domain.lifecycle import PUBLISHED, RETIRED, Actor, OutOfOrder

#: The ticket causes an article drawn from a ticket names, in the words requesters read.
CAUSE_LABELS = {
    "user_error": "Lỗi do người sử dụng thao tác",
    "software_bug": "Lỗi phần mềm",
    "infrastructure": "Sự cố hạ tầng",
    "configuration": "Lỗi cấu hình",
    "data": "Lỗi dữ liệu",
    "duplicate": "Trùng với yêu cầu khác",
    "fulfilled": "Yêu cầu đã được đáp ứng",
}


class TicketUnknown(LookupError):
    """The knowledge service has not (yet) seen this ticket's events."""


@dataclass
class KnowledgeBase:
    store: ArticleStore
    pool: AsyncConnectionPool[Any]
    schema: str
    catalog: Catalog
    deflection_window: timedelta = deflection.DEFAULT_WINDOW

    def _t(self, name: str) -> sql.Identifier:
        return sql.Identifier(self.schema, name)

    async def ensure_tables(self) -> None:
        async with self.pool.connection() as conn:
            for statement in (
                "CREATE TABLE IF NOT EXISTS {s}.suggestion_views (session text NOT NULL,"
                " article_id uuid NOT NULL, opened_at timestamptz NOT NULL,"
                " PRIMARY KEY (session, article_id))",
                "CREATE TABLE IF NOT EXISTS {s}.feedback (article_id uuid NOT NULL,"
                " voter text NOT NULL, helped boolean NOT NULL, at timestamptz NOT NULL,"
                " PRIMARY KEY (article_id, voter))",
            ):
                await conn.execute(sql.SQL(statement).format(s=sql.Identifier(self.schema)))

    # --- writing ------------------------------------------------------------------------------

    async def create(
        self,
        content: dict[str, Any],
        actor: Actor,
        reason: str = "",
        source_ticket_id: str | None = None,
    ) -> dict[str, Any]:
        lifecycle.check_author(actor)
        article = Article(
            id=uuid.uuid4(),
            content=content,
            author=actor.name,
            at=datetime.now(UTC),
            reason=reason,
            source_ticket_id=source_ticket_id,
        )
        return await self.store.create(article)

    async def edit(
        self, article_id: uuid.UUID, changes: dict[str, Any], actor: Actor, reason: str
    ) -> dict[str, Any]:
        lifecycle.check_author(actor)  # before the look-up: others learn nothing of articles
        _, view = await self.store.change(
            article_id, lambda a: a.edit(changes, actor, datetime.now(UTC), reason)
        )
        return view

    async def move(
        self, article_id: uuid.UUID, step: str, actor: Actor, reason: str
    ) -> dict[str, Any]:
        lifecycle.check_may_step(step, actor)

        def command(article: Article) -> None:
            at = datetime.now(UTC)
            {"review": article.send_to_review, "publish": article.publish,
             "retire": article.retire}[step](actor, at, reason)  # fmt: skip

        _, view = await self.store.change(article_id, command)
        return view

    async def used(self, article_id: uuid.UUID, ticket_id: str, actor: Actor) -> dict[str, Any]:
        if not lifecycle.is_staff(actor.role) or actor.role == "analyst":
            raise lifecycle.NotAllowed(
                "Chỉ cán bộ hỗ trợ được ghi nhận đã dùng bài viết cho yêu cầu. / Only support "
                "staff record that an article was used on a ticket."
            )
        if not await self.store.exists(article_id):
            raise ArticleNotFound(str(article_id))
        ticket = await self.ticket(ticket_id)
        _, view = await self.store.change(
            article_id, lambda a: a.use_on(str(ticket["ticket_id"]), actor, datetime.now(UTC))
        )
        return {"article_id": str(article_id), "ticket_id": str(ticket["ticket_id"]),
                "used_on": view["used_on"]}  # fmt: skip

    async def draft_from_ticket(
        self, ticket_id: str, overrides: dict[str, Any], actor: Actor
    ) -> dict[str, Any]:
        """A draft prefilled from a resolved ticket: subject → title and symptom, the
        resolution note → fix, its cause and application; linked both ways."""
        lifecycle.check_author(actor)
        ticket = await self.ticket(ticket_id)
        if ticket["status"] not in ("resolved", "closed"):
            raise OutOfOrder(
                f"Chỉ soạn bài viết từ yêu cầu đã giải quyết; yêu cầu {ticket['number']} đang ở "
                f"trạng thái {ticket['status']}. / An article is drawn from a resolved ticket; "
                f"{ticket['number']} is {ticket['status']}."
            )
        content = {
            "title": ticket["subject"],
            "symptom": ticket["subject"] + ("\n\n" + ticket["description"]
                                            if ticket["description"] else ""),
            "cause": CAUSE_LABELS.get(ticket["cause"] or "", ticket["cause"] or ""),
            "fix": ticket["resolution"] or "",
            "applications": [ticket["application"]] if ticket["application"] else [],
            "keywords": [],
            "audience": lifecycle.INTERNAL,
        } | overrides  # fmt: skip
        return await self.create(
            content, actor, f"Soạn từ yêu cầu {ticket['number']}", str(ticket["ticket_id"])
        )

    # --- reading ------------------------------------------------------------------------------

    async def ticket(self, id_or_number: str) -> dict[str, Any]:
        try:
            key: Any = uuid.UUID(id_or_number)
            column = "ticket_id"
        except ValueError:
            key, column = id_or_number, "number"
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                sql.SQL(
                    "SELECT ticket_id, number, subject, description, application, status, cause,"
                    " resolution, province FROM {} WHERE {} = %s"
                ).format(self._t("tickets"), sql.Identifier(column)),
                (key,),
            )
            row = await cur.fetchone()
            names = [d.name for d in cur.description or ()]
        if row is None:
            raise TicketUnknown(id_or_number)
        return dict(zip(names, row, strict=True))

    async def read(
        self, article_id: uuid.UUID, actor: Actor, revision: int | None = None
    ) -> dict[str, Any]:
        """What the caller may see of one article (ArticleNotFound otherwise: a requester
        learns nothing of drafts and internal articles)."""
        view = await self.store.view(article_id)
        if view is None:
            raise ArticleNotFound(str(article_id))
        author = lifecycle.may_author(actor)
        revisions = await self.store.revisions(article_id)
        published = view["published_revision"]
        shown_number = revision or (len(revisions) if author else published)
        if shown_number is None or not 1 <= shown_number <= len(revisions):
            raise ArticleNotFound(str(article_id))
        shown = revisions[shown_number - 1]
        if not author:
            if published is None or view["status"] == RETIRED or shown_number > published:
                raise ArticleNotFound(str(article_id))
            if not lifecycle.may_read(actor.role, shown["audience"], True, False, False):
                raise ArticleNotFound(str(article_id))
        result = {
            "id": view["id"],
            "status": view["status"] if author else PUBLISHED,
            "published_revision": published,
            **shown,
        }
        if lifecycle.is_staff(actor.role):
            result |= {"source_ticket_id": view["source_ticket_id"], "used_on": view["used_on"]}
        if author:
            result |= {"latest_revision": len(revisions), "history": view["history"]}
        result["feedback"] = await self.feedback_counts(article_id)
        return result

    async def versions(self, article_id: uuid.UUID, actor: Actor) -> list[dict[str, Any]]:
        current = await self.read(article_id, actor)
        revisions = await self.store.revisions(article_id)
        if not lifecycle.may_author(actor):
            revisions = revisions[: current["published_revision"]]
        return [
            {"revision": r["revision"], "title": r["title"], "author": r["author"], "at": r["at"],
             "published": r["revision"] == current["published_revision"]}
            for r in revisions
        ]  # fmt: skip

    def _filter(self, actor: Actor, status: str | None, application: str | None) -> ArticleFilter:
        author = lifecycle.may_author(actor)
        return ArticleFilter(
            published_only=not (author and status is not None and status != PUBLISHED),
            public_only=not lifecycle.is_staff(actor.role),
            status=status if author else None,
            application=application,
        )

    async def find(
        self,
        actor: Actor,
        q: str | None,
        status: str | None,
        application: str | None,
        limit: int,
        offset: int,
    ) -> dict[str, Any]:
        """Articles (and, for staff, solved tickets) for a query, best first; without a query,
        the newest articles. A province's staff see solved tickets of their province only."""
        f = self._filter(actor, status, application)
        async with self.pool.connection() as conn:
            if not q:
                rows, total = await search_index.list_articles(conn, self.schema, f, limit, offset)
                return {"data": [_listed(r) for r in rows], "count": total}
            query = await search_index.prepare(conn, self.schema, q)
            rows = await search_index.search_articles(conn, self.schema, query, f, limit)
            result: dict[str, Any] = {"data": [_listed(r) for r in rows], "count": len(rows)}
            if lifecycle.is_staff(actor.role):
                province = actor_province(actor)
                result["tickets"] = await search_index.search_tickets(
                    conn, self.schema, query, limit, province=province
                )
            result["query"] = {"groups": query.groups}
        return result

    async def suggest_public(self, q: str, limit: int = 5) -> list[dict[str, Any]]:
        """The requester's form, while they type: published public articles only."""
        async with self.pool.connection() as conn:
            query = await search_index.prepare(conn, self.schema, q)
            rows = await search_index.search_articles(
                conn, self.schema, query, ArticleFilter(True, True), limit
            )
        return [_listed(r) for r in rows]

    async def ticket_suggestions(self, id_or_number: str, actor: Actor) -> dict[str, Any]:
        if not lifecycle.is_staff(actor.role):
            raise lifecycle.NotAllowed(
                "Gợi ý xử lý chỉ dành cho cán bộ hỗ trợ. / Suggestions are for support staff."
            )
        ticket = await self.ticket(id_or_number)
        province = actor_province(actor)
        if province is not None and ticket["province"] != province:
            raise lifecycle.NotAllowed(
                "Yêu cầu này thuộc tỉnh khác. / This ticket belongs to another province."
            )
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                sql.SQL(
                    "SELECT computed_at, articles, tickets FROM {} WHERE ticket_id = %s"
                ).format(self._t("ticket_suggestions")),
                (ticket["ticket_id"],),
            )
            row = await cur.fetchone()
            cur = await conn.execute(
                sql.SQL(
                    "SELECT l.article_id::text, l.kind, a.title, a.status FROM {} l JOIN {} a"
                    " USING (article_id) WHERE l.ticket_id = %s ORDER BY l.kind, a.title"
                ).format(self._t("article_links"), self._t("articles")),
                (ticket["ticket_id"],),
            )
            links = [
                {"article_id": r[0], "kind": r[1], "title": r[2], "status": r[3]}
                for r in await cur.fetchall()
            ]
            live = await self._still_suggestible(conn, [a["id"] for a in (row[1] if row else [])])
        articles = [a for a in (row[1] if row else []) if a["id"] in live]
        solved = [
            t for t in (row[2] if row else []) if province is None or t["province"] == province
        ]
        return {
            "ticket_id": str(ticket["ticket_id"]),
            "number": ticket["number"],
            "computed_at": row[0].isoformat() if row else None,
            "articles": articles,
            "tickets": solved,
            "linked_articles": links,
        }

    async def _still_suggestible(self, conn: Any, ids: list[str]) -> set[str]:
        """Of articles suggested earlier, those still published (a retired one never is)."""
        if not ids:
            return set()
        cur = await conn.execute(
            sql.SQL(
                "SELECT article_id::text FROM {} WHERE article_id::text = ANY(%s)"
                " AND published_revision IS NOT NULL AND status <> %s"
            ).format(self._t("articles")),
            (ids, RETIRED),
        )
        return {r[0] for r in await cur.fetchall()}

    # --- what happened to suggestions ---------------------------------------------------------

    async def record_view(self, session: str, article_id: uuid.UUID) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(
                sql.SQL(
                    "INSERT INTO {} (session, article_id, opened_at) VALUES (%s, %s, %s)"
                    " ON CONFLICT DO NOTHING"
                ).format(self._t("suggestion_views")),
                (session, article_id, datetime.now(UTC)),
            )

    async def record_feedback(self, article_id: uuid.UUID, voter: str, helped: bool) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(
                sql.SQL(
                    "INSERT INTO {} (article_id, voter, helped, at) VALUES (%s, %s, %s, %s)"
                    " ON CONFLICT (article_id, voter) DO UPDATE SET helped = EXCLUDED.helped,"
                    " at = EXCLUDED.at"
                ).format(self._t("feedback")),
                (article_id, voter, helped, datetime.now(UTC)),
            )

    async def feedback_counts(self, article_id: uuid.UUID) -> dict[str, int]:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                sql.SQL(
                    "SELECT count(*) FILTER (WHERE helped), count(*) FILTER (WHERE NOT helped)"
                    " FROM {} WHERE article_id = %s"
                ).format(self._t("feedback")),
                (article_id,),
            )
            row = await cur.fetchone()
        assert row is not None
        return {"helped": int(row[0]), "not_helped": int(row[1])}

    async def deflection(self, now: datetime | None = None) -> dict[str, Any]:
        """Sessions that opened a suggestion: deflected, submitted or pending (domain rule)."""
        moment = now or datetime.now(UTC)
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                sql.SQL(
                    "SELECT v.session, min(v.opened_at), count(*), (SELECT min(t.received_at)"
                    " FROM {} t WHERE t.kb_session = v.session) FROM {} v GROUP BY v.session"
                ).format(self._t("tickets"), self._t("suggestion_views"))
            )
            rows = await cur.fetchall()
        counts = {deflection.DEFLECTED: 0, deflection.SUBMITTED: 0, deflection.PENDING: 0}
        sessions = []
        for session, opened_at, opened, submitted_at in rows:
            outcome = deflection.outcome(opened_at, submitted_at, moment, self.deflection_window)
            counts[outcome] += 1
            sessions.append({"session": session, "opened_at": opened_at.isoformat(),
                             "articles_opened": int(opened), "outcome": outcome})  # fmt: skip
        decided = counts[deflection.DEFLECTED] + counts[deflection.SUBMITTED]
        rate = round(100 * counts[deflection.DEFLECTED] / decided, 1) if decided else None
        return {
            "window_s": int(self.deflection_window.total_seconds()),
            "sessions": len(rows),
            **counts,
            "deflection_pct": rate,
            "by_session": sessions,
        }

    async def stats(self) -> dict[str, Any]:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                sql.SQL(
                    "SELECT a.article_id::text, a.title, a.status,"
                    " (SELECT count(*) FROM {v} v WHERE v.article_id = a.article_id),"
                    " (SELECT count(*) FROM {f} f WHERE f.article_id = a.article_id AND f.helped),"
                    " (SELECT count(*) FROM {f} f WHERE f.article_id = a.article_id"
                    "  AND NOT f.helped),"
                    " (SELECT count(*) FROM {l} l WHERE l.article_id = a.article_id"
                    "  AND l.kind = 'used')"
                    " FROM {a} a ORDER BY a.title"
                ).format(
                    v=self._t("suggestion_views"),
                    f=self._t("feedback"),
                    l=self._t("article_links"),
                    a=self._t("articles"),
                )
            )
            rows = await cur.fetchall()
        articles = [
            {"id": r[0], "title": r[1], "status": r[2], "views": r[3], "helped": r[4],
             "not_helped": r[5], "used_on_tickets": r[6]}
            for r in rows
        ]  # fmt: skip
        return {"deflection": await self.deflection(), "articles": articles}

    # --- the public FAQ -----------------------------------------------------------------------

    async def faq(self) -> list[dict[str, Any]]:
        """Published public articles by application (catalog order), the rest under 'Khác'."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                sql.SQL(
                    "SELECT a.article_id::text, r.content FROM {} a JOIN {} r ON"
                    " r.article_id = a.article_id AND r.revision = a.published_revision"
                    " WHERE a.audience = %s AND a.status <> %s ORDER BY a.title"
                ).format(self._t("articles"), self._t("article_revisions")),
                (lifecycle.PUBLIC, RETIRED),
            )
            rows = await cur.fetchall()
        sections: dict[str, list[dict[str, Any]]] = {}
        for article_id, content in rows:
            codes = content["applications"] or [""]
            for code in codes:
                sections.setdefault(code, []).append({"id": article_id, **content})
        ordered = [c for c in self.catalog.applications if c in sections]
        result = [
            {"code": c, "name": self.catalog.applications[c].name, "articles": sections[c]}
            for c in ordered
        ]
        if "" in sections or any(c not in self.catalog.applications for c in sections):
            rest = [a for c, items in sections.items()
                    if c not in self.catalog.applications for a in items]  # fmt: skip
            result.append({"code": "", "name": "Khác", "articles": rest})
        return result


def actor_province(actor: Actor) -> str | None:
    """A province's IT staff see their province's tickets only (SPEC §8)."""
    return actor.province if actor.role == "province_it" else None


def _listed(row: dict[str, Any]) -> dict[str, Any]:
    view = row.get("view") or {}
    return {
        "id": row["id"],
        "title": row["title"],
        "status": row["status"],
        "audience": row["audience"],
        "applications": row["applications"],
        "published_revision": view.get("published_revision"),
        "score": row.get("score"),
        "matched": row.get("matched"),
    }


__all__ = ["KnowledgeBase", "TicketUnknown", "revision_view"]
