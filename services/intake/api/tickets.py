"""`/api/v1/tickets`: submit, read one, queue views (SPEC §7)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from eventsourcing.persistence import IntegrityError
from fastapi import APIRouter, Depends, Header, Query, Response
from fastapi.responses import JSONResponse

from libs.catalog.requester import UnknownUnit, resolve_requester_unit
from libs.platform.eventstore import derived_id
from services.intake.adapters.tokens import Principal
from services.intake.api.deps import CurrentUser, OptionalUser, Services, get_services
from services.intake.api.errors import FieldError
from services.intake.api.schemas import TicketCreate, TicketCreated, TicketPublic, TicketsPublic
from services.intake.domain.ticket import Ticket

VN = ZoneInfo("Asia/Ho_Chi_Minh")
router = APIRouter(prefix="/tickets", tags=["tickets"])
Svc = Annotated[Services, Depends(get_services)]


def _check_catalog(svc: Services, body: TicketCreate) -> tuple[str, str | None]:
    catalog = svc.catalog
    if body.application_code and body.application_code.upper() not in catalog.applications:
        raise FieldError(
            ("body", "application_code"),
            f"unknown application code {body.application_code!r}",
            kind="unknown_code",
        )
    declared = body.requester.unit
    try:
        unit = resolve_requester_unit(
            catalog,
            unit_code=body.requester.unit_code.strip().upper()
            if body.requester.unit_code
            else None,
            declared=declared.model_dump() if declared else None,
        )
    except UnknownUnit as error:
        raise FieldError(
            ("body", "requester", *error.field.split(".")), error.reason, kind="unknown_code"
        ) from error
    return unit.kind, unit.province


@router.post("", status_code=201, response_model=TicketCreated)
async def submit_ticket(
    body: TicketCreate,
    svc: Svc,
    user: OptionalUser,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> TicketCreated:
    """Submit a ticket; a retry with the same Idempotency-Key returns the same ticket."""
    if body.received_at is not None and (user is None or user.role not in ("integration", "admin")):
        raise FieldError(
            ("body", "received_at"),
            "received_at may only be given by the integration role",
            status=403,
            kind="forbidden",
        )
    unit_kind, unit_province = _check_catalog(svc, body)
    requester = body.requester.model_dump()
    if requester["unit_code"]:
        requester["unit_code"] = requester["unit_code"].strip().upper()
    submission = {
        "subject": body.subject,
        "description": body.description,
        "requester": requester,
        "channel": body.channel,
    }
    ticket_id = derived_id("ticket", idempotency_key) if idempotency_key else uuid.uuid4()
    if idempotency_key:
        existing = await _existing(svc, ticket_id, submission)
        if existing is not None:
            response.headers["Idempotent-Replayed"] = "true"
            return existing
    received_at = body.received_at or datetime.now(UTC)
    number = await svc.numbers.next(received_at.astimezone(VN).year)
    ticket = Ticket(
        id=ticket_id,
        number=number,
        channel=body.channel,
        requester=requester,
        subject=body.subject,
        description=body.description,
        received_at=received_at,
        application_code=body.application_code.upper() if body.application_code else None,
        priority=body.priority,
        unit_kind=unit_kind,
        unit_province=unit_province,
        submitted_by=user.name if user else "public",
    )
    try:
        await asyncio.to_thread(svc.app.save, ticket)
    except IntegrityError:
        existing = await _existing(svc, ticket_id, submission)
        if existing is None:
            raise
        response.headers["Idempotent-Replayed"] = "true"
        return existing
    return TicketCreated(id=str(ticket.id), number=number, status=ticket.status)


async def _existing(
    svc: Services, ticket_id: uuid.UUID, submission: dict[str, Any]
) -> TicketCreated | None:
    try:
        ticket: Ticket = await asyncio.to_thread(svc.app.repository.get, ticket_id)
    except Exception:  # AggregateNotFoundError: a first request
        return None
    if not ticket.same_submission(submission):
        raise FieldError(
            ("header", "Idempotency-Key"),
            "this Idempotency-Key was used for a different ticket",
            status=409,
            kind="idempotency_conflict",
        )
    return TicketCreated(id=str(ticket.id), number=ticket.number, status=ticket.status)


def _visible(user: Principal, row: dict[str, Any]) -> bool:
    """Province staff see their province only; requesters their own tickets (SPEC §8)."""
    if user.role == "province_it":
        return row.get("province") == user.province
    if user.role == "requester":
        return (row.get("requester") or {}).get("email") == user.email
    return True


def _public(row: dict[str, Any]) -> TicketPublic:
    row = dict(row)
    row["id"] = str(row["id"])
    row["group"] = row.pop("group_code", None)
    row["parent"] = str(row["parent"]) if row.get("parent") else None
    return TicketPublic(**row)


@router.get("/{id_or_number}", response_model=TicketPublic)
async def read_ticket(id_or_number: str, svc: Svc, user: CurrentUser) -> Any:
    """One ticket: status, group, handler, SLA and its whole history in order."""
    row = await svc.queries.one(id_or_number)
    if row is None:
        row = await _from_event_store(svc, id_or_number)
    if row is None or not _visible(user, row):
        return JSONResponse(
            {
                "error": "not_found",
                "detail": [{"field": "id_or_number", "msg": f"no ticket {id_or_number}"}],
            },
            status_code=404,
        )
    return _public(row)


async def _from_event_store(svc: Services, id_or_number: str) -> dict[str, Any] | None:
    """Just submitted, not yet in the view: answer from the ticket's own events."""
    try:
        ticket_id = uuid.UUID(id_or_number)
        ticket: Ticket = await asyncio.to_thread(svc.app.repository.get, ticket_id)
    except Exception:
        return None
    return {
        "id": ticket.id,
        "number": ticket.number,
        "status": ticket.status,
        "channel": ticket.channel,
        "subject": ticket.subject,
        "description": ticket.description,
        "requester": ticket.requester,
        "unit_kind": ticket.unit_kind,
        "province": ticket.unit_province,
        "application": ticket.application_code,
        "picked_application": ticket.application_code,
        "priority": ticket.priority,
        "received_at": ticket.received_at,
        "submitted_at": ticket.created_on,
        "history": [],
    }


@router.get("", response_model=TicketsPublic)
async def list_tickets(
    svc: Svc,
    user: CurrentUser,
    status: str | None = None,
    group: str | None = None,
    tier: str | None = None,
    province: str | None = None,
    unit: str | None = None,
    application: str | None = None,
    channel: str | None = None,
    parent: str | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> TicketsPublic:
    """Queue views, paged, newest first; `q` ignores case and diacritics."""
    filters = {
        "status": status,
        "group_code": group,
        "tier": tier,
        "province": province,
        "unit_code": unit,
        "application": application,
        "channel": channel,
        "parent": parent,
    }
    if user.role == "province_it":
        filters["province"] = user.province
    if user.role == "requester":
        filters["requester->>'email'"] = user.email or ""
    rows, total = await svc.queries.page(filters, q, limit, offset)
    return TicketsPublic(data=[_public(r) for r in rows], count=total, limit=limit, offset=offset)
