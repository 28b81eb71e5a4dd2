"""`GET /api/v1/reports/{weekly,monthly,quarterly}?period=…&format=…` (SPEC §6, §7).

Who sees what (SPEC §8): analysts, admins and group leads the whole country; province IT staff
their own province only (a `province=` naming another one is 403); anyone else 403. Reports
only read: nothing here writes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from libs.calendar.business import CalendarRangeError
from libs.platform.caller import Caller, caller_from_assertion
from services.reporting.adapters.report_files import report_csv, report_xlsx
from services.reporting.adapters.report_html import report_html
from services.reporting.api.report_service import ReportService
from services.reporting.domain.periods import (
    KINDS,
    LOCAL_TZ,
    Period,
    PeriodError,
    default_period,
    parse_period,
)

router = APIRouter(prefix="/reports", tags=["reports"])
NATIONAL_ROLES = frozenset({"analyst", "admin", "group_lead"})
FORMATS = ("json", "csv", "xlsx", "html")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Who = Annotated[Caller, Depends(caller_from_assertion)]


def _problem(status: int, error: str, field: str, msg: str) -> JSONResponse:
    return JSONResponse(
        {"error": error, "detail": [{"field": field, "msg": msg}]}, status_code=status
    )


def _scope(caller: Caller, asked: str | None) -> str | JSONResponse | None:
    """The province the report is limited to (None: all), or the refusal."""
    if caller.role in NATIONAL_ROLES:
        return asked
    if caller.role == "province_it" and caller.province:
        if asked not in (None, caller.province):
            return _problem(
                403,
                "forbidden",
                "province",
                f"Cán bộ tỉnh {caller.province} chỉ xem được báo cáo của tỉnh mình. / Province"
                f" IT staff of {caller.province} see their own province only.",
            )
        return caller.province
    return _problem(
        403,
        "forbidden",
        "role",
        f"Vai trò {caller.role} không được xem báo cáo. / Role {caller.role} may not read reports.",
    )


def _period(kind: str, label: str | None) -> Period:
    if label is None or not label.strip():
        today = datetime.now(UTC).astimezone(LOCAL_TZ).date()
        return default_period(kind, today)  # type: ignore[arg-type]
    return parse_period(kind, label)


def _download(body: bytes, media_type: str, name: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/{kind}")
async def report(
    kind: str,
    request: Request,
    caller: Who,
    period: str | None = None,
    format: str = "json",
    province: str | None = None,
) -> Any:
    """A weekly, monthly or quarterly report (default: the last complete period) as JSON, CSV,
    XLSX or HTML; province IT staff get their province only."""
    if kind not in KINDS:
        return _problem(404, "not_found", "kind", f"no report {kind!r}: one of {', '.join(KINDS)}")
    if format not in FORMATS:
        return _problem(
            422, "invalid", "format", f"unknown format {format!r}: one of {', '.join(FORMATS)}"
        )
    scope = _scope(caller, province)
    if isinstance(scope, JSONResponse):
        return scope
    try:
        chosen = _period(kind, period)
    except PeriodError as error:
        return _problem(422, "invalid", error.field, error.reason)
    service: ReportService = request.app.state.reports
    try:
        body = await service.report(chosen, scope)
    except CalendarRangeError as error:
        return _problem(422, "invalid", "period", f"outside the treasury calendar: {error}")
    name = f"bao-cao-{chosen.label}{'-' + scope if scope else ''}"
    if format == "csv":
        return _download(report_csv(body), "text/csv; charset=utf-8", f"{name}.csv")
    if format == "xlsx":
        return _download(report_xlsx(body), XLSX, f"{name}.xlsx")
    if format == "html":
        return HTMLResponse(report_html(body, scope))
    return body
