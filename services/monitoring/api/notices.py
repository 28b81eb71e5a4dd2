"""Operators' notices (SPEC §7): `POST /announcements`, `/announcements/{id}/updates`,
`POST /maintenances`, `/maintenances/{id}/updates`, and each notice's own `GET`.

Who may publish is `domain/notices.may_publish` (403 otherwise); an unknown application is a
422 naming `applications`; a move its flow does not allow is a 409 and records nothing.
Times without an offset are read as Asia/Ho_Chi_Minh, like the checks file.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from libs.platform.caller import Caller, caller_from_assertion
from services.monitoring.adapters.notices_store import NoticeNotFound
from services.monitoring.adapters.status_view import public_notice
from services.monitoring.adapters.status_wiring import StatusServices
from services.monitoring.api.errors import problem
from services.monitoring.domain.notices import (
    ANNOUNCEMENT,
    MAINTENANCE,
    InvalidTransition,
    Notice,
    check_opening,
    check_window,
    may_publish,
    may_publish_some,
)
from services.monitoring.domain.status import LOCAL_TZ

router = APIRouter(tags=["notices"])
#: The role the gateway names an anonymous visitor of the public status page with.
PUBLIC_ROLE = "public"


def _services(request: Request) -> StatusServices:
    services: StatusServices = request.app.state.status
    return services


Svc = Annotated[StatusServices, Depends(_services)]
CallerDep = Annotated[Caller, Depends(caller_from_assertion)]
Text = Annotated[str, Field(min_length=1, max_length=5000)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class NoticeCreate(_Body):
    applications: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(
        min_length=1, max_length=50, description="catalog codes of the systems affected"
    )
    title: Annotated[str, Field(min_length=1, max_length=200)]
    description: Text = Field(description="what happened (or what the maintenance does)")
    guidance: Annotated[str, Field(max_length=5000)] = ""


class AnnouncementCreate(NoticeCreate):
    status: Literal["investigating", "identified", "monitoring"] = "investigating"
    expected_fix_at: datetime | None = None


class MaintenanceCreate(NoticeCreate):
    status: Literal["scheduled", "in_progress"] = "scheduled"
    starts_at: datetime
    ends_at: datetime


class AnnouncementUpdate(_Body):
    status: Literal["investigating", "identified", "monitoring", "resolved"]
    message: Text
    guidance: Annotated[str, Field(max_length=5000)] | None = None
    expected_fix_at: datetime | None = None


class MaintenanceUpdate(_Body):
    status: Literal["scheduled", "in_progress", "completed", "cancelled"]
    message: Text
    guidance: Annotated[str, Field(max_length=5000)] | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None


def _local(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=LOCAL_TZ)


def _forbidden() -> JSONResponse:
    return problem(
        403,
        "forbidden",
        "role",
        "Chỉ Service Desk, Nhóm kỹ thuật, trưởng nhóm phụ trách ứng dụng và quản trị viên được "
        "công bố thông báo. / Only the Service Desk and Technical groups, the lead of the "
        "applications' group and admins publish notices.",
    )


def _conflict(error: InvalidTransition) -> JSONResponse:
    return problem(409, "invalid_transition", "status", str(error))


def _unknown_applications(svc: StatusServices, codes: list[str]) -> JSONResponse | None:
    unknown = [c for c in codes if c not in svc.catalog.applications]
    if not unknown:
        return None
    return problem(
        422,
        "validation_failed",
        "applications",
        f"unknown application code(s): {', '.join(unknown)} (see GET /api/v1/catalog/applications)",
    )


async def _publish(
    svc: StatusServices, caller: Caller, kind: str, body: NoticeCreate, **times: Any
) -> Any:
    codes = list(dict.fromkeys(body.applications))
    refused = _unknown_applications(svc, codes)
    if refused is not None:
        return refused
    if not may_publish(caller.role, caller.group, codes, svc.owner_of):
        return _forbidden()
    status = str(getattr(body, "status"))  # noqa: B009 - both subclasses have it
    try:
        check_opening(kind, status)
    except InvalidTransition as error:
        return _conflict(error)
    view = await svc.notices.publish(
        kind=kind,
        title=body.title,
        applications=codes,
        description=body.description,
        guidance=body.guidance,
        status=status,
        actor=caller.name,
        at=svc.clock(),
        **{"expected_fix_at": None, "starts_at": None, "ends_at": None, **times},
    )
    return JSONResponse(view, status_code=201)


async def _update(
    svc: StatusServices, caller: Caller, kind: str, notice_id: str, body: Any, **times: Any
) -> Any:
    if not may_publish_some(caller.role, caller.group):
        return _forbidden()
    try:
        key = uuid.UUID(notice_id)
    except ValueError:
        return problem(404, "not_found", "notice_id", f"no {kind} {notice_id!r}")
    current = await svc.notices.get(key, kind)
    if current is None:
        return problem(404, "not_found", "notice_id", f"no {kind} {notice_id!r}")
    if not may_publish(caller.role, caller.group, current["applications"], svc.owner_of):
        return _forbidden()

    def change(notice: Notice) -> None:
        notice.post_update(
            status=body.status,
            message=body.message,
            actor=caller.name,
            at=svc.clock(),
            guidance=body.guidance,
            **times,
        )

    try:
        view = await svc.notices.update(key, kind, change)
    except NoticeNotFound:
        return problem(404, "not_found", "notice_id", f"no {kind} {notice_id!r}")
    except InvalidTransition as error:
        return _conflict(error)
    return JSONResponse(view, status_code=201)


@router.post("/announcements", status_code=201)
async def publish_announcement(body: AnnouncementCreate, svc: Svc, caller: CallerDep) -> Any:
    """Publish an announcement of an outage (status investigating, identified or monitoring)."""
    return await _publish(
        svc, caller, ANNOUNCEMENT, body, expected_fix_at=_local(body.expected_fix_at)
    )


@router.post("/announcements/{notice_id}/updates", status_code=201)
async def update_announcement(
    notice_id: str, body: AnnouncementUpdate, svc: Svc, caller: CallerDep
) -> Any:
    """Add an update: investigating → identified → monitoring → resolved (409 otherwise)."""
    return await _update(
        svc, caller, ANNOUNCEMENT, notice_id, body, expected_fix_at=_local(body.expected_fix_at)
    )


@router.post("/maintenances", status_code=201)
async def schedule_maintenance(body: MaintenanceCreate, svc: Svc, caller: CallerDep) -> Any:
    """Schedule a maintenance (`starts_at` … `ends_at`), or announce one already under way."""
    starts, ends = _local(body.starts_at), _local(body.ends_at)
    problem_text = check_window(starts, ends)
    if problem_text is not None:
        return problem(422, "validation_failed", "ends_at", problem_text)
    return await _publish(svc, caller, MAINTENANCE, body, starts_at=starts, ends_at=ends)


@router.post("/maintenances/{notice_id}/updates", status_code=201)
async def update_maintenance(
    notice_id: str, body: MaintenanceUpdate, svc: Svc, caller: CallerDep
) -> Any:
    """Add an update: scheduled → in_progress → completed, or scheduled → cancelled; a
    scheduled maintenance may be moved (`starts_at`, `ends_at`)."""
    return await _update(
        svc,
        caller,
        MAINTENANCE,
        notice_id,
        body,
        starts_at=_local(body.starts_at),
        ends_at=_local(body.ends_at),
    )


async def _one(svc: StatusServices, caller: Caller, kind: str, notice_id: str) -> Any:
    try:
        view = await svc.notices.get(uuid.UUID(notice_id), kind)
    except ValueError:
        view = None
    if view is None:
        return problem(404, "not_found", "notice_id", f"no {kind} {notice_id!r}")
    return public_notice(view, svc.view.names) if caller.role == PUBLIC_ROLE else view


@router.get("/announcements/{notice_id}")
async def get_announcement(notice_id: str, svc: Svc, caller: CallerDep) -> Any:
    """One announcement with every update (operators also see who posted each)."""
    return await _one(svc, caller, ANNOUNCEMENT, notice_id)


@router.get("/maintenances/{notice_id}")
async def get_maintenance(notice_id: str, svc: Svc, caller: CallerDep) -> Any:
    """One maintenance with every update (operators also see who posted each)."""
    return await _one(svc, caller, MAINTENANCE, notice_id)
