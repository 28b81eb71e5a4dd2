"""Dependencies of the gateway's routes: the wired services and the caller."""

from __future__ import annotations

from dataclasses import dataclass
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
from services.intake.service_layer.mail_intake import MailIntake
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


async def optional_user(request: Request) -> Principal | None:
    header = request.headers.get("authorization", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise FieldError(
            ("header", "Authorization"),
            "expected 'Bearer <token>'",
            status=401,
            kind="unauthorized",
        )
    principal = await get_services(request).tokens.find(token.strip())
    if principal is None:
        raise FieldError(
            ("header", "Authorization"), "unknown or revoked token", status=401, kind="unauthorized"
        )
    return principal


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
