"""Read-only desk pages: outages and their children, known errors, monitoring (checks and the
incidents it opened), and the analysts' reports — each the API's answer to the person.

There is no "list outages" call in the API: an outage is a ticket other reports are linked
to (routing's duplicate links, SPEC §3.4) or one that monitoring opened. The index gathers
them from what the person's own queue shows (the parents of recent tickets, and monitoring's
tickets), so a province officer sees the outages that touch their province only.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.intake.web.api_client import seg
from services.intake.web.auth import principal
from services.intake.web.common import Session, api, api_error, error_page, staff_only, to
from services.intake.web.render import page
from services.intake.web.sessions import WebSession

desk = APIRouter(include_in_schema=False)
RECENT = 200
REPORT_KINDS = {"weekly": "Báo cáo tuần", "monthly": "Báo cáo tháng", "quarterly": "Báo cáo quý"}
DOWNLOADS = {"csv": "text/csv", "xlsx": "xlsx", "json": "json"}
_PERIOD = re.compile(r"^[0-9A-Za-z-]{0,10}$")
_PROVINCE = re.compile(r"^[A-Za-z0-9_-]{0,40}$")


def _signed_in_staff(session: WebSession | None) -> bool:
    return staff_only(session) is not None


async def _tickets(request: Request, session: WebSession, **params: Any) -> list[dict[str, Any]]:
    answer = await api(request, session, "GET", "/tickets", params={"limit": RECENT, **params})
    return list(answer.json()["data"]) if answer.ok else []


@desk.get("/workspace/outages")
async def outages(request: Request, session: Session) -> Response:
    if not _signed_in_staff(session) or session is None:
        return to("/sign-in")
    wanted = request.query_params.get("number", "").strip()
    if wanted:
        return to(f"/workspace/outages/{quote(wanted, safe='')}")
    recent = await _tickets(request, session)
    monitoring = await _tickets(request, session, channel="monitoring")
    children = Counter(t["parent"] for t in recent if t.get("parent"))
    known = {t["id"]: t for t in (*recent, *monitoring)}
    parents = []
    for parent_id in children:
        if parent_id not in known:
            found = await api(request, session, "GET", f"/tickets/{seg(parent_id)}")
            if not found.ok:
                continue  # another province's outage: the API does not show it
            known[parent_id] = found.json()
        parents.append(known[parent_id])
    listed = {p["id"] for p in parents}
    parents += [t for t in monitoring if t["id"] not in listed]
    return page(
        request,
        "outages.html",
        outages=parents,
        children=children,
        me=principal(session),
        csrf=session.csrf,
    )


@desk.get("/workspace/outages/{id_or_number}")
async def outage(request: Request, session: Session, id_or_number: str) -> Response:
    if not _signed_in_staff(session) or session is None:
        return to("/sign-in")
    answer = await api(request, session, "GET", f"/tickets/{seg(id_or_number)}")
    if not answer.ok:
        return api_error(request, session, answer)
    parent = answer.json()
    kids = await _tickets(request, session, parent=parent["id"])
    return page(
        request, "outage.html", parent=parent, kids=kids, me=principal(session), csrf=session.csrf
    )


@desk.get("/workspace/known-errors")
async def known_errors(request: Request, session: Session) -> Response:
    if not _signed_in_staff(session) or session is None:
        return to("/sign-in")
    status = request.query_params.get("status", "")
    params = {"status": status} if status in ("open", "fix_in_progress", "released") else {}
    answer = await api(request, session, "GET", "/known-errors", params=params)
    if not answer.ok:
        return api_error(request, session, answer)
    return page(
        request,
        "known_errors.html",
        errors=answer.json().get("data") or [],
        chosen=status,
        me=principal(session),
        csrf=session.csrf,
    )


@desk.get("/workspace/monitoring")
async def monitoring(request: Request, session: Session) -> Response:
    if not _signed_in_staff(session) or session is None:
        return to("/sign-in")
    checks = await api(request, session, "GET", "/checks")
    if checks.status in (401, 403):
        return api_error(request, session, checks)
    incidents = await _tickets(request, session, channel="monitoring")
    return page(
        request,
        "monitoring.html",
        checks=(checks.json() or {}).get("data", []) if checks.ok else [],
        checks_error=checks.message,
        incidents=incidents,
        me=principal(session),
        csrf=session.csrf,
    )


def _report_query(request: Request) -> dict[str, str] | None:
    period = request.query_params.get("period", "").strip()
    province = request.query_params.get("province", "").strip().upper()
    if not _PERIOD.match(period) or not _PROVINCE.match(province):
        return None
    return {k: v for k, v in (("period", period), ("province", province)) if v}


@desk.get("/analyst/reports")
async def reports(request: Request, session: Session) -> Response:
    """Pick a report and a period; the report itself is reporting's HTML page, embedded."""
    if not _signed_in_staff(session) or session is None:
        return to("/sign-in")
    kind = request.query_params.get("kind", "monthly")
    query = _report_query(request)
    if kind not in REPORT_KINDS or query is None:
        return error_page(request, session, 422, "Loại báo cáo hoặc kỳ báo cáo không hợp lệ.")
    probe = await api(request, session, "GET", f"/reports/{kind}", params=query)
    summary = probe.json() if probe.ok else None
    return page(
        request,
        "reports.html",
        status=200 if probe.ok else probe.status,
        kinds=REPORT_KINDS,
        kind=kind,
        query=query,
        problem=probe.message,
        problem_field=next(iter(probe.errors()), ""),
        summary=summary,
        period_label=_period_label(summary, query),
        me=principal(session),
        csrf=session.csrf,
    )


def _period_label(summary: Any, query: dict[str, str]) -> str:
    period = summary.get("period") if isinstance(summary, dict) else None
    if isinstance(period, dict):
        found = period.get("label") or period.get("id") or period.get("name")
        if found is None and period.get("start"):
            found = f"{period.get('start')} – {period.get('end')}"
        return str(found or query.get("period", ""))
    return str(period or query.get("period", ""))


@desk.get("/analyst/reports/{kind}/{format}")
async def report_file(request: Request, session: Session, kind: str, format: str) -> Response:
    """The report as reporting renders it (HTML with its SVG charts, CSV, XLSX, JSON), with
    its content type and download name, for the signed-in person."""
    if not _signed_in_staff(session) or session is None:
        return to("/sign-in")
    query = _report_query(request)
    if kind not in REPORT_KINDS or format not in (*DOWNLOADS, "html") or query is None:
        return error_page(request, session, 404, "Không có báo cáo này.")
    answer = await api(
        request, session, "GET", f"/reports/{kind}", params={**query, "format": format}
    )
    if not answer.ok:
        return api_error(request, session, answer)
    passed = {
        k: v
        for k, v in answer.headers.items()
        if k.lower() in ("content-type", "content-disposition")
    }
    return Response(answer.body, status_code=200, headers=passed)
