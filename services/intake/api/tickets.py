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
from services.intake.api.priority_input import priority_of_submission
from services.intake.api.query import StrictQuery
from services.intake.api.queue_filters import (
    SORT_HELP,
    QueueWhere,
    SortOrder,
    TicketFilters,
    queue_where,
    ticket_filters,
)
from services.intake.api.requester_view import RequesterTicket, RequesterTickets, for_requester
from services.intake.api.schemas import TicketCreate, TicketCreated, TicketPublic, TicketsPublic
from services.intake.api.uploads import read_uploads, ticket_request_body
from services.intake.domain.access import ROLES, TicketScope, can_read, covers_province
from services.intake.domain.numbers import is_ticket_number
from services.intake.domain.received import received_at_problem
from services.intake.domain.ticket import Ticket
from services.intake.service_layer.requesters import (
    RequesterProblem,
    note_remapped,
    request_day,
    resolve_requester,
)
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
    svc: Services, given: dict[str, Any], loc: tuple[str, ...], at: datetime | None = None
) -> tuple[dict[str, Any], str | None, str | None, tuple[str, ...]]:
    """The requester read in the organisation of the day `at` (received_at, else now), and
    the notes on what was mapped from an older one (`note_remapped` puts them on the ticket)."""
    try:
        found = await resolve_requester(given, svc.directory, svc.catalog, request_day(at))
    except RequesterProblem as problem:
        raise FieldError(
            (*loc, *problem.field.split(".")), requester_reason(problem), kind="unknown_code"
        ) from problem
    return found.requester, found.unit_kind, found.province, found.notes


#: What to tell a submitter about each requester field, Vietnamese first; where to look it up.
_REQUESTER_HELP = {
    "unit_code": (
        "Mã đơn vị không có trong danh mục; tra cứu mã ở /api/v1/catalog/units?q=<tên đơn vị>.",
        "the unit codes are listed at /api/v1/catalog/units (search with ?q=<unit name>)",
    ),
    "unit.province": (
        "Tỉnh không có trong danh mục; xem /api/v1/catalog/provinces.",
        "the provinces are listed at /api/v1/catalog/provinces",
    ),
    "unit.kind": (
        "Loại đơn vị không hợp lệ.",
        "kinds: kbnn_central, kbnn_province, kbnn_district, finance_agency, budget_unit, ministry",
    ),
    "name": ("Cần họ tên người yêu cầu.", "give the requester's name"),
}


def requester_reason(problem: RequesterProblem) -> str:
    """The requester refusal as whole sentences in both languages, saying where to look."""
    vi, hint = _REQUESTER_HELP.get(problem.field, ("Thông tin người yêu cầu chưa đúng.", ""))
    english = problem.reason[:1].upper() + problem.reason[1:]
    return f"{vi} / {english}" + (f"; {hint}." if hint else ".")


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
    problem = body.received_at and received_at_problem(body.received_at, datetime.now(UTC))
    if problem:
        raise FieldError(("body", "received_at"), problem)
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
    priority, urgency, basis = priority_of_submission(
        request, user, body.priority, body.urgency, application
    )
    requester, unit_kind, unit_province, notes = await requester_of(
        svc, given, ("body", "requester"), body.received_at
    )
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
            priority=priority,
            urgency=urgency,
            priority_basis=basis,
            kb_session=body.kb_session,
            unit_kind=unit_kind,
            unit_province=unit_province,
            submitted_by=user.name if user else "public",
        ),
    )
    note_remapped(ticket, notes, received_at)
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
    _strict: StrictQuery,
    filters: Annotated[TicketFilters, Depends(ticket_filters)],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    sort: Annotated[SortOrder, Query(description=SORT_HELP)] = "newest",
) -> Any:
    """Queue views, paged, newest first (`sort=sla`: breached first, then the next due
    time, then priority). Every filter may be repeated ("any of"); codes ignore case; an
    unknown parameter or value is 422. `q` matches whole words of the number, subject,
    description, requester's name and e-mail, comments and resolution notes, ignoring case
    and diacritics. Province staff see their province only (another `province` is 403); a
    requester sees their own tickets, as `RequesterTickets`."""
    where = await scoped_where(svc, user, filters)
    rows, total = await svc.queries.page(
        where.columns,
        filters.q,
        limit,
        offset,
        extra=where.extra,
        order=sort,
        public_only=user.role == "requester",
    )
    if user.role == "requester":
        mine = [for_requester(r, svc.catalog) for r in rows]
        return RequesterTickets(data=mine, count=total, limit=limit, offset=offset)
    return TicketsPublic(data=[_public(r) for r in rows], count=total, limit=limit, offset=offset)


async def scoped_where(svc: Services, user: Principal, filters: TicketFilters) -> QueueWhere:
    """The filters as view columns, narrowed to what the caller may read (SPEC §8)."""
    where = queue_where(filters, svc.catalog)
    if filters.parent:
        where.columns["parent"] = await _parent_of(svc, user, filters.parent)
    if user.role == "province_it":
        asked = where.columns.get("province") or []
        if not all(covers_province(user, p) for p in asked):
            raise FieldError(
                ("query", "province"),
                f"Cán bộ tỉnh {user.province} chỉ xem được yêu cầu của tỉnh mình. / "
                f"Province staff of {user.province} see their own province's tickets only.",
                status=403,
                kind="forbidden",
            )
        # Its own tickets and those the provinces it absorbed filed before (issue 14).
        where.columns["province"] = asked or [user.province or "", *sorted(user.absorbed)]
    if user.role == "requester":
        where.columns["lower(requester->>'email')"] = (user.email or "").lower()
    return where


async def _parent_of(svc: Services, user: Principal, given: str) -> str:
    """`parent=` by id or number; a ticket that is not there is a 422 naming it."""
    row = await svc.queries.one(given.strip())
    if row is None:
        raise FieldError(
            ("query", "parent"),
            f"Không có yêu cầu {given}. / There is no ticket {given} to list the children of.",
        )
    return str(row["id"])


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
            t for t in error.get("tickets") or [] if covers_province(user, provinces.get(str(t)))
        ]
    return JSONResponse(payload, status_code=200)


def scope_digest(user: Principal, answer: JSONResponse) -> JSONResponse:
    """The proposals digest lists tickets of every province: province staff see theirs."""
    if user.role != "province_it" or answer.status_code != 200:
        return answer
    payload = orjson.loads(answer.body)
    departments = []
    for entry in payload.get("departments") or []:
        own = [p for p in entry.get("proposals") or [] if covers_province(user, p.get("province"))]
        if own:
            departments.append({**entry, "proposals": own, "count": len(own)})
    return JSONResponse({**payload, "departments": departments}, status_code=200)
