"""Operators' corrections of routing: reclassify, link to an outage's parent, unlink.

The gateway forwards them with the caller named in headers; each is an event on the
ticket's routing record (so it shows in the ticket's history), and a reclassification
becomes a training example for the next model version.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from libs.catalog.model import GROUP_CODES
from services.routing.adapters.store import routing_id
from services.routing.api.deps import Operator, RoutingServices, Svc
from services.routing.api.errors import Refused
from services.routing.domain.decision import NothingToChange, RoutingRefused, TicketRouting

router = APIRouter(prefix="/tickets", tags=["routing"])

#: A command that met a concurrent change (the consumer wrote the same record) is redone.
_ATTEMPTS = 3


class ReclassifyBody(BaseModel):
    """Give what changes; an application brings its group, a group alone drops an application
    of another group. `application: null` clears the application."""

    model_config = ConfigDict(extra="forbid")
    group: str | None = Field(default=None, max_length=32)
    type: Literal["incident", "service_request", "proposal"] | None = None
    application: str | None = Field(default=None, max_length=32)
    reason: str = Field(default="", max_length=2000)


class ParentBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    parent_id: str = Field(min_length=1, max_length=64)
    reason: str = Field(default="", max_length=2000)


class UnlinkBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=2000)


class RoutingPublic(BaseModel):
    ticket_id: str
    group: str
    type: str
    application: str | None
    parent_id: str | None
    changed: bool


@router.post("/{ticket_id}/reclassify", response_model=RoutingPublic)
async def reclassify(
    ticket_id: str, body: ReclassifyBody, svc: Svc, actor: Operator
) -> RoutingPublic:
    """Correct group, type or application; the correction teaches the classifier."""

    def change(routing: TicketRouting) -> None:
        group, application = _labels(svc, routing, body)
        routing.reclassify(
            group=group,
            type=body.type or routing.type,
            application=application,
            actor=actor.name,
            role=actor.role,
            reason=body.reason,
            at=datetime.now(UTC),
        )

    return await _command(svc, ticket_id, change)


@router.post("/{ticket_id}/parent", response_model=RoutingPublic)
async def link(ticket_id: str, body: ParentBody, svc: Svc, actor: Operator) -> RoutingPublic:
    """Make this ticket another report of the outage `parent_id` (a child of it)."""
    parent = await asyncio.to_thread(_get, svc, body.parent_id, "parent_id")

    def change(routing: TicketRouting) -> None:
        svc.index.catch_up()
        routing.link_to(
            parent,
            has_children=svc.index.has_children(routing.ticket_id),
            automatic=False,
            similarity=None,
            reasons=[body.reason] if body.reason else [],
            actor=actor.name,
            at=datetime.now(UTC),
        )

    return await _command(svc, ticket_id, change)


@router.delete("/{ticket_id}/parent", response_model=RoutingPublic)
async def unlink(
    ticket_id: str, svc: Svc, actor: Operator, body: UnlinkBody | None = None
) -> RoutingPublic:
    """Take this ticket out of the outage it was linked to."""

    def change(routing: TicketRouting) -> None:
        routing.unlink(actor=actor.name, reason=body.reason if body else "", at=datetime.now(UTC))

    return await _command(svc, ticket_id, change)


def _labels(svc: RoutingServices, routing: TicketRouting, body: ReclassifyBody) -> tuple[str, Any]:
    """(group, application) after the correction, consistent with the catalog."""
    catalog = svc.catalog
    application = routing.application
    if "application" in body.model_fields_set:
        application = body.application.upper() if body.application else None
        if application is not None and application not in catalog.applications:
            raise Refused(
                422, "application", f"unknown application code {application!r}", "unknown_code"
            )
    group = body.group.upper() if body.group else None
    if group is not None and group not in GROUP_CODES:
        raise Refused(422, "group", f"{group!r} is not one of {', '.join(GROUP_CODES)}", "invalid")
    owner = catalog.applications[application].group if application else None
    if group is None:
        return owner or routing.group, application
    if owner is not None and owner != group:
        if "application" in body.model_fields_set:
            raise Refused(
                422,
                "group",
                f"{application} belongs to group {owner}, not {group}",
                "invalid",
            )
        application = None  # a new group: the old group's application no longer applies
    return group, application


def _get(svc: RoutingServices, ticket_id: str, field: str) -> TicketRouting:
    try:
        return svc.app.repository.get(routing_id(str(uuid.UUID(ticket_id))))  # type: ignore[no-any-return]
    except (ValueError, AggregateNotFoundError) as error:
        raise Refused(
            404,
            field,
            f"chưa có quyết định phân loại cho yêu cầu {ticket_id} / ticket {ticket_id} has no"
            " routing decision (yet)",
            "not_found",
        ) from error


async def _command(
    svc: RoutingServices, ticket_id: str, change: Callable[[TicketRouting], None]
) -> RoutingPublic:
    def attempt() -> RoutingPublic:
        for _ in range(_ATTEMPTS):
            routing = _get(svc, ticket_id, "ticket_id")
            try:
                change(routing)
            except NothingToChange:
                return _public(routing, changed=False)
            except RoutingRefused as error:
                raise Refused(409, "ticket_id", str(error), "conflict") from error
            try:
                svc.app.save(routing)
            except IntegrityError:
                continue
            svc.index.catch_up()
            return _public(routing, changed=True)
        raise Refused(409, "ticket_id", "changed concurrently; try again", "conflict")

    return await asyncio.to_thread(attempt)


def _public(routing: TicketRouting, changed: bool) -> RoutingPublic:
    return RoutingPublic(
        ticket_id=routing.ticket_id,
        group=routing.group,
        type=routing.type,
        application=routing.application,
        parent_id=routing.parent_id,
        changed=changed,
    )
