"""Ladder moves on the gateway: forwarded to the escalation service, which owns them (rule 1).

The gateway authenticates the caller and passes who they are on; escalation decides whether
they may act (a province on its own tickets only) and answers 403/409 with the reason.
Also the two queue views of the ladder: "mine to handle" and "mine to follow up".
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from libs.events.commands import (
    KnownErrorMove,
    KnownErrorMoved,
    KnownErrorPublic,
    KnownErrorsPublic,
)
from services.intake.adapters.tokens import Principal
from services.intake.api.assign_check import checked_assignment
from services.intake.api.deps import CurrentUser, Services, get_services
from services.intake.api.errors import FieldError
from services.intake.api.internal_calls import Internal, InternalCalls
from services.intake.api.numbered import numbered
from services.intake.api.query import StrictQuery
from services.intake.api.queue_filters import (
    SORT_HELP,
    SortOrder,
    TicketFilters,
    ticket_filters,
)
from services.intake.api.schemas import TicketsPublic
from services.intake.api.tickets import (
    STAFF_ROLES,
    _public,
    reachable_ticket,
    scope_digest,
    scope_known_errors,
    scoped_where,
)
from services.intake.domain.access import check_role
from services.intake.service_layer.desk import get_desk
from services.intake.service_layer.requesters import request_day

router = APIRouter(tags=["ladder"])
Svc = Annotated[Services, Depends(get_services)]


async def _forward(
    svc: Services,
    internal: InternalCalls,
    user: Principal,
    id_or_number: str,
    move: str,
    request: Request,
) -> Any:
    # The gateway answers who may see the ticket (404 for another requester's, 403 for
    # another province's); escalation answers who may move it.
    ticket_id = str((await reachable_ticket(svc, user, id_or_number))["id"])
    answer = await internal.call(
        "escalation", user, "POST", f"/tickets/{ticket_id}/{move}", content=await request.body()
    )
    return await numbered(svc.queries, answer)


@router.post("/tickets/{id_or_number}/assign")
async def assign(
    id_or_number: str, svc: Svc, internal: Internal, user: CurrentUser, request: Request
) -> Any:
    """Take the ticket at its current step: `{"assignee": "…"}`, a person of the agent
    directory working where the ticket is (their name or e-mail; GET /api/v1/agents)."""
    row = await reachable_ticket(svc, user, id_or_number)
    content = await checked_assignment(get_desk(request), user, row, await request.body())
    return await internal.call(
        "escalation", user, "POST", f"/tickets/{row['id']}/assign", content=content
    )


@router.post("/tickets/{id_or_number}/escalate")
async def escalate(
    id_or_number: str, svc: Svc, internal: Internal, user: CurrentUser, request: Request
) -> Any:
    """One step up the ladder: `{"reason": "…", "cause": null}`; the owner keeps the ticket."""
    return await _forward(svc, internal, user, id_or_number, "escalate", request)


@router.post("/tickets/{id_or_number}/return")
async def return_to_owner(
    id_or_number: str, svc: Svc, internal: Internal, user: CurrentUser, request: Request
) -> Any:
    """Send the answer back to the owner: `{"answer": "…"}`."""
    return await _forward(svc, internal, user, id_or_number, "return", request)


def _office_of(user: Principal, svc: Services) -> str | None:
    """The queue a caller works in: a province's IT office, or a group (or, for a
    specialist whose token names one, a department)."""
    if user.role == "province_it" and user.province in svc.catalog.provinces:
        # Today's L1 of the province: its regional treasury's IT function (2025), else the
        # provincial IT office of a catalog without regions.
        today = svc.catalog.as_of(request_day(None))
        regional = today.regional_office(user.province)
        return regional or svc.catalog.provinces[user.province].it_office
    return user.group


def known_offices(svc: Services) -> set[str]:
    """Every code a ticket's owner or handler can be: IT offices, groups, departments, ITO."""
    catalog = svc.catalog
    return {*catalog.it_offices, *catalog.groups, *catalog.departments, "ITO"}


def _asked_office(svc: Services, office: str | None) -> str | None:
    if office is None or not office.strip():
        return None
    code = office.strip().upper()
    if code not in known_offices(svc):
        raise FieldError(
            ("query", "office"),
            f"'{office}' không phải là mã đơn vị xử lý; danh sách ở /api/v1/catalog/offices. / "
            f"'{office}' is not an office code; the codes are listed at /api/v1/catalog/offices.",
        )
    return code


#: Specialists without a department of their own work the specialist steps of the ladder.
SPECIALIST_TIERS = {"mine-to-handle": ("L3", "L4"), "mine-to-follow-up": ("L4",)}


def _queue_where(queue: str, mine: str | None, role: str) -> tuple[dict[str, Any], list[str]]:
    if queue not in SPECIALIST_TIERS:
        raise FieldError(
            ("path", "queue"),
            f"Không có hàng đợi '{queue}'; dùng mine-to-handle hoặc mine-to-follow-up. / "
            f"There is no queue '{queue}'; use mine-to-handle or mine-to-follow-up.",
            status=404,
            kind="not_found",
        )
    if mine is None and role == "specialist":
        tiers = "','".join(SPECIALIST_TIERS[queue])
        return {}, [f"tier IN ('{tiers}')"]
    if mine is None:
        raise FieldError(
            ("query", "office"),
            "Hãy chọn đơn vị hoặc nhóm có hàng đợi cần xem (tham số office). / "
            "Name the office or group whose queue to show (the office parameter).",
        )
    if queue == "mine-to-handle":
        return {"handler": mine}, []
    return {"owner": mine, "handler <>": mine}, []


@router.get("/queues/{queue}", response_model=TicketsPublic)
async def my_queue(
    queue: str,
    svc: Svc,
    user: CurrentUser,
    _strict: StrictQuery,
    filters: Annotated[TicketFilters, Depends(ticket_filters)],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    office: Annotated[str | None, Query(max_length=40)] = None,
    sort: Annotated[SortOrder, Query(description=SORT_HELP)] = "sla",
) -> Any:
    """`mine-to-handle`: open tickets my office works on now; `mine-to-follow-up`: open
    tickets my office owns but has escalated (it answers the requester when the answer comes
    back). Sorted by what needs doing (breached, then due time, then priority) unless `sort`
    says otherwise; the filters of `GET /tickets` apply. Admins, analysts and integrations
    name the `office`; a specialist's queue is their department's (`office`) or, without one,
    every ticket at the specialist steps (L3–L4; L4 to follow up)."""
    check_role(user, STAFF_ROLES, "xem hàng đợi của bộ phận hỗ trợ / see the desk's queues")
    own = _office_of(user, svc)
    if user.role == "specialist":
        # The office asked for, else the department the token names, else the specialist steps.
        own = _asked_office(svc, office) or (own if own in known_offices(svc) else None)
    elif user.role in ("admin", "analyst", "integration"):
        own = _asked_office(svc, office)
    columns, extra = _queue_where(queue, own, user.role)
    where = await scoped_where(svc, user, filters)
    where.columns.update(columns)
    if "status" not in where.columns:
        where.extra.append("status NOT IN ('resolved','closed')")
    rows, total = await svc.queries.page(
        where.columns, filters.q, limit, offset, extra=[*where.extra, *extra], order=sort
    )
    return TicketsPublic(data=[_public(r) for r in rows], count=total, limit=limit, offset=offset)


async def _relay(
    internal: InternalCalls, user: Principal, method: str, path: str, request: Request
) -> Any:
    """Forward a request to escalation as it is, naming the caller."""
    return await internal.call(
        "escalation", user, method, path, content=await request.body(), params=request.query_params
    )


@router.get("/known-errors", response_model=KnownErrorsPublic)
async def known_errors(svc: Svc, user: CurrentUser, internal: Internal, request: Request) -> Any:
    """Known errors (software defects found by resolving tickets) and their linked tickets."""
    check_role(user, STAFF_ROLES, "xem lỗi đã biết / see known errors")
    answer = await _relay(internal, user, "GET", "/known-errors", request)
    return await scope_known_errors(svc, user, answer)


@router.get("/known-errors/{known_error}", response_model=KnownErrorPublic)
async def known_error(known_error: str, svc: Svc, user: CurrentUser, internal: Internal) -> Any:
    """One known error by its number (`KE-2026-TABMIS-001`) or id, with its linked tickets."""
    check_role(user, STAFF_ROLES, "xem lỗi đã biết / see known errors")
    answer = await internal.call(
        "escalation", user, "GET", f"/known-errors/{quote(known_error, safe='')}"
    )
    if answer.status_code != 200:
        return answer
    listed = JSONResponse({"data": [orjson.loads(answer.body)]})
    scoped = await scope_known_errors(svc, user, listed)
    return JSONResponse(orjson.loads(scoped.body)["data"][0])


@router.post("/known-errors/{known_error}/status", response_model=KnownErrorMoved)
async def move_known_error(
    known_error: str, body: KnownErrorMove, user: CurrentUser, internal: Internal
) -> Any:
    """Move a known error (by number or id) along; release tells every linked requester."""
    return await internal.call(
        "escalation",
        user,
        "POST",
        f"/known-errors/{quote(known_error, safe='')}/status",
        content=body.model_dump_json().encode(),
    )


@router.get("/proposals/digest")
async def proposals_digest(user: CurrentUser, internal: Internal, request: Request) -> Any:
    """`?month=YYYY-MM`: the month's proposals per responsible department."""
    check_role(user, STAFF_ROLES, "xem tổng hợp đề xuất / see the proposals digest")
    return scope_digest(user, await _relay(internal, user, "GET", "/proposals/digest", request))


@router.post("/proposals/digest/send")
async def send_proposals_digest(user: CurrentUser, internal: Internal, request: Request) -> Any:
    """`?month=YYYY-MM`: mail each department its digest (once)."""
    return await _relay(internal, user, "POST", "/proposals/digest/send", request)
