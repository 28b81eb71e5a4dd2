"""`/api/v1/tickets`: submit (JSON, or multipart with files), read one, queue views (SPEC §7)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from eventsourcing.persistence import IntegrityError
from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from libs.platform.eventstore import derived_id
from services.intake.adapters.tokens import Principal
from services.intake.api.deps import CurrentUser, OptionalUser, Services, get_services
from services.intake.api.errors import FieldError
from services.intake.api.requester_view import RequesterTicket, RequesterTickets, for_requester
from services.intake.api.schemas import TicketCreate, TicketCreated, TicketPublic, TicketsPublic
from services.intake.api.uploads import read_uploads, ticket_request_body
from services.intake.domain.access import ROLES, TicketScope, can_read
from services.intake.domain.numbers import is_ticket_number
from services.intake.domain.ticket import Ticket
from services.intake.service_layer.requesters import RequesterProblem, resolve_requester
from services.intake.service_layer.submissions import IncomingFile, NewTicket
from services.intake.service_layer.ticket_changes import TicketNotFound

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
    if user is not None and user.role == "analyst":
        raise FieldError(
            ("header", "Authorization"),
            "Vai trò phân tích chỉ được xem, không tạo yêu cầu. / Analysts have read-only access.",
            status=403,
            kind="forbidden",
        )
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


async def reachable_ticket(svc: Services, user: Principal, id_or_number: str) -> dict[str, Any]:
    """The ticket's view row (or, just submitted, its events) if `user` may read it.

    One answer for reads and actions alike: a ticket that does not exist, or is another
    requester's, is 404 (a member of the public learns nothing of others' requests); a ticket
    in another province's queue is 403 for province staff, who may know its number and are
    told why (issue 13: "403 for another province's ticket on every action").
    """
    row = await svc.queries.one(id_or_number)
    if row is None:
        row = await _from_event_store(svc, id_or_number)
    if row is None or (user.role == "requester" and not _visible(user, row)):
        raise TicketNotFound(id_or_number)
    if not _visible(user, row):
        raise FieldError(
            ("path", "id_or_number"),
            f"Yêu cầu {row['number']} thuộc hàng đợi của tỉnh khác. / "
            f"Ticket {row['number']} belongs to another province's queue.",
            status=403,
            kind="forbidden",
        )
    return row


def shown_to(user: Principal, row: dict[str, Any], svc: Services) -> TicketPublic | RequesterTicket:
    """Staff see the whole view; a requester sees the allow-listed projection only."""
    return for_requester(row, svc.catalog) if user.role == "requester" else _public(row)


@router.get("/{id_or_number}", response_model=TicketPublic | RequesterTicket)
async def read_ticket(id_or_number: str, svc: Svc, user: CurrentUser) -> Any:
    """One ticket: status, group, handler, SLA and its whole history in order; a requester
    gets their own ticket only, as `RequesterTicket` (public conversation, status, answer)."""
    return shown_to(user, await reachable_ticket(svc, user, id_or_number), svc)


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


@router.get("", response_model=TicketsPublic | RequesterTickets)
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
) -> Any:
    """Queue views, paged, newest first; `q` searches subject and description, ignoring case
    and diacritics ("tabmis khong dang nhap duoc" finds "TABMIS không đăng nhập được").
    Province staff see their province only (another `province` is 403); a requester sees
    their own tickets, as `RequesterTickets`."""
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
        if province is not None and province.strip().upper() != (user.province or "").upper():
            raise FieldError(
                ("query", "province"),
                f"Cán bộ tỉnh {user.province} chỉ xem được yêu cầu của tỉnh mình. / "
                f"Province staff of {user.province} see their own province's tickets only.",
                status=403,
                kind="forbidden",
            )
        filters["province"] = user.province or ""
    if user.role == "requester":
        filters["lower(requester->>'email')"] = (user.email or "").lower()
    rows, total = await svc.queries.page(filters, q, limit, offset)
    if user.role == "requester":
        mine = [for_requester(r, svc.catalog) for r in rows]
        return RequesterTickets(data=mine, count=total, limit=limit, offset=offset)
    return TicketsPublic(data=[_public(r) for r in rows], count=total, limit=limit, offset=offset)


# --- tickets named in other services' answers (known errors, the proposals digest) ----------

#: Everyone but the public's side: the desk's own views (queues, known errors, the digest,
#: routing's previews and model) are not for requesters (SPEC §8 "own tickets only").
STAFF_ROLES = frozenset(ROLES) - {"requester"}


async def scope_known_errors(svc: Services, user: Principal, answer: JSONResponse) -> JSONResponse:
    """Known errors are national (one defect, many provinces); the tickets linked to them are
    not: province staff see the ids of their own province's tickets only."""
    if user.role != "province_it" or answer.status_code != 200:
        return answer
    payload = orjson.loads(answer.body)
    linked = {str(t) for error in payload.get("data") or [] for t in error.get("tickets") or []}
    provinces = await svc.queries.provinces_of(linked)
    for error in payload.get("data") or []:
        error["tickets"] = [
            t for t in error.get("tickets") or [] if provinces.get(str(t)) == user.province
        ]
    return JSONResponse(payload, status_code=200)


def scope_digest(user: Principal, answer: JSONResponse) -> JSONResponse:
    """The proposals digest lists tickets of every province: province staff see theirs."""
    if user.role != "province_it" or answer.status_code != 200:
        return answer
    payload = orjson.loads(answer.body)
    departments = []
    for entry in payload.get("departments") or []:
        own = [p for p in entry.get("proposals") or [] if p.get("province") == user.province]
        if own:
            departments.append({**entry, "proposals": own, "count": len(own)})
    return JSONResponse({**payload, "departments": departments}, status_code=200)
