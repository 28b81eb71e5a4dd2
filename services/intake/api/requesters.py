"""`/api/v1/requesters/import`: the requester directory in bulk (SPEC §7), and its template.

Accepted bodies: CSV with a header line (columns in `CSV_COLUMNS`; UTF-8, a BOM is fine),
JSON lines (one object per line) or one JSON array of the same objects.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.intake.api.deps import CurrentUser, Services, get_services
from services.intake.api.schemas import ImportRejection, ImportResult
from services.intake.domain.access import check_role
from services.intake.domain.directory import parse_directory
from services.intake.service_layer.requesters import request_day

router = APIRouter(prefix="/requesters", tags=["requesters"])
Svc = Annotated[Services, Depends(get_services)]
IMPORTERS = frozenset({"admin", "integration"})

#: The CSV columns, in the template's order, with what each holds (README "Directory").
CSV_COLUMNS = {
    "name": "họ tên / full name (required)",
    "email": "e-mail, the key: re-importing it updates the entry (required)",
    "phone": "phone number (optional)",
    "unit_code": "unit code of the catalog, see GET /api/v1/catalog/units",
    "unit_kind": "for a unit outside the catalog: finance_agency, budget_unit, ministry, …",
    "unit_province": "for a unit outside the catalog: its province (code or name)",
    "unit_name": "for a unit outside the catalog: its name as the requester writes it",
}
TEMPLATE = (
    "\ufeff"
    + ",".join(CSV_COLUMNS)
    + "\r\n"
    + "Nguyễn Văn An,an.nv@kbnn.gov.vn,0243 824 0000,KBNN-HNI,,,\r\n"
    + "Trần Thị Bình,binh.tt@stc.danang.gov.vn,,,finance_agency,DNG,Sở Tài chính Đà Nẵng\r\n"
)

IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "description": (
            "CSV with a header line (" + ", ".join(CSV_COLUMNS) + "; give unit_code, or"
            " unit_kind + unit_province + unit_name), JSON lines, or a JSON array of"
            ' {"name", "email", "phone"?, "unit_code"} or {"unit": {kind, province, name}}.'
            " Template: GET /api/v1/requesters/import/template.csv"
        ),
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/x-ndjson": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
        },
    }
}


@router.post("/import", response_model=ImportResult, openapi_extra=IMPORT_BODY)
async def import_requesters(request: Request, svc: Svc, user: CurrentUser) -> ImportResult:
    """Create or update directory entries by e-mail; each rejected line is named with why."""
    check_role(user, IMPORTERS, "nhập danh bạ / import the directory")
    text = (await request.body()).decode("utf-8", errors="replace")
    entries, rejected = parse_directory(text, svc.catalog, request_day(None))
    counts = await svc.directory.upsert(entries)
    return ImportResult(
        created=counts.created,
        updated=counts.updated,
        unchanged=counts.unchanged,
        rejected=[ImportRejection(line=r.line, reason=r.reason) for r in rejected],
    )


@router.get("/import/template.csv", response_class=Response)
async def import_template(user: CurrentUser) -> Response:
    """A CSV to fill in: the header line and two example rows (a unit of the catalog, and a
    unit outside it); UTF-8 with a BOM so that Excel shows Vietnamese."""
    check_role(user, IMPORTERS, "nhập danh bạ / import the directory")
    return Response(
        TEMPLATE.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="danh-ba-mau.csv"'},
    )
