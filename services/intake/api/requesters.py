"""`/api/v1/requesters/import`: the requester directory in bulk, CSV or JSON lines (SPEC §7)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from services.intake.api.deps import CurrentUser, Services, get_services
from services.intake.api.schemas import ImportRejection, ImportResult
from services.intake.domain.access import check_role
from services.intake.domain.directory import parse_directory

router = APIRouter(prefix="/requesters", tags=["requesters"])
Svc = Annotated[Services, Depends(get_services)]

IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}


@router.post("/import", response_model=ImportResult, openapi_extra=IMPORT_BODY)
async def import_requesters(request: Request, svc: Svc, user: CurrentUser) -> ImportResult:
    """Create or update directory entries by e-mail; each rejected line is named with why."""
    check_role(user, frozenset({"admin", "integration"}), "nhập danh bạ / import the directory")
    text = (await request.body()).decode("utf-8", errors="replace")
    entries, rejected = parse_directory(text, svc.catalog)
    counts = await svc.directory.upsert(entries)
    return ImportResult(
        created=counts.created,
        updated=counts.updated,
        unchanged=counts.unchanged,
        rejected=[ImportRejection(line=r.line, reason=r.reason) for r in rejected],
    )
