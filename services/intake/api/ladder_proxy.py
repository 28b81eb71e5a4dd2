"""Ladder moves on the gateway: forwarded to the escalation service, which owns them (rule 1).

The gateway authenticates the caller and passes who they are on; escalation decides whether
they may act (a province on its own tickets only) and answers 403/409 with the reason.
Also the two queue views of the ladder: "mine to handle" and "mine to follow up".
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from services.intake.adapters.tokens import Principal
from services.intake.api.deps import CurrentUser, Services, get_services
from services.intake.api.internal_calls import Internal, InternalCalls
from services.intake.api.schemas import TicketsPublic
from services.intake.api.tickets import (
    STAFF_ROLES,
    _public,
    reachable_ticket,
    scope_digest,
    scope_known_errors,
)
from services.intake.domain.access import check_role

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
    return await internal.call(
        "escalation", user, "POST", f"/tickets/{ticket_id}/{move}", content=await request.body()
    )


@router.post("/tickets/{id_or_number}/assign")
async def assign(
    id_or_number: str, svc: Svc, internal: Internal, user: CurrentUser, request: Request
) -> Any:
    """Take the ticket at its current step: `{"assignee": "…"}`."""
    return await _forward(svc, internal, user, id_or_number, "assign", request)


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
    """The queue a caller works in: a province's IT office, or a group."""
    if user.role == "province_it" and user.province in svc.catalog.provinces:
        return svc.catalog.provinces[user.province].it_office
    return user.group


@router.get("/queues/{queue}", response_model=TicketsPublic)
async def my_queue(
    queue: str,
    svc: Svc,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    office: str | None = None,
) -> Any:
    """`mine-to-handle`: tickets my office works on now; `mine-to-follow-up`: tickets my
    office owns but has escalated (it answers the requester when the answer comes back)."""
    check_role(user, STAFF_ROLES, "xem hàng đợi / see the desk's queues")
    mine = _office_of(user, svc) if user.role not in ("admin", "analyst") else office
    if mine is None:
        return JSONResponse(
            {
                "error": "invalid",
                "detail": [
                    {"field": "office", "msg": "name the office or group whose queue to show"}
                ],
            },
            status_code=422,
        )
    open_only = "status NOT IN ('resolved','closed')"
    if queue == "mine-to-handle":
        where = {"handler": mine}
    elif queue == "mine-to-follow-up":
        where = {"owner": mine, "handler <>": mine}
    else:
        return JSONResponse(
            {
                "error": "not_found",
                "detail": [{"field": "queue", "msg": "mine-to-handle or mine-to-follow-up"}],
            },
            status_code=404,
        )
    rows, total = await svc.queries.page(where, None, limit, offset, extra=[open_only])
    return TicketsPublic(data=[_public(r) for r in rows], count=total, limit=limit, offset=offset)


async def _relay(
    internal: InternalCalls, user: Principal, method: str, path: str, request: Request
) -> Any:
    """Forward a request to escalation as it is, naming the caller."""
    return await internal.call(
        "escalation", user, method, path, content=await request.body(), params=request.query_params
    )


@router.get("/known-errors")
async def known_errors(svc: Svc, user: CurrentUser, internal: Internal, request: Request) -> Any:
    """Known errors (software defects found by resolving tickets) and their linked tickets."""
    check_role(user, STAFF_ROLES, "xem lỗi đã biết / see known errors")
    answer = await _relay(internal, user, "GET", "/known-errors", request)
    return await scope_known_errors(svc, user, answer)


@router.post("/known-errors/{known_error_id}/status")
async def move_known_error(
    known_error_id: str, user: CurrentUser, internal: Internal, request: Request
) -> Any:
    """`{"status": "fix_in_progress" | "released", "note": "…"}`; release tells requesters."""
    return await _relay(internal, user, "POST", f"/known-errors/{known_error_id}/status", request)


@router.get("/proposals/digest")
async def proposals_digest(user: CurrentUser, internal: Internal, request: Request) -> Any:
    """`?month=YYYY-MM`: the month's proposals per responsible department."""
    check_role(user, STAFF_ROLES, "xem tổng hợp đề xuất / see the proposals digest")
    return scope_digest(user, await _relay(internal, user, "GET", "/proposals/digest", request))


@router.post("/proposals/digest/send")
async def send_proposals_digest(user: CurrentUser, internal: Internal, request: Request) -> Any:
    """`?month=YYYY-MM`: mail each department its digest (once)."""
    return await _relay(internal, user, "POST", "/proposals/digest/send", request)
