"""Typed, versioned event contracts shared by every service (ARCHITECTURE.md rule 4).

A schema is never edited once published: a change is a new `...vN` type plus an upcaster in
`upcasting.py`, so consumers only ever see the newest shape.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import msgspec


class EventData(msgspec.Struct, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = ""
    ticket_id: str


class DeclaredUnit(msgspec.Struct, frozen=True, kw_only=True):
    kind: str
    province: str | None = None
    name: str = ""


class Requester(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    email: str | None = None
    phone: str | None = None
    unit_code: str | None = None
    unit: DeclaredUnit | None = None


class TicketSubmitted(EventData, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = "hotro.ticket.submitted.v1"
    number: str
    channel: str
    requester: Requester
    subject: str
    description: str
    received_at: datetime
    application_code: str | None = None
    priority: str = "P3"
    #: The requester's unit as intake resolved it (kind/province), so routing needs no directory.
    unit_kind: str | None = None
    unit_province: str | None = None


class Classification(msgspec.Struct, frozen=True, kw_only=True):
    model_version: str
    confidence: float
    source: str


class FirstHandler(msgspec.Struct, frozen=True, kw_only=True):
    kind: str
    tier: str
    office: str
    policy_version: str
    rule: str = ""
    reason: str = ""


class TicketRouted(EventData, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = "hotro.ticket.routed.v1"
    group: str
    type: str
    application: str | None
    picked_application: str | None
    classification: Classification
    first_handler: FirstHandler
    received_at: datetime
    priority: str = "P3"
    reasons: list[str] = []


class TicketAssigned(EventData, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = "hotro.ticket.assigned.v1"
    tier: str
    owner: str
    handler: str
    group: str
    assigned_at: datetime
    reason: str = ""


class CheckRecorded(msgspec.Struct, frozen=True, kw_only=True):
    """A monitoring check result; `ticket_id` is absent because checks are keyed by target."""

    TYPE: ClassVar[str] = "hotro.check.recorded.v1"
    target: str
    ok: bool
    checked_at: datetime
    detail: str = ""


class TicketStatusChanged(EventData, frozen=True, kw_only=True):
    """Intake owns the lifecycle (SPEC §8 statuses); `cause` is set when resolving (SPEC §3.2)."""

    TYPE: ClassVar[str] = "hotro.ticket.status_changed.v1"
    status: str
    previous: str
    actor: str
    at: datetime
    reason: str = ""
    cause: str | None = None


class TicketCommented(EventData, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = "hotro.ticket.commented.v1"
    author: str
    author_role: str
    visibility: str
    body: str
    at: datetime
    channel: str = "web"
    message_id: str | None = None


class TicketTaken(EventData, frozen=True, kw_only=True):
    """Someone at the current tier takes the ticket to work on it (`assign`)."""

    TYPE: ClassVar[str] = "hotro.ticket.taken.v1"
    tier: str
    handler: str
    assignee: str
    actor: str
    at: datetime


class TicketEscalated(EventData, frozen=True, kw_only=True):
    """One step up the ladder; the owner stays (SPEC §4: a province that escalates keeps it)."""

    TYPE: ClassVar[str] = "hotro.ticket.escalated.v1"
    from_tier: str
    tier: str
    owner: str
    handler: str
    reason: str
    actor: str
    at: datetime
    automatic: bool = False


class TicketReturned(EventData, frozen=True, kw_only=True):
    """The answer comes back down to the owner, who replies to the requester."""

    TYPE: ClassVar[str] = "hotro.ticket.returned.v1"
    from_tier: str
    tier: str
    owner: str
    handler: str
    answer: str
    actor: str
    at: datetime


class SlaUpdated(EventData, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = "hotro.ticket.sla_updated.v1"
    policy: str
    priority: str
    response_due: datetime | None
    resolution_due: datetime | None
    paused: bool
    breached: list[str]
    at: datetime
    responded: bool = False
    resolved: bool = False
    #: When the next target falls due (None: nothing can breach: paused, met or resolved).
    next_breach_at: datetime | None = None


class SlaBreached(EventData, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = "hotro.ticket.sla_breached.v1"
    kind: str
    due: datetime
    at: datetime
    group_lead: str = ""


class KnownErrorChanged(EventData, frozen=True, kw_only=True):
    """A known error was opened, joined by a ticket, or moved on (`change`); `ticket_id` is
    the ticket concerned (the one joining, or the first one)."""

    TYPE: ClassVar[str] = "hotro.known_error.changed.v1"
    known_error_id: str
    change: str
    status: str
    at: datetime
    number: str = ""
    application: str = ""
    department: str = ""
    title: str = ""
    note: str = ""
    actor: str = ""


CONTRACTS: dict[str, type[msgspec.Struct]] = {
    cls.TYPE: cls
    for cls in (
        TicketSubmitted,
        TicketRouted,
        TicketAssigned,
        CheckRecorded,
        TicketStatusChanged,
        TicketCommented,
        TicketTaken,
        TicketEscalated,
        TicketReturned,
        SlaUpdated,
        SlaBreached,
        KnownErrorChanged,
        TicketAttachmentAdded,
        TicketEmailReceived,
        TicketRequesterUndeliverable,
        MailTakenIn,
    )
}


class UnknownEventType(KeyError):
    pass


def contract_for(event_type: str) -> type[msgspec.Struct]:
    try:
        return CONTRACTS[event_type]
    except KeyError as error:
        raise UnknownEventType(event_type) from error


def data_of(event: msgspec.Struct) -> dict[str, Any]:
    """The JSON-ready `data` of an envelope (datetimes as ISO 8601 strings)."""
    result: dict[str, Any] = msgspec.to_builtins(event)
    return result


def parse_data(event_type: str, data: dict[str, Any]) -> msgspec.Struct:
    """Validate `data` against the contract of `event_type` (raises msgspec.ValidationError)."""
    return msgspec.convert(data, contract_for(event_type), strict=False)
