"""`GET /api/v1/reports/{weekly,monthly,quarterly}` on the gateway: forwarded to reporting,
which owns the read models (rule 3) and decides who sees what (province IT staff their own
province, 403 for roles without reports). JSON, CSV, XLSX and HTML pass through as they are
(`call_raw`), with their content type and download name. Rebuilding a projection from the log
(admins) and following its progress go to reporting too, which runs the rebuild."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from services.intake.api.deps import CurrentUser
from services.intake.api.internal_calls import Internal

router = APIRouter(prefix="/reports", tags=["reports"])


class RebuildCreate(BaseModel):
    projection: str = Field(description="tickets, status_changes, sla_clocks, ladder_moves, …")


@router.post("/rebuild", status_code=202)
async def start_rebuild(body: RebuildCreate, internal: Internal, user: CurrentUser) -> Any:
    """(admin) Rebuild a projection from the log beside the live one, then swap it in:
    `202 {id}`; 409 while one of the same projection is under way."""
    return await internal.call(
        "reporting", user, "POST", "/reports/rebuild", json=body.model_dump()
    )


@router.get("/rebuild/{rebuild_id}")
async def rebuild_progress(rebuild_id: str, internal: Internal, user: CurrentUser) -> Any:
    """A rebuild's progress: `{state, events_done, events_total, percent, rate_per_s,
    seconds_left, started_at, finished_at, error?}`."""
    return await internal.call("reporting", user, "GET", f"/reports/rebuild/{rebuild_id}")


@router.get("/{kind}")
async def report(
    kind: Literal["weekly", "monthly", "quarterly"],
    request: Request,
    internal: Internal,
    user: CurrentUser,
    period: str | None = Query(None, description="2026-W48, 2026-11 or 2026-Q4"),
    format: str = Query("json", description="json, csv, xlsx or html"),
    province: str | None = Query(None, description="a province code (analysts)"),
) -> Response:
    """A weekly, monthly or quarterly report (SPEC §6); default: the last complete period."""
    del period, format, province  # validated by reporting, forwarded as they came
    return await internal.call_raw(
        "reporting", user, "GET", f"/reports/{kind}", params=request.query_params or None
    )
