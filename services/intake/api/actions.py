"""Operator actions on a ticket (SPEC §7): comments, status moves and files.

Each route finds the ticket the caller may see (`reachable_ticket`: 404 for a ticket that is
not there or is another requester's, 403 for another province's), checks the role may act
(403), then lets the Ticket aggregate decide (409 with a Vietnamese-and-English message when
the status does not allow the move).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

from eventsourcing.persistence import IntegrityError
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from libs.platform.errors import problem
from services.intake.adapters.tokens import Principal
from services.intake.api.canned import DeskDep, comment_text
from services.intake.api.deps import CurrentUser, Services, get_services
from services.intake.api.schemas import (
    CommentCreate,
    CommentState,
    Resolution,
    StatusChange,
    TicketState,
)
from services.intake.api.tickets import reachable_ticket, scope_of
from services.intake.api.uploads import read_uploads
from services.intake.domain.access import check_may
from services.intake.domain.ticket import REQUESTER_SIDE, Ticket
from services.intake.service_layer.mail_standing import mail_refusal
from services.intake.service_layer.ticket_changes import RETRIES, change, load

router = APIRouter(prefix="/tickets", tags=["ticket actions"])
Svc = Annotated[Services, Depends(get_services)]


async def _act(
    svc: Services,
    user: Principal,
    id_or_number: str,
    action: str,
    command: Callable[[Ticket], Any],
) -> Any:
    row = await reachable_ticket(svc, user, id_or_number)
    check_may(user, action, scope_of(row))
    ticket = await change(svc.app, uuid.UUID(str(row["id"])), command)
    return TicketState(id=str(ticket.id), number=ticket.number, status=ticket.status)


def _now() -> datetime:
    return datetime.now(UTC)


@router.post("/{id_or_number}/comments", status_code=201, response_model=CommentState)
async def add_comment(
    id_or_number: str, body: CommentCreate, svc: Svc, user: CurrentUser, desk: DeskDep
) -> Any:
    """A public reply (mailed to the requester: `mailed` says whether it can be) or an internal
    note; a requester's reply to a ticket waiting for them puts it back in progress."""
    role = "requester" if user.role == "requester" else user.role
    text = await comment_text(svc, desk, user, id_or_number, body)
    state = await _act(
        svc,
        user,
        id_or_number,
        f"comment_{body.visibility}",
        lambda t: t.comment(user.name, role, body.visibility, text, _now()),
    )
    if body.visibility != "public" or role in REQUESTER_SIDE:
        return CommentState(**state.model_dump())
    ticket = await asyncio.to_thread(load, svc.app, uuid.UUID(state.id))
    refused = await mail_refusal(svc.app, ticket.requester_email, ticket.undeliverable)
    return CommentState(**state.model_dump(), mailed=refused is None, mail_refused=refused)


@router.post("/{id_or_number}/start", response_model=TicketState)
async def start(
    id_or_number: str, svc: Svc, user: CurrentUser, body: StatusChange | None = None
) -> Any:
    """new / reopened → in_progress."""
    reason = body.reason if body else ""
    return await _act(
        svc, user, id_or_number, "start", lambda t: t.start(user.name, _now(), reason)
    )


@router.post("/{id_or_number}/wait", response_model=TicketState)
async def wait_for_requester(
    id_or_number: str, svc: Svc, user: CurrentUser, body: StatusChange | None = None
) -> Any:
    """→ waiting_requester: `reason` is the question mailed to the requester; the SLA clock
    pauses until they answer."""
    reason = body.reason if body else ""
    return await _act(
        svc, user, id_or_number, "wait", lambda t: t.wait_for_requester(user.name, _now(), reason)
    )


@router.post("/{id_or_number}/resume", response_model=TicketState)
async def resume(
    id_or_number: str, svc: Svc, user: CurrentUser, body: StatusChange | None = None
) -> Any:
    """waiting_requester → in_progress."""
    reason = body.reason if body else ""
    return await _act(
        svc, user, id_or_number, "resume", lambda t: t.resume(user.name, _now(), reason)
    )


@router.post("/{id_or_number}/resolve", response_model=TicketState)
async def resolve(id_or_number: str, body: Resolution, svc: Svc, user: CurrentUser) -> Any:
    """→ resolved, with the cause found (SPEC §3.2); the requester is told by mail."""
    return await _act(
        svc,
        user,
        id_or_number,
        "resolve",
        lambda t: t.resolve(user.name, _now(), body.cause, body.reason),
    )


@router.post("/{id_or_number}/reopen", response_model=TicketState)
async def reopen(
    id_or_number: str, svc: Svc, user: CurrentUser, body: StatusChange | None = None
) -> Any:
    """resolved → reopened."""
    reason = body.reason if body else ""
    return await _act(
        svc, user, id_or_number, "reopen", lambda t: t.reopen(user.name, _now(), reason)
    )


@router.post("/{id_or_number}/close", response_model=TicketState)
async def close(
    id_or_number: str, svc: Svc, user: CurrentUser, body: StatusChange | None = None
) -> Any:
    """resolved → closed (final: a later reply opens a new ticket)."""
    reason = body.reason if body else ""
    return await _act(
        svc, user, id_or_number, "close", lambda t: t.close(user.name, _now(), reason)
    )


@router.post(
    "/{id_or_number}/attachments",
    status_code=201,
    response_model=TicketState,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["attachments"],
                        "properties": {
                            "attachments": {
                                "type": "array",
                                "items": {"type": "string", "format": "binary"},
                            }
                        },
                    }
                }
            },
        }
    },
)
async def add_attachments(id_or_number: str, request: Request, svc: Svc, user: CurrentUser) -> Any:
    """Add files to a ticket (multipart `attachments`); checked by size and real type."""
    row = await reachable_ticket(svc, user, id_or_number)
    check_may(user, "attach", scope_of(row))
    _, files = await read_uploads(request, svc.submissions.policy.max_files)
    svc.submissions.check_files(files)
    ticket_id = uuid.UUID(str(row["id"]))
    for _ in range(RETRIES):
        ticket = await asyncio.to_thread(load, svc.app, ticket_id)
        ticket.check_not_closed()
        await svc.submissions.attach(ticket, files, "web", _now())
        try:
            await svc.submissions.save(ticket)
        except IntegrityError:
            continue  # changed meanwhile: attach to the fresh ticket
        return TicketState(id=str(ticket.id), number=ticket.number, status=ticket.status)
    raise RuntimeError("the ticket kept changing; try again")


@router.get("/{id_or_number}/attachments/{attachment_id}", response_class=Response)
async def download_attachment(
    id_or_number: str, attachment_id: str, svc: Svc, user: CurrentUser
) -> Response:
    """The file's bytes, served as a download (never rendered inline by the browser)."""
    row = await reachable_ticket(svc, user, id_or_number)
    found = next(
        (a for a in row.get("attachments") or [] if a.get("attachment_id") == attachment_id), None
    )
    data = await svc.blobs.get(found["sha256"]) if found and found.get("stored") else None
    if found is None or data is None:
        return problem(
            404,
            "not_found",
            ("path", "attachment_id"),
            f"Yêu cầu {row['number']} không có tệp {attachment_id}. / "
            f"Ticket {row['number']} has no file {attachment_id}.",
        )
    return Response(
        data,
        media_type=found["content_type"],
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{_quote(found['filename'])}",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _quote(filename: str) -> str:
    return quote(filename, safe="")
