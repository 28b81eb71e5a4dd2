"""`GET /api/v1/reports/{weekly,monthly,quarterly}` on the gateway: forwarded to reporting,
which owns the read models (rule 3) and decides who sees what (province IT staff their own
province, 403 for roles without reports). JSON, CSV, XLSX and HTML pass through as they are
(`call_raw`), with their content type and download name."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from services.intake.api.deps import CurrentUser
from services.intake.api.internal_calls import Internal

router = APIRouter(prefix="/reports", tags=["reports"])


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
