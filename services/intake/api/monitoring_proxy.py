"""Monitoring on the gateway: the morning round and the checks, forwarded to monitoring.

Monitoring owns checks, their results and the readiness round (rule 3); the gateway
authenticates the caller and passes who they are on. Monitoring decides what the role may do
(only an admin runs the round: 403) and validates what is asked (422 naming the field).
Requesters are refused here: the estate's hosts and results are for staff, and the public
status page is what requesters read.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request

from libs.platform.errors import problem
from services.intake.api.deps import CurrentUser
from services.intake.api.internal_calls import Internal

router = APIRouter(tags=["monitoring"])


async def _forward(internal: Internal, user: CurrentUser, request: Request, path: str) -> Any:
    if user.role == "requester":
        return problem(
            403,
            "forbidden",
            ("header", "Authorization"),
            "Giám sát dành cho cán bộ hỗ trợ, không dành cho người yêu cầu. / "
            "Monitoring is for the desk's staff, not for requesters.",
        )
    return await internal.call(
        "monitoring",
        user,
        request.method,
        path,
        content=await request.body(),
        params=request.query_params,
    )


@router.get("/readiness/{day}")
async def readiness_of(day: str, user: CurrentUser, internal: Internal, request: Request) -> Any:
    """That day's morning round (YYYY-MM-DD): per check ok, checked_at, duration_ms, reason;
    completed_at, sent_at, late."""
    return await _forward(internal, user, request, f"/readiness/{quote(day, safe='')}")


@router.post("/readiness/run", status_code=202)
async def run_round(user: CurrentUser, internal: Internal, request: Request) -> Any:
    """(admin) `?date=YYYY-MM-DD` (today): run the morning round now; a day already
    reported is re-checked but not reported again."""
    return await _forward(internal, user, request, "/readiness/run")


@router.get("/checks")
async def list_checks(user: CurrentUser, internal: Internal, request: Request) -> Any:
    """Every check `?application=&state=&kind=&morning=`: state, since, last result."""
    return await _forward(internal, user, request, "/checks")


@router.get("/checks/{check_id}")
async def get_check(check_id: str, user: CurrentUser, internal: Internal, request: Request) -> Any:
    """One check: settings, maintenance windows, recent results (`?limit=`)."""
    return await _forward(internal, user, request, f"/checks/{quote(check_id, safe='')}")
