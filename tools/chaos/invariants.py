"""After the storm: every read model holds what the clients were told, exactly once.

Asked of every read model a user or analyst reads — the ticket view, the history, the queue
(through the gateway, as an operator sees it) and reporting — by counting each request's tag:
- an accepted request is there once (0: lost, 2 or more: doubled);
- a refused one is not there; one in doubt is there at most once;
- each ticket has one submission, one routing decision and one placement in its history;
- every outbox relay has published its whole log, and every consumer has applied every
  partition up to the last position its relay sent there (none is stuck);
- the dead-letter topic holds the injected poison, as read by every consumer of intake's
  topic, and nothing else.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import psycopg

from tools.chaos.ledger import (
    ACCEPTED,
    DIVERTED,
    IN_DOUBT,
    OPENING,
    REFUSED,
    TAG,
    TAG_SQL,
    Ledger,
)
from tools.chaos.poison import Poison, poison_in
from tools.suite import SERVICES, Suite

#: The read models each kind of request must reach.
MODELS_OF: dict[str, tuple[str, ...]] = {
    **{c: ("ticket view", "history", "queue", "reporting") for c in (*OPENING, "invalid")},
    "reply": ("history",),
    "assign": ("history",),
    "escalate": ("history", "reporting"),
    "return": ("history", "reporting"),
}
#: The events whose text carries a request's tag (a mail's whole text is in others too).
TAGGED_EVENTS = (
    "hotro.ticket.submitted.v1",
    "hotro.ticket.commented.v1",
    "hotro.ticket.taken.v1",
    "hotro.ticket.escalated.v1",
    "hotro.ticket.returned.v1",
)
#: Decisions a ticket gets once whatever is redelivered or replayed.
ONCE_PER_TICKET = ("submitted", "routed", "assigned")


@dataclass
class Findings:
    lost: list[str] = field(default_factory=list)
    doubled: list[str] = field(default_factory=list)
    refused_seen: list[str] = field(default_factory=list)
    stuck: list[str] = field(default_factory=list)
    foreign_dead_letters: list[str] = field(default_factory=list)
    missing_poison: list[str] = field(default_factory=list)
    diverted: list[str] = field(default_factory=list)
    dead_letters: int = 0

    def problems(self) -> list[str]:
        return [
            f"{kind}: {item}"
            for kind, items in (
                ("lost", self.lost),
                ("doubled", self.doubled),
                ("refused but visible", self.refused_seen),
                ("stuck", self.stuck),
                ("dead letter that is not our poison", self.foreign_dead_letters),
                ("poison not dead-lettered", self.missing_poison),
                ("diverted", self.diverted),
            )
            for item in items
        ]

    def may_still_heal(self) -> bool:
        """Only missing things can still arrive; a double or a leak stays."""
        return bool(self.lost or self.stuck or self.missing_poison)


class Checker:
    def __init__(self, suite: Suite, ledger: Ledger, poison: Poison) -> None:
        self.suite = suite
        self.ledger = ledger
        self.poison = poison
        self.poison_since = 0.0  # poison injected after this (the last broker restart) counts

    async def check(self) -> Findings:
        found = Findings()
        async with await psycopg.AsyncConnection.connect(
            self.suite.database_url, autocommit=True
        ) as conn:
            seen = await _occurrences(conn)
            seen["queue"] = await self._queue()
            await _decisions_once(conn, found)
            await _unplaced(conn, self.ledger, found)
            await _lagging(conn, found)
            await _diverted(conn, self.ledger, found)
            intake_consumers = await _consumers_of(conn, self.poison.prefix + "hotro.intake.v1")
        self._compare(seen, found)
        await self._dead_letters(intake_consumers, found)
        if not await self._all_ready():
            found.stuck.append("not every service answers /readyz")
        return found

    def _compare(self, seen: dict[str, Counter[str]], found: Findings) -> None:
        for request in self.ledger.requests:
            if request.outcome == DIVERTED:
                continue
            for model in MODELS_OF[request.channel]:
                n = seen[model][request.tag]
                what = f"{request.channel} {request.tag} ({request.answer}) {n}× in the {model}"
                if request.outcome == ACCEPTED and n == 0:
                    found.lost.append(what)
                elif request.outcome in (ACCEPTED, IN_DOUBT) and n > 1:
                    found.doubled.append(what)
                elif request.outcome == REFUSED and n > 0:
                    found.refused_seen.append(what)

    async def _queue(self) -> Counter[str]:
        """Every ticket as the queue view lists it through the gateway, page by page."""
        tags: Counter[str] = Counter()
        headers = {"Authorization": f"Bearer {self.suite.admin_token}"}
        async with httpx.AsyncClient(base_url=self.suite.url("intake"), timeout=30) as http:
            offset = 0
            while True:
                page = await http.get(
                    "/api/v1/tickets", params={"limit": 200, "offset": offset}, headers=headers
                )
                page.raise_for_status()
                rows = page.json()["data"]
                tags.update(tag for row in rows for tag in TAG.findall(row.get("subject") or ""))
                offset += len(rows)
                if not rows or offset >= page.json()["count"]:
                    return tags

    async def _dead_letters(self, consumers: set[str], found: Findings) -> None:
        letters = await self.poison.dead_letters()
        found.dead_letters = len(letters)
        read: set[tuple[str, str]] = set()
        for letter in letters:
            marker = poison_in(letter)
            if marker is None:
                event = letter.get("event") or {}
                found.foreign_dead_letters.append(
                    f"{letter.get('consumer')}: {event.get('type', 'raw')} {event.get('id', '')}"
                    f" {str(letter.get('error'))[:160]}"
                )
            else:
                read.add((str(letter.get("consumer")), marker))
        for marker, at in self.poison.injected.items():
            if at < self.poison_since:
                continue  # the broker restarted since: it forgot the poison and its letters
            for consumer in sorted(consumers):
                if (self.poison.prefix + consumer, marker) not in read:
                    by = sorted(
                        f"{str(x.get('consumer')).removeprefix(self.poison.prefix)}@{x.get('at')}"
                        for x in letters
                        if poison_in(x) == marker
                    )
                    found.missing_poison.append(f"{marker} by {consumer} (dead letters: {by})")

    async def _all_ready(self) -> bool:
        async with httpx.AsyncClient(timeout=5) as http:
            for service in SERVICES:
                try:
                    if (await http.get(f"{self.suite.url(service)}/readyz")).status_code != 200:
                        return False
                except httpx.HTTPError:
                    return False
        return True


async def _rows(conn: psycopg.AsyncConnection[Any], sql: str, *args: Any) -> list[Any]:
    cur = await conn.execute(sql, args or None)
    return await cur.fetchall()


async def _occurrences(conn: psycopg.AsyncConnection[Any]) -> dict[str, Counter[str]]:
    def tally(rows: list[Any]) -> Counter[str]:
        return Counter(row[0] for row in rows)

    tagged = "ARRAY[" + ",".join(f"'{t}'" for t in TAGGED_EVENTS) + "]"
    return {
        "ticket view": tally(
            await _rows(
                conn,
                f"SELECT m[1] FROM intake.ticket_view, regexp_matches(subject, '{TAG_SQL}', 'g') m",
            )
        ),
        "history": tally(
            await _rows(
                conn,
                f"SELECT m[1] FROM intake.ticket_history, regexp_matches(data::text, '{TAG_SQL}', 'g') m"
                f" WHERE type = ANY({tagged})",
            )
        ),
        "reporting": tally(
            await _rows(
                conn,
                f"SELECT m[1] FROM reporting.tickets, regexp_matches(subject, '{TAG_SQL}', 'g') m"
                " UNION ALL SELECT m[1] FROM reporting.ladder_moves,"
                f" regexp_matches(coalesce(reason, ''), '{TAG_SQL}', 'g') m",
            )
        ),
    }


async def _diverted(conn: psycopg.AsyncConnection[Any], ledger: Ledger, found: Findings) -> None:
    """A mail taken in otherwise than asked, with how intake threaded it (its history says)."""
    for request in ledger.requests:
        if request.outcome != DIVERTED:
            continue
        how = await _rows(
            conn,
            "SELECT data->>'threading' FROM intake.ticket_history"
            " WHERE type = 'hotro.ticket.email_received.v1' AND data->>'text' LIKE %s",
            f"%{request.tag}%",
        )
        found.diverted.append(
            f"{request.channel} {request.tag} to {request.number}: {request.answer}"
            + (f" (threading: {how[0][0]})" if how else "")
        )


async def _decisions_once(conn: psycopg.AsyncConnection[Any], found: Findings) -> None:
    kinds = [f"hotro.ticket.{k}.v1" for k in ONCE_PER_TICKET]
    for ticket_id, kind, n in await _rows(
        conn,
        "SELECT ticket_id::text, type, count(*) FROM intake.ticket_history"
        " WHERE type = ANY(%s) GROUP BY 1, 2 HAVING count(*) > 1",
        kinds,
    ):
        found.doubled.append(f"ticket {ticket_id}: {n}× {kind} in its history")


async def _unplaced(conn: psycopg.AsyncConnection[Any], ledger: Ledger, found: Findings) -> None:
    """An accepted ticket must have gone all the way: routed and placed on the ladder."""
    placed: dict[str, set[str]] = {}
    for model, table in (("ticket view", "intake.ticket_view"), ("reporting", "reporting.tickets")):
        rows = await _rows(
            conn,
            f"SELECT m[1] FROM {table}, regexp_matches(subject, '{TAG_SQL}', 'g') m"
            " WHERE tier IS NOT NULL AND group_code IS NOT NULL",
        )
        placed[model] = {row[0] for row in rows}
    for request in ledger.of(OPENING):
        for model, tags in placed.items():
            if request.tag not in tags:
                found.stuck.append(f"{request.channel} {request.tag} not placed in the {model}")


async def _lagging(conn: psycopg.AsyncConnection[Any], found: Findings) -> None:
    """Relays at the end of their log; consumers at the last position sent to each partition."""
    relays: dict[str, dict[int, int]] = {}
    for (schema,) in await _rows(
        conn, "SELECT table_schema FROM information_schema.tables WHERE table_name = 'outbox_relay'"
    ):
        log_max = await _log_max(conn, schema)
        for topic, position, partitions in await _rows(
            conn, f'SELECT topic, position, partitions FROM "{schema}".outbox_relay'
        ):
            relays[topic] = {int(p): int(n) for p, n in partitions.items()}
            if position != log_max:
                found.stuck.append(f"relay of {schema} at {position}, its log at {log_max}")
    positions = await _positions(conn)
    for consumer, topics in _topics_by_consumer(positions).items():
        for topic in topics & relays.keys():
            for partition, last in relays[topic].items():
                at = positions.get((consumer, f"{topic}:{partition}"), 0)
                if at != last:
                    found.stuck.append(
                        f"{consumer} at {at} on {topic}:{partition}; its relay sent up to {last}"
                    )


async def _log_max(conn: psycopg.AsyncConnection[Any], schema: str) -> int:
    for (table,) in await _rows(
        conn,
        "SELECT table_name FROM information_schema.columns WHERE table_schema = %s"
        " AND column_name = 'notification_id' AND table_name LIKE '%%\\_events'",
        schema,
    ):
        rows = await _rows(conn, f'SELECT max(notification_id) FROM "{schema}"."{table}"')
        return int(rows[0][0] or 0)
    return 0


async def _positions(conn: psycopg.AsyncConnection[Any]) -> dict[tuple[str, str], int]:
    """(consumer, "topic:partition") → position, from both kinds of sink (libs/events/sinks.py)."""
    positions: dict[tuple[str, str], int] = {}
    for schema, table, column in await _rows(
        conn,
        "SELECT table_schema, table_name, column_name FROM information_schema.columns"
        " WHERE (table_name = 'projection_tracking' AND column_name = 'consumer')"
        " OR (table_name LIKE '%%\\_tracking' AND column_name = 'application_name')",
    ):
        if column == "consumer":
            for consumer, stream, position in await _rows(
                conn, f'SELECT consumer, stream, position FROM "{schema}"."{table}"'
            ):
                positions[(consumer, stream)] = int(position)
            continue
        for name, position in await _rows(
            conn, f'SELECT application_name, notification_id FROM "{schema}"."{table}"'
        ):
            if "|" in name:  # "consumer|topic:partition"; other rows are the library's own
                consumer, stream = name.split("|", 1)
                positions[(consumer, stream)] = int(position)
    return positions


def _topics_by_consumer(positions: dict[tuple[str, str], int]) -> dict[str, set[str]]:
    topics: dict[str, set[str]] = {}
    for consumer, stream in positions:
        topics.setdefault(consumer, set()).add(stream.rsplit(":", 1)[0])
    return topics


async def _consumers_of(conn: psycopg.AsyncConnection[Any], topic: str) -> set[str]:
    return {
        c for c, topics in _topics_by_consumer(await _positions(conn)).items() if topic in topics
    }
