"""`/api/v1/inbound/…`: raw mail over HTTP (like RT's mail gateway), dead letters and held mail.

The mail gateway and the SMTP/IMAP channels share one path (`MailIntake`); only the
integration role may deliver (it may also say when the mail was really received), and only
admins inspect and replay dead letters, and accept held replies (outcome `held`: a reply from
someone outside the ticket's conversation) as a comment or open them as a new ticket.
Whatever the body, delivery answers 202 with the outcome; only a database that cannot store
the message answers 503 (retry later), as SMTP answers 451.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from services.intake.api.deps import CurrentUser, Services, get_services
from services.intake.api.errors import FieldError
from services.intake.api.schemas import InboundOutcome, MailPublic, MailsPublic
from services.intake.domain.access import check_role
from services.intake.domain.inbound_mail import NotHeld, Outcome
from services.intake.service_layer.mail_intake import STORAGE_ERRORS, MailOutcome

log = logging.getLogger(__name__)

router = APIRouter(prefix="/inbound", tags=["mail"])
Svc = Annotated[Services, Depends(get_services)]

GATEWAY_ROLES = frozenset({"integration", "admin"})
#: A late delivery says when the mail really arrived: never before mail systems, never ahead
#: of now by more than a clock's skew (year 9999 also overflowed the ticket's local year).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
SKEW = timedelta(days=1)
ADMIN = frozenset({"admin"})
RAW_MAIL = {
    "requestBody": {
        "required": True,
        "content": {"message/rfc822": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.post("/email", status_code=202, response_model=InboundOutcome, openapi_extra=RAW_MAIL)
async def inbound_email(
    request: Request, svc: Svc, user: CurrentUser, received_at: datetime | None = None
) -> Any:
    """One raw RFC 822 message → ticket, comment, ignored or dead letter (with the reason)."""
    check_role(user, GATEWAY_ROLES, "chuyển thư vào hệ thống / deliver mail")
    if received_at is not None and received_at.tzinfo is None:
        raise FieldError(("query", "received_at"), "received_at needs a UTC offset")
    if received_at is not None and not EARLIEST <= received_at <= datetime.now(UTC) + SKEW:
        raise FieldError(("query", "received_at"), "received_at must be after 1970 and not ahead")
    raw = await request.body()
    if not raw.strip():
        raise FieldError(("body",), "the body must be one raw RFC 822 message")
    try:
        result = await svc.mail.take_in(raw, "http", received_at)
    except STORAGE_ERRORS:
        log.exception("could not store an inbound message; the gateway will retry")
        return JSONResponse(
            {
                "error": "unavailable",
                "detail": [{"field": "body", "msg": "the message could not be stored; retry"}],
            },
            status_code=503,
            headers={"Retry-After": "30"},
        )
    return _outcome(result)


@router.get("/messages", response_model=MailsPublic)
async def list_messages(
    svc: Svc,
    user: CurrentUser,
    outcome: Outcome | None = "dead_letter",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> MailsPublic:
    """Inbound mail and what became of it; by default the dead letters awaiting an admin
    (`outcome=held`: replies from unknown senders awaiting an operator)."""
    check_role(user, ADMIN, "xem thư lỗi / inspect inbound mail")
    rows, total = await svc.mail_queries.inbox(outcome, limit, offset)
    return MailsPublic(data=[_mail(r) for r in rows], count=total, limit=limit, offset=offset)


@router.get("/messages/{mail_id}/raw", response_class=Response)
async def raw_message(mail_id: uuid.UUID, svc: Svc, user: CurrentUser) -> Response:
    """The message exactly as received (message/rfc822), for inspection."""
    check_role(user, ADMIN, "xem thư lỗi / inspect inbound mail")
    inbound = await _inbound(svc, mail_id)
    data = await svc.blobs.get(inbound.raw_sha256) if inbound is not None else None
    if data is None:
        return _no_message(mail_id)
    return Response(
        data,
        media_type="message/rfc822",
        headers={"Content-Disposition": f'attachment; filename="{mail_id}.eml"'},
    )


@router.post("/messages/{mail_id}/replay", response_model=InboundOutcome)
async def replay(mail_id: uuid.UUID, svc: Svc, user: CurrentUser) -> Any:
    """Run a dead letter through intake again (409 if it is not a dead letter)."""
    check_role(user, ADMIN, "chạy lại thư lỗi / replay dead letters")
    if await _inbound(svc, mail_id) is None:
        return _no_message(mail_id)
    result = await svc.mail.replay(mail_id, user.name)
    return _outcome(result)


@router.post("/messages/{mail_id}/accept", response_model=InboundOutcome)
async def accept(mail_id: uuid.UUID, svc: Svc, user: CurrentUser) -> Any:
    """Release a held reply as a comment on the ticket it named (409 if it is not held)."""
    check_role(user, ADMIN, "duyệt thư chờ / release held mail")
    return await _release(svc, mail_id, partial(svc.mail.accept, mail_id, user.name))


@router.post("/messages/{mail_id}/as-ticket", response_model=InboundOutcome)
async def as_ticket(mail_id: uuid.UUID, svc: Svc, user: CurrentUser) -> Any:
    """Turn a held reply into a new ticket of its own (409 if it is not held)."""
    check_role(user, ADMIN, "duyệt thư chờ / release held mail")
    return await _release(svc, mail_id, partial(svc.mail.open_as_ticket, mail_id, user.name))


async def _release(
    svc: Services, mail_id: uuid.UUID, release: Callable[[], Awaitable[MailOutcome]]
) -> Any:
    if await _inbound(svc, mail_id) is None:
        return _no_message(mail_id)
    try:
        return _outcome(await release())
    except NotHeld as refused:
        raise FieldError(("mail_id",), str(refused), status=409, kind="not_held") from refused


def _outcome(result: MailOutcome) -> InboundOutcome:
    return InboundOutcome(
        outcome=result.outcome,  # type: ignore[arg-type]
        mail_id=result.mail_id,
        reason=result.reason,
        ticket_id=result.ticket_id,
        number=result.number,
    )


async def _inbound(svc: Services, mail_id: uuid.UUID) -> Any:
    return await svc.mail.find(mail_id)


def _no_message(mail_id: uuid.UUID) -> JSONResponse:
    return JSONResponse(
        {"error": "not_found", "detail": [{"field": "mail_id", "msg": f"no message {mail_id}"}]},
        status_code=404,
    )


def _mail(row: dict[str, Any]) -> MailPublic:
    row = dict(row)
    row["mail_id"] = str(row["mail_id"])
    row["ticket_id"] = str(row["ticket_id"]) if row.get("ticket_id") else None
    return MailPublic(**row)
