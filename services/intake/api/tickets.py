"""`/api/v1/tickets`: submit (JSON, or multipart with files), read one, queue views (SPEC §7)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from eventsourcing.persistence import IntegrityError
from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from libs.platform.eventstore import derived_id
from services.intake.adapters.tokens import Principal
from services.intake.api.deps import CurrentUser, OptionalUser, Services, get_services
from services.intake.api.errors import FieldError
from services.intake.api.schemas import TicketCreate, TicketCreated, TicketPublic, TicketsPublic
from services.intake.api.uploads import read_uploads, ticket_request_body
from services.intake.domain.access import TicketScope, can_read, sees_internal_notes
from services.intake.domain.numbers import is_ticket_number
from services.intake.domain.ticket import Ticket
from services.intake.service_layer.requesters import RequesterProblem, resolve_requester
from services.intake.service_layer.submissions import IncomingFile, NewTicket

router = APIRouter(prefix="/tickets", tags=["tickets"])
Svc = Annotated[Services, Depends(get_services)]

#: Channels a member of the public may use; the others are logged by the desk or a gateway.
PUBLIC_CHANNELS = ("web",)
CHANNEL_ROLES = frozenset({"province_it", "group_agent", "group_lead", "integration", "admin"})


def check_application(svc: Services, code: str | None) -> str | None:
    if code and code.strip().upper() not in svc.catalog.applications:
        raise FieldError(
            ("body", "application_code"), f"unknown application code {code!r}", kind="unknown_code"
        )
    return code.strip().upper() if code else None


async def requester_of(
    svc: Services, given: dict[str, Any], loc: tuple[str, ...]
) -> tuple[dict[str, Any], str | None, str | None]:
    try:
        found = await resolve_requester(given, svc.directory, svc.catalog)
    except RequesterProblem as problem:
        raise FieldError(
            (*loc, *problem.field.split(".")), problem.reason, kind="unknown_code"
        ) from problem
    return found.requester, found.unit_kind, found.province


@router.post(
    "",
    status_code=201,
    response_model=TicketCreated,
    openapi_extra=ticket_request_body(),
)
async def submit_ticket(
    request: Request,
    svc: Svc,
    user: OptionalUser,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> TicketCreated:
    """Submit a ticket (JSON, or multipart: `ticket` JSON + `attachments` files); a retry
    with the same Idempotency-Key returns the same ticket."""
    body, files = await _read_submission(request, svc)
    if body.received_at is not None and (user is None or user.role not in ("integration", "admin")):
        raise FieldError(
            ("body", "received_at"),
            "received_at may only be given by the integration role",
            status=403,
            kind="forbidden",
        )
    if body.channel not in PUBLIC_CHANNELS and (user is None or user.role not in CHANNEL_ROLES):
        raise FieldError(
            ("body", "channel"),
            f"channel {body.channel} is logged by the desk or a gateway, not submitted",
            status=403,
            kind="forbidden",
        )
    given = body.requester.model_dump()
    if user is not None and user.role == "requester":
        if given.get("email") and given["email"].lower() != (user.email or "").lower():
            raise FieldError(
                ("body", "requester", "email"), "a requester submits for themselves", status=403
            )
        given["email"] = user.email
    application = check_application(svc, body.application_code)
    requester, unit_kind, unit_province = await requester_of(svc, given, ("body", "requester"))
    svc.submissions.check_files(files)
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
    ticket = await svc.submissions.open_ticket(
        ticket_id,
        NewTicket(
            channel=body.channel,
            requester=requester,
            subject=body.subject,
            description=body.description,
            received_at=received_at,
            application_code=application,
            priority=body.priority,
            unit_kind=unit_kind,
            unit_province=unit_province,
            submitted_by=user.name if user else "public",
        ),
    )
    await svc.submissions.attach(ticket, files, "web", received_at)
    try:
        await svc.submissions.save(ticket)
    except IntegrityError:
        existing = await _existing(svc, ticket_id, submission)
        if existing is None:
            raise
        response.headers["Idempotent-Replayed"] = "true"
        return existing
    return TicketCreated(id=str(ticket.id), number=ticket.number, status=ticket.status)


async def _read_submission(
    request: Request, svc: Services
) -> tuple[TicketCreate, list[IncomingFile]]:
    content_type = request.headers.get("content-type", "")
    files: list[IncomingFile] = []
    if content_type.startswith("multipart/form-data"):
        fields, files = await read_uploads(request, svc.submissions.policy.max_files)
        raw = fields.get("ticket")
        if raw is None:
            raise FieldError(("body", "ticket"), "a multipart submission needs a `ticket` field")
    else:
        raw = (await request.body()).decode("utf-8", errors="replace")
    try:
        return TicketCreate.model_validate_json(raw or "null"), files
    except ValidationError as error:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in error.errors(include_url=False)]
        ) from error


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


def scope_of(row: dict[str, Any]) -> TicketScope:
    return TicketScope(
        province=row.get("province"),
        group=row.get("group_code"),
        requester_email=(row.get("requester") or {}).get("email"),
    )


def _visible(user: Principal, row: dict[str, Any]) -> bool:
    """Province staff see their province only; requesters their own tickets (SPEC §8)."""
    return can_read(user, scope_of(row))


def _public(row: dict[str, Any]) -> TicketPublic:
    row = dict(row)
    row["id"] = str(row["id"])
    row["group"] = row.pop("group_code", None)
    row["parent"] = str(row["parent"]) if row.get("parent") else None
    row["attachments"] = row.get("attachments") or []
    row["undeliverable"] = row.get("undeliverable") or []
    return TicketPublic(**row)


def _for(user: Principal, row: dict[str, Any]) -> dict[str, Any]:
    """What this caller may see of a visible ticket: requesters never see internal notes."""
    if sees_internal_notes(user):
        return row
    history = [
        h
        for h in row.get("history") or []
        if not (
            h["type"] == "hotro.ticket.commented.v1" and h["data"].get("visibility") != "public"
        )
    ]
    return {**row, "history": history}


async def visible_ticket(
    svc: Services, user: Principal, id_or_number: str
) -> dict[str, Any] | None:
    """The ticket's view row (or, just submitted, its events) if `user` may read it."""
    row = await svc.queries.one(id_or_number)
    if row is None:
        row = await _from_event_store(svc, id_or_number)
    if row is None or not _visible(user, row):
        return None
    return row


def not_found(id_or_number: str) -> JSONResponse:
    return JSONResponse(
        {
            "error": "not_found",
            "detail": [{"field": "id_or_number", "msg": f"no ticket {id_or_number}"}],
        },
        status_code=404,
    )


@router.get("/{id_or_number}", response_model=TicketPublic)
async def read_ticket(id_or_number: str, svc: Svc, user: CurrentUser) -> Any:
    """One ticket: status, group, handler, SLA and its whole history in order."""
    row = await visible_ticket(svc, user, id_or_number)
    if row is None:
        return not_found(id_or_number)
    return _public(_for(user, row))


async def _from_event_store(svc: Services, id_or_number: str) -> dict[str, Any] | None:
    """Just submitted, not yet in the view: answer from the ticket's own events."""
    try:
        found = (
            await svc.numbers.ticket_id_of(id_or_number)
            if is_ticket_number(id_or_number.upper())
            else uuid.UUID(id_or_number)
        )
        if found is None:
            return None
        ticket: Ticket = await asyncio.to_thread(svc.app.repository.get, found)
    except Exception:
        return None
    if not isinstance(ticket, Ticket):
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
    status: Annotated[str | None, Query(max_length=40)] = None,
    group: Annotated[str | None, Query(max_length=40)] = None,
    tier: Annotated[str | None, Query(max_length=10)] = None,
    province: Annotated[str | None, Query(max_length=40)] = None,
    unit: Annotated[str | None, Query(max_length=64)] = None,
    application: Annotated[str | None, Query(max_length=32)] = None,
    channel: Annotated[str | None, Query(max_length=20)] = None,
    parent: uuid.UUID | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> TicketsPublic:
    """Queue views, paged, newest first; `q` searches subject and description, ignoring case
    and diacritics ("tabmis khong dang nhap duoc" finds "TABMIS không đăng nhập được")."""
    filters: dict[str, Any] = {
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
        filters["province"] = user.province or ""
    if user.role == "requester":
        filters["lower(requester->>'email')"] = (user.email or "").lower()
    rows, total = await svc.queries.page(filters, q, limit, offset)
    return TicketsPublic(data=[_public(r) for r in rows], count=total, limit=limit, offset=offset)
