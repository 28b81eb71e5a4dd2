"""What `q` finds in the ticket view: folded words, matched as words (issue 13).

Users type without tone marks and look for people as often as for problems, so a ticket's
words are its number, subject and description, the requester's name and e-mail, its comments
and its resolution note — folded by `libs.text.words` (`Ảnh` → `anh`). A query matches a
ticket whose words contain every word of the query, whole: `q=ảnh` finds "ảnh chụp màn hình"
but not "thanh toán", whose folded text merely contains the letters. Internal notes are
searchable by staff only (`search_words`); requesters search what they can read
(`public_words`). Both are arrays with a GIN index, so a search is an index look-up.
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from libs.events.envelope import Envelope
from libs.text import words

_BACKFILL_BATCH = 500


def submission_text(data: dict[str, Any]) -> str:
    requester = data.get("requester") or {}
    return " ".join(
        str(part or "")
        for part in (
            data.get("number"),
            data.get("subject"),
            data.get("description"),
            requester.get("name"),
            requester.get("email"),
        )
    )


def query_words(q: str | None) -> list[str]:
    return sorted(set(words(q or "")))


def condition(q: str | None, public_only: bool) -> tuple[str | None, list[Any]]:
    """The WHERE clause (and its parameter) for `q`; None when `q` has no words."""
    wanted = query_words(q)
    if not wanted:
        return None, []
    column = "public_words" if public_only else "search_words"
    return f"{column} @> %s::text[]", [wanted]


async def add_words(
    conn: AsyncConnection[Any], s: str, ticket_id: Any, text: str, public: bool
) -> None:
    found = sorted(set(words(text)))
    if not found:
        return
    await conn.execute(
        f"UPDATE {s}.ticket_view SET"
        " search_words = ARRAY(SELECT DISTINCT unnest(COALESCE(search_words, '{{}}') || %s)),"
        " public_words = CASE WHEN %s"
        "   THEN ARRAY(SELECT DISTINCT unnest(COALESCE(public_words, '{{}}') || %s))"
        "   ELSE public_words END"
        " WHERE id = %s",
        (found, public, found, ticket_id),
    )


async def commented(conn: AsyncConnection[Any], s: str, e: Envelope) -> None:
    public = e.data.get("visibility") == "public"
    await add_words(conn, s, e.subject, str(e.data.get("body") or ""), public=public)


async def backfill(pool: AsyncConnectionPool[Any], s: str) -> None:
    """Give words to tickets projected before words existed (once; new tickets get them as
    their events are projected), from the view row and the comments in its history."""
    while True:
        async with pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(
                f"SELECT v.id, v.number, v.subject, v.description, v.requester,"
                f" (SELECT coalesce(jsonb_agg(h.data), '[]') FROM {s}.ticket_history h"
                f"   WHERE h.ticket_id = v.id AND (h.type = 'hotro.ticket.commented.v1'"
                f"   OR (h.type = 'hotro.ticket.status_changed.v1'"
                f"       AND h.data->>'status' = 'resolved'))) AS later"
                f" FROM {s}.ticket_view v WHERE v.search_words IS NULL AND v.number IS NOT NULL"
                f" LIMIT {_BACKFILL_BATCH}"
            )
            rows = await cur.fetchall()
            if not rows:
                return
            for row in rows:
                await _backfill_one(conn, s, row)
            await conn.commit()


async def _backfill_one(conn: AsyncConnection[Any], s: str, row: dict[str, Any]) -> None:
    await conn.execute(
        f"UPDATE {s}.ticket_view SET search_words = '{{}}', public_words = '{{}}' WHERE id = %s",
        (row["id"],),
    )
    await add_words(conn, s, row["id"], submission_text(row), public=True)
    for later in row["later"] or []:
        text = later.get("body") or later.get("reason") or ""
        public = later.get("visibility", "public") == "public"
        await add_words(conn, s, row["id"], str(text), public=public)
