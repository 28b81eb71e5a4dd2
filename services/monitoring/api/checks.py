"""`GET /api/v1/checks` and `/checks/{id}` (SPEC §7): every check, its state and results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from libs.catalog.checks_model import Check, Estate, OneOffWindow, WeeklyWindow, Window
from services.monitoring.adapters.probes import Clock
from services.monitoring.adapters.results import ResultStore
from services.monitoring.api.errors import problem
from services.monitoring.domain.confirmation import UNKNOWN
from services.monitoring.domain.maintenance import in_window

router = APIRouter(prefix="/checks", tags=["checks"])
StateName = Literal["up", "down", "unknown", "maintenance"]


@dataclass
class ChecksServices:
    estate: Estate
    results: ResultStore
    clock: Clock


def _services(request: Request) -> ChecksServices:
    services: ChecksServices = request.app.state.checks
    return services


Svc = Annotated[ChecksServices, Depends(_services)]


def _summary(check: Check, row: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "id": check.id,
        "application": check.application,
        "kind": check.kind,
        "state": row["state"] if row else UNKNOWN,
        "since": row["since"].isoformat() if row and row["since"] else None,
        "last_result": row["last_result"] if row else None,
        "name": check.name,
        "target": check.target,
        "morning": check.morning,
        "interval_s": check.interval_s,
        "priority": check.priority,
        "labels": check.labels,
    }


def _window(window: Window, now: datetime) -> dict[str, Any]:
    active = in_window(window, now)
    if isinstance(window, WeeklyWindow):
        days = sorted(window.days)
        return {
            "name": window.name,
            "weekly": {
                "days": [("mon", "tue", "wed", "thu", "fri", "sat", "sun")[d] for d in days],
                "start": window.start.strftime("%H:%M"),
                "duration_min": int(window.duration.total_seconds() // 60),
            },
            "active": active,
        }
    assert isinstance(window, OneOffWindow)
    once = {"start": window.start.isoformat(), "end": window.end.isoformat()}
    return {"name": window.name, "once": once, "active": active}


@router.get("")
async def list_checks(
    svc: Svc,
    application: str | None = None,
    state: StateName | None = None,
    kind: Literal["http", "login", "tcp", "smtp", "imap"] | None = None,
    morning: bool | None = None,
) -> Any:
    """Every check with its state (up, down, unknown, maintenance), since when, last result."""
    rows = await svc.results.states()
    data = []
    for check in svc.estate.checks:
        if application is not None and check.application != application:
            continue
        if kind is not None and check.kind != kind:
            continue
        if morning is not None and check.morning != morning:
            continue
        summary = _summary(check, rows.get(check.id))
        if state is not None and summary["state"] != state:
            continue
        data.append(summary)
    return {"data": data, "count": len(data)}


@router.get("/{check_id}")
async def get_check(
    check_id: str, svc: Svc, limit: Annotated[int, Query(ge=1, le=1000)] = 50
) -> Any:
    """One check: its state, settings, maintenance windows and most recent results."""
    check = svc.estate.check(check_id)
    if check is None:
        return problem(404, "not_found", "check_id", f"no check {check_id!r}")
    rows = await svc.results.states(check_id)
    recent = await svc.results.recent(check_id, limit)
    now = svc.clock()
    return {
        **_summary(check, rows.get(check_id)),
        "timeout_s": check.timeout_s,
        "confirm_failures": check.confirm_failures,
        "confirm_recoveries": check.confirm_recoveries,
        "maintenance": [_window(w, now) for w in check.maintenance],
        "recent_results": [{**r, "checked_at": r["checked_at"].isoformat()} for r in recent],
    }
