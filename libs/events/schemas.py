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


CONTRACTS: dict[str, type[msgspec.Struct]] = {
    cls.TYPE: cls for cls in (TicketSubmitted, TicketRouted, TicketAssigned, CheckRecorded)
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
