"""`GET /api/v1/readiness/{date}` and `POST /api/v1/readiness/run?date=` (SPEC §7).

A repeated run on a day that was already reported re-checks every system (its results
replace the day's in the GET and go out as another `round_completed` event) but sends no
second report: the day's report is the first one, and `sent_at`, `late` and `reported_run`
keep saying which. Only today's round (treasury time) can be run: checking the systems now
says nothing about how they were on another morning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from libs.platform.caller import Caller, caller_from_assertion
from services.monitoring.adapters.round_runner import MorningRound
from services.monitoring.api.errors import problem
from services.monitoring.domain.morning_round import RoundTimes
from services.monitoring.domain.readiness_round import RunInProgress

router = APIRouter(prefix="/readiness", tags=["readiness"])
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class ReadinessServices:
    round: MorningRound
    times: RoundTimes


def _services(request: Request) -> ReadinessServices:
    services: ReadinessServices = request.app.state.readiness
    return services


Svc = Annotated[ReadinessServices, Depends(_services)]
Who = Annotated[Caller, Depends(caller_from_assertion)]


def _day(text: str) -> date | JSONResponse:
    if _DATE.match(text):
        try:
            return date.fromisoformat(text)
        except ValueError as error:
            return problem(422, "validation_failed", "date", f"{text!r} is not a date: {error}")
    return problem(422, "validation_failed", "date", f"{text!r} is not a date (YYYY-MM-DD)")


@router.get("/{day}")
async def readiness_of(day: str, svc: Svc) -> Any:
    """That day's morning round: each check's result, completed_at, sent_at, late."""
    parsed = _day(day)
    if isinstance(parsed, JSONResponse):
        return parsed
    agg = await svc.round.load(parsed.isoformat())
    if agg is None or agg.runs == 0:
        return problem(404, "not_found", "date", f"no morning round on {parsed.isoformat()}")
    return agg.public()


@router.post("/run", status_code=202)
async def run_round(
    svc: Svc,
    who: Who,
    day: Annotated[str | None, Query(alias="date", description="YYYY-MM-DD, today")] = None,
) -> Any:
    """(admin) Run today's morning round now: a late or a repeated round. Answers at once;
    the run goes on in the background (GET the day to follow it)."""
    if who.role != "admin":
        return problem(403, "forbidden", "Authorization", "only an admin runs the morning round")
    today = svc.times.day_of(svc.round.now())
    parsed = today if day is None else _day(day)
    if isinstance(parsed, JSONResponse):
        return parsed
    if parsed != today:
        return problem(
            422,
            "validation_failed",
            "date",
            f"only today's round ({today.isoformat()}) can be run: the checks run now",
        )
    started = svc.round.now()
    late = svc.times.started_late(parsed, started)
    try:
        agg = await svc.round.begin(parsed, "manual", who.name, late)
    except RunInProgress as error:
        return problem(409, "conflict", "date", str(error))
    svc.round.start_in_background(agg, parsed)
    return {
        "date": agg.day,
        "run": agg.runs,
        "status": agg.progress,
        "late": late,
        "report": "already sent; not sent again"
        if agg.reported_at is not None
        else "sent when the run completes",
    }
