"""Known errors and the monthly proposals digest (SPEC §4)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any

from eventsourcing.application import AggregateNotFoundError
from fastapi import APIRouter, Query
from psycopg.rows import dict_row

from libs.events.commands import (
    KnownErrorMove as KnownErrorMoveBody,
)
from libs.events.commands import (
    KnownErrorMoved,
    KnownErrorPublic,
    KnownErrorsPublic,
    KnownErrorStatus,
    is_known_error_number,
)
from libs.platform.outgoing_mail import new_message
from services.escalation.api.ladder import Caller, LadderServices, Svc, _problem
from services.escalation.domain.known_errors import KnownError, KnownErrorMove
from services.escalation.domain.proposals import (
    ProposalLine,
    digest_by_department,
    digest_mail,
    previous_month,
)

router = APIRouter(tags=["known errors"])
log = logging.getLogger(__name__)
MAY_MOVE_KNOWN_ERRORS = ("specialist", "group_lead", "admin")


_COLUMNS = (
    "id::text, number, application, department, title, status, note,"
    " tickets::text[] AS tickets, opened_at, updated_at"
)


@router.get("/known-errors", response_model=KnownErrorsPublic)
async def list_known_errors(svc: Svc, status: KnownErrorStatus | None = None) -> Any:
    """Known errors with their linked tickets, newest first."""
    async with svc.pool.connection() as conn:
        cur = conn.cursor(row_factory=dict_row)
        await cur.execute(
            f'SELECT {_COLUMNS} FROM "{svc.schema}".known_errors'
            " WHERE %s::text IS NULL OR status = %s ORDER BY opened_at DESC",
            (status, status),
        )
        return {"data": await cur.fetchall()}


@router.get("/known-errors/{reference}", response_model=KnownErrorPublic)
async def one_known_error(reference: str, svc: Svc) -> Any:
    """One known error, by its number (`KE-2026-TABMIS-001`) or its id."""
    found = await _known_error_row(svc, reference)
    return found if found is not None else _unknown(reference)


@router.post("/known-errors/{reference}/status", response_model=KnownErrorMoved)
async def move_known_error(
    reference: str, body: KnownErrorMoveBody, svc: Svc, actor: Caller
) -> Any:
    """open → fix_in_progress → released; on release every linked requester is told."""
    if actor.role not in MAY_MOVE_KNOWN_ERRORS:
        return _problem(
            403,
            "forbidden",
            "Authorization",
            f"Vai trò {actor.role} không được thay đổi lỗi đã biết. / "
            f"The {actor.role} role cannot change a known error.",
        )
    known_error_id = await _known_error_id(svc, reference)
    if known_error_id is None:
        return _unknown(reference)

    def move() -> dict[str, Any]:
        known_error: KnownError = svc.app.repository.get(known_error_id)
        known_error.move_to(body.status, body.note, actor.name, datetime.now(UTC))
        svc.app.save(known_error)
        return {
            "id": str(known_error_id),
            "number": known_error.number,
            "status": known_error.status,
            "tickets": known_error.tickets,
        }

    try:
        return await asyncio.to_thread(move)
    except KnownErrorMove as error:  # a ValueError too: must come first
        return _problem(409, "invalid_move", "status", str(error))
    except AggregateNotFoundError:
        return _unknown(reference)


async def _known_error_row(svc: LadderServices, reference: str) -> dict[str, Any] | None:
    by_number = is_known_error_number(reference)
    if not by_number and _uuid(reference) is None:
        return None
    async with svc.pool.connection() as conn:
        cur = conn.cursor(row_factory=dict_row)
        await cur.execute(
            f'SELECT {_COLUMNS} FROM "{svc.schema}".known_errors WHERE '
            + ("upper(number) = %s" if by_number else "id::text = %s"),
            (reference.strip().upper() if by_number else str(_uuid(reference)),),
        )
        row: dict[str, Any] | None = await cur.fetchone()
    return row


async def _known_error_id(svc: LadderServices, reference: str) -> uuid.UUID | None:
    """A number is looked up in the known errors' table; an id is taken as it is."""
    if not is_known_error_number(reference):
        return _uuid(reference)
    row = await _known_error_row(svc, reference)
    return uuid.UUID(row["id"]) if row else None


def _uuid(reference: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(reference.strip())
    except ValueError:
        return None


def _unknown(reference: str) -> Any:
    return _problem(
        404,
        "not_found",
        "known_error",
        f"Không có lỗi đã biết {reference} (số dạng KE-2026-TABMIS-001). / "
        f"No known error {reference} (numbers look like KE-2026-TABMIS-001).",
    )


def _month(month: str) -> tuple[date, date]:
    year, number = (int(p) for p in month.split("-"))
    start = date(year, number, 1)
    end = date(year + (number == 12), number % 12 + 1, 1)
    return start, end


Month = Annotated[str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]


async def _proposals(svc: LadderServices, month: str) -> list[ProposalLine]:
    start, end = _month(month)
    async with svc.pool.connection() as conn:
        cur = await conn.execute(
            f"SELECT ticket_id::text, number, subject, application, province, received_at"
            f' FROM "{svc.schema}".ticket_facts WHERE type = %s AND received_at >= %s'
            " AND received_at < %s ORDER BY received_at",
            ("proposal", start, end),
        )
        rows = await cur.fetchall()
    return [ProposalLine(*row) for row in rows]


@router.get("/proposals/digest")
async def proposals_digest(month: Month, svc: Svc) -> Any:
    """The month's proposals (góp ý, đề xuất) gathered per responsible department."""
    lines = await _proposals(svc, month)
    return {"month": month, "departments": digest_by_department(lines, svc.catalog)}


@router.post("/proposals/digest/send")
async def send_proposals_digest(month: Month, svc: Svc, actor: Caller) -> Any:
    """Mail each department its digest, in Vietnamese; sending twice sends nothing new."""
    if actor.role not in ("admin", "integration", "group_lead"):
        return _problem(403, "forbidden", "Authorization", "only leads and admins send digests")
    departments, sent = await mail_digest(svc, month)
    return {"month": month, "departments": departments, "sent": sent}


async def mail_digest(svc: LadderServices, month: str) -> tuple[int, int]:
    """(departments in the digest, mails sent now); each department gets its digest once."""
    digest = digest_by_department(await _proposals(svc, month), svc.catalog)
    sent = 0
    for entry in digest:
        subject, body = digest_mail(month, entry)
        message = new_message(entry["email"], subject, body)
        sent += await svc.mail.send(message, dedupe_key=f"digest:{month}:{entry['department']}")
    return len(digest), sent


async def send_last_months_digest(
    svc: LadderServices, stop: asyncio.Event, interval_s: float = 3600.0
) -> None:
    """Each hour, make sure last month's digest went out (SPEC §4: a monthly digest); the
    dedupe keys make every hour after the first send nothing."""
    while not stop.is_set():
        try:
            await mail_digest(svc, previous_month(datetime.now(UTC)))
        except Exception:
            log.exception("monthly proposals digest failed; retrying in an hour")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_s)
