"""Dependencies of the gateway's routes: the wired services and the caller."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request

from libs.catalog.model import Catalog
from services.intake.adapters.blobs import BlobStore
from services.intake.adapters.directory import RequesterDirectory
from services.intake.adapters.mail_index import MailQueries
from services.intake.adapters.store import IntakeApplication, TicketNumbers
from services.intake.adapters.ticket_view import TicketQueries
from services.intake.adapters.tokens import Principal, TokenStore
from services.intake.api.errors import FieldError
from services.intake.domain.tokens import refusal, status_of
from services.intake.service_layer.mail_intake import MailIntake
from services.intake.service_layer.requesters import request_day
from services.intake.service_layer.submissions import Submissions


@dataclass
class Services:
    app: IntakeApplication
    catalog: Catalog
    numbers: TicketNumbers
    queries: TicketQueries
    tokens: TokenStore
    blobs: BlobStore
    directory: RequesterDirectory
    submissions: Submissions
    mail: MailIntake
    mail_queries: MailQueries


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


AUTH_STATE = "hotro.authentication"
#: Failures that look like guessing (no such token); expired and revoked tokens were real.
GUESSES = frozenset({"malformed", "unknown"})


@dataclass(frozen=True)
class Authentication:
    """What the Authorization header proved: a principal, or why not (`failure` is one of
    malformed, unknown, expired, revoked; `reason` is the 401's text)."""

    principal: Principal | None
    failure: str | None = None
    reason: str = ""


async def authenticate(request: Request) -> Authentication | None:
    """The caller behind the bearer token (None without a header), looked up once per request:
    the gateway's limits middleware asks first (lockout, rate limits), the routes reuse it."""
    state = request.scope.setdefault("state", {})
    if AUTH_STATE not in state:
        state[AUTH_STATE] = await _authenticate(request)
    result: Authentication | None = state[AUTH_STATE]
    return result


async def _authenticate(request: Request) -> Authentication | None:
    header = request.headers.get("authorization", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return Authentication(None, "malformed", "expected 'Bearer <token>'")
    record = await get_services(request).tokens.lookup(token.strip())
    if record is None:
        return Authentication(None, "unknown", "unknown token")
    now = datetime.now(UTC)
    why = refusal(record, now)
    if why is not None:
        return Authentication(None, status_of(record, now), why)
    return Authentication(in_force(record.principal, get_services(request).catalog))


def in_force(principal: Principal, catalog: Catalog) -> Principal:
    """A province_it token issued for a province absorbed in 2025 acts for its successor (the
    tickets filed from then carry the new code), and a successor's token reaches the tickets
    its absorbed provinces filed before (they carry the old code)."""
    if principal.province is None:
        return principal
    today = catalog.as_of(request_day(None))
    current = today.province_code(principal.province) or principal.province
    return replace(principal, province=current, absorbed=frozenset(today.predecessors(current)))


async def optional_user(request: Request) -> Principal | None:
    auth = await authenticate(request)
    if auth is None:
        return None
    if auth.principal is None:
        raise FieldError(("header", "Authorization"), auth.reason, status=401, kind="unauthorized")
    return auth.principal


async def current_user(user: Annotated[Principal | None, Depends(optional_user)]) -> Principal:
    if user is None:
        raise FieldError(
            ("header", "Authorization"),
            "a bearer token is required",
            status=401,
            kind="unauthorized",
        )
    return user


OptionalUser = Annotated[Principal | None, Depends(optional_user)]
CurrentUser = Annotated[Principal, Depends(current_user)]
