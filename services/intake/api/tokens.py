"""`/api/v1/tokens`: an admin issues bearer tokens for the roles of SPEC §8 (shown once)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from services.intake.adapters.tokens import Principal
from services.intake.api.deps import CurrentUser, Services, get_services
from services.intake.api.errors import FieldError
from services.intake.api.schemas import TokenCreate, TokenIssued
from services.intake.domain.access import check_role

router = APIRouter(prefix="/tokens", tags=["access"])
Svc = Annotated[Services, Depends(get_services)]


@router.post("", status_code=201, response_model=TokenIssued)
async def issue_token(body: TokenCreate, svc: Svc, user: CurrentUser) -> TokenIssued:
    """A new token; the database keeps only its SHA-256, so this answer is the only copy."""
    check_role(user, frozenset({"admin"}), "cấp mã truy cập / issue tokens")
    if body.role == "province_it" and body.province not in svc.catalog.provinces:
        raise FieldError(("body", "province"), "province_it needs a province code of the catalog")
    if body.role in ("group_agent", "group_lead") and body.group not in svc.catalog.groups:
        raise FieldError(("body", "group"), "a group role needs a group code of the catalog")
    if body.role == "requester" and not body.email:
        raise FieldError(("body", "email"), "a requester token needs the requester's e-mail")
    principal = Principal(
        body.name, body.role, body.province, body.group, body.email.lower() if body.email else None
    )
    token = await svc.tokens.issue(principal)
    return TokenIssued(token=token, **principal.__dict__)
