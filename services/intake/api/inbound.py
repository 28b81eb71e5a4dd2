"""`/api/v1/inbound/…`: raw mail over HTTP (like RT's mail gateway), dead letters and held mail.

The mail gateway and the SMTP/IMAP channels share one path (`MailIntake`); only the
integration role may deliver (it may also say when the mail was really received), and only
admins inspect and replay dead letters, and accept held replies (outcome `held`: a reply from
someone outside the ticket's conversation) as a comment or open them as a new ticket.
Whatever the body, delivery answers 202 with the outcome; only a database that cannot store
the message answers 503 (retry later), as SMTP answers 451, and a message over
`HOTRO_MAX_MAIL_BYTES` (the limit of every mail path) 413. A dead letter is replayed as it is,
or corrected (the admin sends the mended message) and replayed, or dismissed with a reason.
`/inbound/addresses/{address}` says whether mail to an address is sent (a bounce stops it for
every ticket).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from libs.platform.errors import problem
from services.intake.api.deps import CurrentUser, Services, get_services
from services.intake.api.errors import FieldError
from services.intake.api.schemas import InboundOutcome, MailPublic, MailsPublic
from services.intake.domain.access import ROLES, check_role
from services.intake.domain.inbound_mail import InboxOutcome, NotDismissable, NotHeld
from services.intake.domain.received import received_at_problem
from services.intake.service_layer.mail_intake import MAX_MAIL_BYTES, STORAGE_ERRORS, MailOutcome

log = logging.getLogger(__name__)

router = APIRouter(prefix="/inbound", tags=["mail"])
Svc = Annotated[Services, Depends(get_services)]

GATEWAY_ROLES = frozenset({"integration", "admin"})
ADMIN = frozenset({"admin"})
#: Who may ask whether an address is mailed: everyone but requesters (the desk's reads).
STAFF = frozenset(ROLES) - {"requester"}


class Dismissal(BaseModel):
    """Why an admin dismisses a dead letter (or marks an address deliverable again)."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=3, max_length=1000, description="kept in the history")


class AddressStanding(BaseModel):
    address: str
    undeliverable: bool
    since: AwareDatetime | None = None
    reason: str | None = None
    bounced_message_id: str | None = None
    ticket_id: str | None = None
    #: Why no mail is sent to it, in Vietnamese and English.
    message: str | None = None


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
    """One raw RFC 822 message → ticket, comment, held, ignored or dead letter (with the
    reason); 413 over `HOTRO_MAX_MAIL_BYTES`, whatever the Content-Type."""
    check_role(user, GATEWAY_ROLES, "chuyển thư vào hệ thống / deliver mail")
    # A late delivery says when the mail really arrived (services/intake/domain/received.py).
    problem = received_at and received_at_problem(received_at, datetime.now(UTC))
    if problem:
        raise FieldError(("query", "received_at"), problem)
    raw = await read_message(request)
    try:
        result = await svc.mail.take_in(raw, "http", received_at)
    except STORAGE_ERRORS:
        log.exception("could not store an inbound message; the gateway will retry")
        return _unavailable()
    return _outcome(result)


async def read_message(request: Request) -> bytes:
    """The raw message, read as it streams in and never past `HOTRO_MAX_MAIL_BYTES` (the
    limit of every mail path: 413 beyond it, as the gateway's body limit answers first)."""
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_MAIL_BYTES:
            raise FieldError(
                ("body",),
                f"the message is more than {MAX_MAIL_BYTES} bytes (HOTRO_MAX_MAIL_BYTES)",
                status=413,
                kind="too_large",
            )
    if not raw or raw.isspace():
        raise FieldError(("body",), "the body must be one raw RFC 822 message")
    return bytes(raw)


def _unavailable() -> JSONResponse:
    return problem(
        503,
        "unavailable",
        "body",
        "Không lưu được thư, vui lòng gửi lại sau. / The message could not be stored; retry.",
        headers={"Retry-After": "30"},
    )


@router.get("/messages", response_model=MailsPublic)
async def list_messages(
    svc: Svc,
    user: CurrentUser,
    outcome: InboxOutcome | None = "dead_letter",
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


@router.post("/messages/{mail_id}/correct", response_model=InboundOutcome, openapi_extra=RAW_MAIL)
async def correct_and_replay(
    mail_id: uuid.UUID, request: Request, svc: Svc, user: CurrentUser
) -> Any:
    """Replace a dead letter's bytes with the corrected message (message/rfc822) and take it in
    through the usual path; sending the same correction again changes nothing (409 if the
    message is not a dead letter)."""
    check_role(user, ADMIN, "sửa và chạy lại thư lỗi / correct and replay dead letters")
    if await _inbound(svc, mail_id) is None:
        return _no_message(mail_id)
    raw = await read_message(request)
    try:
        return _outcome(await svc.mail.correct(mail_id, raw, user.name))
    except STORAGE_ERRORS:
        log.exception("could not store a corrected message")
        return _unavailable()


@router.post("/messages/{mail_id}/dismiss", response_model=InboundOutcome)
async def dismiss(mail_id: uuid.UUID, body: Dismissal, svc: Svc, user: CurrentUser) -> Any:
    """Dismiss a dead letter (or a held message) with the reason; it leaves the list of dead
    letters, the reason stays in its history (409 if it was taken in)."""
    check_role(user, ADMIN, "bỏ qua thư lỗi / dismiss dead letters")
    if await _inbound(svc, mail_id) is None:
        return _no_message(mail_id)
    try:
        return _outcome(await svc.mail.dismiss(mail_id, body.reason, user.name))
    except NotDismissable as refused:
        raise FieldError(
            ("mail_id",), str(refused), status=409, kind="not_dismissable"
        ) from refused


@router.get("/addresses/{address}", response_model=AddressStanding)
async def address_standing(address: str, svc: Svc, user: CurrentUser) -> AddressStanding:
    """Whether mail to this address is delivered, for every ticket (a bounce marks it)."""
    check_role(user, STAFF, "xem tình trạng địa chỉ thư / see an address's mail standing")
    return _standing(address, await svc.mail.address(address))


@router.post("/addresses/{address}/deliverable", response_model=AddressStanding)
async def mark_deliverable(
    address: str, body: Dismissal, svc: Svc, user: CurrentUser
) -> AddressStanding:
    """The mailbox works again (the requester said so): mail to it is sent again."""
    check_role(user, ADMIN, "mở lại địa chỉ thư / mark an address deliverable")
    standing = await svc.mail.mark_deliverable(address, body.reason, user.name)
    return _standing(address, standing)


def _standing(address: str, standing: Any) -> AddressStanding:
    if standing is None or not standing.undeliverable:
        return AddressStanding(address=address.strip().lower(), undeliverable=False)
    return AddressStanding(
        address=standing.address,
        undeliverable=True,
        since=standing.since,
        reason=standing.reason,
        bounced_message_id=standing.bounced_message_id or None,
        ticket_id=standing.ticket_id,
        message=standing.refusal(),
    )


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
