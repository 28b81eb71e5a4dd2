"""Whose mail may become a comment on a ticket (issue 17: "nobody let in").

Ticket numbers are sequential and easy to guess, so a subject tag (or a copied In-Reply-To)
proves nothing about the sender. As in Zammad and Request Tracker, a reply is taken as a
comment only from someone who already belongs to the conversation: the ticket's requester,
an address the ticket's mail was exchanged with (sender, To, Cc of any of its messages), or
staff (the catalog's group leads, IT offices and departments, and operators whose token names
their address). Anyone else's reply is held for an operator, who releases it as a comment or
turns it into a new ticket.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass
from typing import Literal

from libs.catalog.model import Catalog

Standing = Literal["requester", "participant", "staff"]

#: The reason code of a held message, first word of its reason (the API and the console read it).
UNKNOWN_SENDER = "unknown_sender"


@dataclass(frozen=True)
class Participants:
    """The people of one ticket's conversation, addresses lower-cased."""

    requester: str | None
    addresses: frozenset[str]


def participants_of(
    requester: str | None, messages: Iterable[tuple[str, Iterable[str], Iterable[str]]]
) -> Participants:
    """From the requester's address and each mail of the ticket as (sender, To, Cc)."""
    found: set[str] = set()
    for sender, to, cc in messages:
        found.update(a for a in (sender, *to, *cc) if a)
    return Participants(_norm(requester) or None, frozenset(_norm(a) for a in found) - {""})


def staff_addresses(catalog: Catalog) -> frozenset[str]:
    """The desk's own addresses in the catalog: group leads, IT offices, departments, vendors."""
    found = [g.lead_email for g in catalog.groups.values()]
    found += [o.email for o in catalog.it_offices.values()]
    found += [d.email for d in catalog.departments.values()]
    return frozenset(_norm(a) for a in found if a)


def standing_of(
    sender: str, participants: Participants | None, staff: Container[str]
) -> Standing | None:
    """Why `sender` may comment on the ticket, or None: a stranger, whose reply is held."""
    address = _norm(sender)
    if not address:
        return None
    if participants is not None and address == participants.requester:
        return "requester"
    if address in staff:
        return "staff"
    if participants is not None and address in participants.addresses:
        return "participant"
    return None


def unknown_sender_reason(sender: str, number: str) -> str:
    return (
        f"{UNKNOWN_SENDER}: {sender} is neither the requester nor a participant of {number} "
        "nor staff; held for an operator (accept as a comment, or open as a new ticket)"
    )


def _norm(address: str | None) -> str:
    return (address or "").strip().lower()
