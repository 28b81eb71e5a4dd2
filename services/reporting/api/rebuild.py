"""`POST /api/v1/reports/rebuild` and `GET /api/v1/reports/rebuild/{id}` (issue 10: any
projection rebuilt from the log, with progress). Admins start one; admins and analysts follow
it. One rebuild per projection at a time: a second is 409 naming the one under way."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from libs.platform.caller import Caller, caller_from_assertion
from services.reporting.adapters import projections
from services.reporting.adapters.rebuild_jobs import RebuildRunning
from services.reporting.adapters.rebuild_service import RebuildService
from services.reporting.domain.rebuild_progress import Progress

router = APIRouter(prefix="/reports/rebuild", tags=["reports"])
Who = Annotated[Caller, Depends(caller_from_assertion)]
READERS = frozenset({"admin", "analyst"})


class RebuildCreate(BaseModel):
    projection: str


def _problem(status: int, error: str, field: str, msg: str, **more: Any) -> JSONResponse:
    return JSONResponse(
        {"error": error, "detail": [{"field": field, "msg": msg}], **more}, status_code=status
    )


def _forbidden(caller: Caller, allowed: frozenset[str]) -> JSONResponse | None:
    if caller.role in allowed:
        return None
    return _problem(
        403, "forbidden", "role", f"Vai trò {caller.role} không được dựng lại báo cáo. / Role"
        f" {caller.role} may not do this."
    )  # fmt: skip


@router.post("", status_code=202)
async def start_rebuild(body: RebuildCreate, request: Request, caller: Who) -> Any:
    """(admin) Rebuild one projection from the log, beside the live one; 202 with the job id."""
    refused = _forbidden(caller, frozenset({"admin"}))
    if refused is not None:
        return refused
    service: RebuildService = request.app.state.rebuilds
    if not service.known(body.projection):
        names = ", ".join(projections.PROJECTIONS)
        return _problem(
            422, "invalid", "projection", f"unknown projection {body.projection!r}: one of {names}"
        )
    try:
        job_id = await service.start(body.projection, caller.name)
    except RebuildRunning as running:
        return _problem(
            409,
            "conflict",
            "projection",
            f"a rebuild of {body.projection} is under way ({running.job_id})",
            id=running.job_id,
        )
    return {"id": job_id, "projection": body.projection, "state": "queued"}


@router.get("/{job_id}")
async def rebuild_progress(job_id: str, request: Request, caller: Who) -> Any:
    """A rebuild's state and progress: events done of total, percent, rate, time left."""
    refused = _forbidden(caller, READERS)
    if refused is not None:
        return refused
    try:
        uuid.UUID(job_id)
    except ValueError:
        return _problem(422, "invalid", "id", f"{job_id!r} is not a rebuild id (a UUID)")
    service: RebuildService = request.app.state.rebuilds
    job = await service.jobs.get(job_id)
    if job is None:
        return _problem(404, "not_found", "id", f"no rebuild {job_id}")
    finished = job.state == "done"
    progress = Progress(
        job.events_done,
        job.events_total,
        job.started_at,
        job.finished_at or datetime.now(UTC),
        finished,
    )
    body: dict[str, Any] = {
        "id": job.id,
        "projection": job.projection,
        "state": job.state,
        "events_done": job.events_done,
        "events_total": progress.total,
        "percent": progress.percent,
        "rate_per_s": progress.rate_per_s,
        "seconds_left": progress.seconds_left,
        "started_at": job.started_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }
    if job.error:
        body["error"] = job.error
    return body
