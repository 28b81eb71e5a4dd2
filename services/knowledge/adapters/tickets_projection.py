"""What the knowledge service learns of tickets from intake's and routing's events (rule 3:
intake owns the ticket; this is a read model of it), and the suggestions computed from them.

- `tickets`: subject, description, application, status, cause and resolution note, so an
  article can be drafted from a resolved ticket and its requester's form session matched.
- `solved_tickets` (search_index.py): every resolved or closed ticket, searchable; a reopened
  ticket leaves it until it is resolved again.
- `ticket_suggestions`: on a new ticket (and again once routing has found its application),
  the most similar published articles and solved tickets, so the handler's view is ready
  when they open it and submission never waits for a search.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.types.json import Jsonb

from libs.events.envelope import Envelope
from libs.events.sinks import Project
from services.knowledge.adapters import search_index
from services.knowledge.adapters.search_index import ArticleFilter

NAME = "knowledge.tickets"
SOLVED = ("resolved", "closed")
SUGGESTED = 5


async def ensure_tables(conn: AsyncConnection[Any], schema: str) -> None:
    s = sql.Identifier(schema)
    for statement in (
        "CREATE TABLE IF NOT EXISTS {s}.tickets (ticket_id uuid PRIMARY KEY,"
        " number text NOT NULL, subject text NOT NULL, description text NOT NULL,"
        " application text, grp text, status text NOT NULL, cause text, resolution text,"
        " province text, received_at timestamptz NOT NULL, resolved_at timestamptz,"
        " kb_session text)",
        "CREATE INDEX IF NOT EXISTS tickets_number ON {s}.tickets (number)",
        "CREATE INDEX IF NOT EXISTS tickets_session ON {s}.tickets (kb_session)"
        " WHERE kb_session IS NOT NULL",
        "CREATE TABLE IF NOT EXISTS {s}.ticket_suggestions (ticket_id uuid PRIMARY KEY,"
        " computed_at timestamptz NOT NULL, articles jsonb NOT NULL, tickets jsonb NOT NULL)",
    ):
        await conn.execute(sql.SQL(statement).format(s=s))


def projector(schema: str) -> Project:
    tickets = sql.Identifier(schema, "tickets")

    async def submitted(conn: AsyncConnection[Any], e: Envelope) -> None:
        d = e.data
        province = d.get("unit_province") or ((d["requester"].get("unit") or {}).get("province"))
        await conn.execute(
            sql.SQL(
                "INSERT INTO {} (ticket_id, number, subject, description, application, status,"
                " province, received_at, kb_session) VALUES (%s, %s, %s, %s, %s, 'new', %s, %s,"
                " %s) ON CONFLICT (ticket_id) DO NOTHING"
            ).format(tickets),
            (
                d["ticket_id"],
                d["number"],
                d["subject"],
                d["description"],
                d.get("application_code"),
                province,
                d["received_at"],
                d.get("kb_session"),
            ),
        )
        await suggest(conn, schema, d["ticket_id"], e.time)

    async def routed(conn: AsyncConnection[Any], e: Envelope) -> None:
        d = e.data
        await conn.execute(
            sql.SQL(
                "UPDATE {} SET application = coalesce(%s, application), grp = %s"
                " WHERE ticket_id = %s"
            ).format(tickets),
            (d.get("application"), d.get("group"), d["ticket_id"]),
        )
        if d.get("application"):
            await suggest(conn, schema, d["ticket_id"], e.time)

    async def reclassified(conn: AsyncConnection[Any], e: Envelope) -> None:
        d = e.data
        await conn.execute(
            sql.SQL("UPDATE {} SET application = %s, grp = %s WHERE ticket_id = %s").format(
                tickets
            ),
            (d.get("application"), d.get("group"), d["ticket_id"]),
        )

    async def status_changed(conn: AsyncConnection[Any], e: Envelope) -> None:
        d = e.data
        status = d["status"]
        resolving = status == "resolved"
        cur = await conn.execute(
            sql.SQL(
                "UPDATE {} SET status = %s,"
                " cause = CASE WHEN %s THEN %s ELSE cause END,"
                " resolution = CASE WHEN %s THEN %s ELSE resolution END,"
                " resolved_at = CASE WHEN %s THEN %s ELSE resolved_at END"
                " WHERE ticket_id = %s RETURNING ticket_id, number, subject, description,"
                " application, cause, resolution, province, resolved_at"
            ).format(tickets),
            (
                status,
                resolving,
                d.get("cause"),
                resolving,
                d.get("reason", ""),
                resolving,
                d["at"],
                d["ticket_id"],
            ),
        )
        row = await cur.fetchone()
        if row is None:
            return
        if status in SOLVED and row[8] is not None:
            names = ("ticket_id", "number", "subject", "description", "application", "cause",
                     "resolution", "province", "resolved_at")  # fmt: skip
            ticket = dict(zip(names, row, strict=True))
            ticket["resolution"] = ticket["resolution"] or ""
            await search_index.put_solved_ticket(conn, schema, ticket)
        elif status not in SOLVED:
            await search_index.remove_solved_ticket(conn, schema, d["ticket_id"])

    handlers = {
        "hotro.ticket.submitted.v1": submitted,
        "hotro.ticket.routed.v1": routed,
        "hotro.ticket.reclassified.v1": reclassified,
        "hotro.ticket.status_changed.v1": status_changed,
    }

    async def project(conn: AsyncConnection[Any], envelope: Envelope) -> None:
        handler = handlers.get(envelope.type)
        if handler is not None:
            await handler(conn, envelope)

    return project


async def suggest(conn: AsyncConnection[Any], schema: str, ticket_id: str, at: datetime) -> None:
    """The handler's suggestions for a ticket: published articles of both audiences and
    similar solved tickets (the ticket itself excluded), stored for the ticket view."""
    cur = await conn.execute(
        sql.SQL("SELECT subject, description, application FROM {} WHERE ticket_id = %s").format(
            sql.Identifier(schema, "tickets")
        ),
        (ticket_id,),
    )
    row = await cur.fetchone()
    if row is None:
        return
    subject, description, application = row
    query = await search_index.prepare(conn, schema, f"{subject} {application or ''}")
    if len(query.groups) < 2:  # a one-word subject says too little: add the description
        query = await search_index.prepare(conn, schema, f"{subject} {description}")
    articles = await search_index.search_articles(
        conn,
        schema,
        query,
        ArticleFilter(published_only=True, public_only=False),
        SUGGESTED,
        boost_application=application,
    )
    solved = await search_index.search_tickets(conn, schema, query, SUGGESTED, exclude=ticket_id)
    await conn.execute(
        sql.SQL(
            "INSERT INTO {} (ticket_id, computed_at, articles, tickets) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (ticket_id) DO UPDATE SET computed_at = EXCLUDED.computed_at,"
            " articles = EXCLUDED.articles, tickets = EXCLUDED.tickets"
        ).format(sql.Identifier(schema, "ticket_suggestions")),
        (ticket_id, at, Jsonb([_brief(a) for a in articles]), Jsonb(solved)),
    )


def _brief(article: dict[str, Any]) -> dict[str, Any]:
    view = article.get("view") or {}
    return {
        "id": article["id"],
        "title": article["title"],
        "audience": article["audience"],
        "applications": article["applications"],
        "score": article.get("score"),
        "matched": article.get("matched"),
        "published_revision": view.get("published_revision"),
    }
