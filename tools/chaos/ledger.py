"""What the clients were told: every request of a chaos run, with the tag that finds it again.

Each request carries a tag (`CK<run>-<channel><n>`) in the text it creates — a ticket's
subject, a reply's body, an operator's reason — so that afterwards every read model can be
asked "how many times is this request in you?" without trusting any id the suite hands out.
The expected answer follows from what the client was told:
- `accepted` (201/202/200, SMTP 250): exactly once;
- `refused` (a 4xx, or a 5xx the client gave up on): never;
- `in_doubt` (the connection broke after the request was sent, so nobody knows): at most once;
- `diverted`: taken in, but not as asked (a requester's reply that became a new ticket or was
  held): a problem in itself, shown with the server's answer.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

ACCEPTED, REFUSED, IN_DOUBT, DIVERTED = "accepted", "refused", "in_doubt", "diverted"
PENDING = "pending"
#: Channels that open a ticket; the others change an existing one.
OPENING = ("web", "phone", "smtp", "http_mail")
#: The channels of a run, in the order the figures show them.
#: `invalid`: web tickets and phone calls with bad input, which the gateway must refuse.
CHANNELS = (*OPENING, "reply", "assign", "escalate", "return", "invalid")
TAG = re.compile(r"CK[0-9a-f]{4}-[a-z]+[0-9]+")
#: The same pattern for PostgreSQL's regexp functions.
TAG_SQL = r"(CK[0-9a-f]{4}-[a-z]+[0-9]+)"


@dataclass
class Request:
    channel: str
    tag: str
    outcome: str = PENDING
    #: The ticket the request opened (opening channels) or acted on (replies, actions).
    ticket_id: str | None = None
    number: str | None = None
    #: Who the ticket's mail comes from, so a reply can be written as the requester.
    requester: str | None = None
    attempts: int = 0
    #: The last answer: an HTTP status, an SMTP code, or the transport error's name.
    answer: str = ""

    def settle(self, outcome: str, answer: str) -> None:
        self.outcome, self.answer = outcome, answer


@dataclass
class Ledger:
    run: str
    requests: list[Request] = field(default_factory=list)
    _counter: Counter[str] = field(default_factory=Counter)

    def new(self, channel: str, **known: str | None) -> Request:
        self._counter[channel] += 1
        request = Request(channel, f"CK{self.run}-{_short(channel)}{self._counter[channel]}")
        for name, value in known.items():
            setattr(request, name, value)
        self.requests.append(request)
        return request

    def by_tag(self) -> dict[str, Request]:
        return {r.tag: r for r in self.requests}

    def of(self, channels: tuple[str, ...], outcome: str = ACCEPTED) -> list[Request]:
        return [r for r in self.requests if r.channel in channels and r.outcome == outcome]

    def tickets(self) -> list[Request]:
        """Accepted tickets a reply or an operator can act on (their number is known)."""
        return [r for r in self.of(OPENING) if r.number]

    def counts(self) -> dict[str, Counter[str]]:
        table: dict[str, Counter[str]] = {c: Counter() for c in CHANNELS}
        for r in self.requests:
            table.setdefault(r.channel, Counter())[r.outcome] += 1
        return table


def _short(channel: str) -> str:
    return {"http_mail": "h", "escalate": "e", "return": "t"}.get(channel, channel[0])
