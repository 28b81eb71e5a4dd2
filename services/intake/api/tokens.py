"""`/api/v1/tokens`: an admin issues bearer tokens for the roles of SPEC §8 (shown once), lists
them (never the secret nor its hash) and revokes them (who and when are kept)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.intake.adapters.tokens import Principal
from services.intake.api.deps import CurrentUser, Services, get_services
from services.intake.api.errors import FieldError
from services.intake.api.query import StrictQuery
from services.intake.api.schemas import Role, _Input
from services.intake.domain.access import check_role
from services.intake.domain.tokens import ExpiryRefused, TokenRecord, TokenStatus, status_of

router = APIRouter(prefix="/tokens", tags=["access"])
Svc = Annotated[Services, Depends(get_services)]
ADMINS = frozenset({"admin"})


class TokenCreate(_Input):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    role: Role
    province: str | None = Field(default=None, max_length=16)
    group: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    expires_in_days: int | None = Field(default=None, ge=1, le=100_000)
    expires_at: AwareDatetime | None = None


class TokenPublic(BaseModel):
    id: str
    name: str
    role: str
    province: str | None = None
    group: str | None = None
    email: str | None = None
    status: TokenStatus
    created_at: datetime
    created_by: str | None = None
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    bootstrap: bool = False


class TokenIssued(TokenPublic):
    token: str


class TokensPublic(BaseModel):
    data: list[TokenPublic]
    count: int
    limit: int
    offset: int


def _public(record: TokenRecord) -> dict[str, object]:
    fields = {k: v for k, v in record.__dict__.items() if k != "principal"}
    # `absorbed` is worked out from the catalog on each request; a token does not hold it.
    scope = {k: v for k, v in record.principal.__dict__.items() if k != "absorbed"}
    return {**scope, **fields, "status": status_of(record, datetime.now(UTC))}


@router.post("", status_code=201, response_model=TokenIssued)
async def issue_token(body: TokenCreate, svc: Svc, user: CurrentUser) -> TokenIssued:
    """A new token; the database keeps only its SHA-256, so this answer is the only copy."""
    check_role(user, ADMINS, "cấp mã truy cập / issue tokens")
    if body.role == "province_it" and body.province not in svc.catalog.provinces:
        raise FieldError(("body", "province"), "province_it needs a province code of the catalog")
    if body.role in ("group_agent", "group_lead") and body.group not in svc.catalog.groups:
        raise FieldError(("body", "group"), "a group role needs a group code of the catalog")
    if body.role == "requester" and not body.email:
        raise FieldError(("body", "email"), "a requester token needs the requester's e-mail")
    principal = Principal(
        body.name, body.role, body.province, body.group, body.email.lower() if body.email else None
    )
    try:
        token, record = await svc.tokens.create(
            principal,
            expires_in_days=body.expires_in_days,
            expires_at=body.expires_at,
            created_by=user.name,
        )
    except ExpiryRefused as refused:
        raise FieldError(("body", refused.field), refused.reason) from None
    return TokenIssued.model_validate({**_public(record), "token": token})


@router.get("", response_model=TokensPublic)
async def list_tokens(
    svc: Svc,
    user: CurrentUser,
    _strict: StrictQuery,
    role: Role | None = None,
    status: TokenStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> TokensPublic:
    """Every token, newest first: who it stands for, its dates and status; never the secret."""
    check_role(user, ADMINS, "xem mã truy cập / list tokens")
    records, count = await svc.tokens.list(role=role, status=status, limit=limit, offset=offset)
    data = [TokenPublic.model_validate(_public(r)) for r in records]
    return TokensPublic(data=data, count=count, limit=limit, offset=offset)


@router.delete("/{token_id}", response_model=TokenPublic)
async def revoke_token(token_id: uuid.UUID, svc: Svc, user: CurrentUser) -> TokenPublic:
    """Revoke a token at once (its next use gets 401 'revoked'); repeating it changes nothing."""
    check_role(user, ADMINS, "thu hồi mã truy cập / revoke tokens")
    record = await svc.tokens.revoke(str(token_id), by=user.name)
    if record is None:
        raise FieldError(("path", "token_id"), f"no token {token_id}", 404, "not_found")
    return TokenPublic.model_validate(_public(record))
