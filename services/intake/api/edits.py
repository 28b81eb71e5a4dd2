"""The desk's decisions on a ticket (issue 13): priority, corrections, merge.

- `POST /tickets/{id}/priority {priority, reason}`: the desk's priority, an event; escalation
  recomputes the SLA due times from it.
- `PATCH /tickets/{id}`: correct the subject, the requester (name, e-mail, phone) or the unit
  (a moved requester: the ticket follows to the new province's IT office, escalation's move);
  the application is routing's classification, so a new `application_code` is forwarded to
  routing as a reclassification (routing re-decides group, escalation the queue).
- `POST /tickets/{id}/merge {into, reason}`: closed into the other ticket, both histories
  kept, the requester told by mail.
Each finds the ticket the caller may see and checks the role may act, like every action.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends
from pydantic import ConfigDict, Field

from libs.catalog.requester import UnknownUnit, resolve_requester_unit
from services.intake.api.deps import CurrentUser, Services, get_services
from services.intake.api.errors import FieldError
from services.intake.api.internal_calls import Internal
from services.intake.api.schemas import DeclaredUnitIn, Priority, Subject, TicketState, _Input
from services.intake.api.tickets import reachable_ticket, scope_of
from services.intake.domain.access import check_may
from services.intake.domain.priority import PriorityRefused, check_priority_change
from services.intake.domain.ticket import MergeRefused, Ticket
from services.intake.service_layer.desk import merge
from services.intake.service_layer.ticket_changes import change, load

router = APIRouter(prefix="/tickets", tags=["ticket edits"])
Svc = Annotated[Services, Depends(get_services)]
Reason = Annotated[str, Field(default="", max_length=2000)]


class PriorityChange(_Input):
    model_config = ConfigDict(extra="forbid")
    priority: Priority
    reason: str = Field(min_length=1, max_length=2000)


class RequesterPatch(_Input):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(default=None, max_length=30, pattern=r"^[0-9+()\-.\s]{6,30}$")


class TicketPatch(_Input):
    """Only the fields given are corrected; `unit_code` or a declared `unit` moves the
    requester (and the ticket's province)."""

    model_config = ConfigDict(extra="forbid")
    subject: Subject | None = None
    requester: RequesterPatch | None = None
    unit_code: str | None = Field(default=None, min_length=1, max_length=64)
    unit: DeclaredUnitIn | None = None
    application_code: str | None = Field(default=None, min_length=1, max_length=32)
    reason: Reason = ""


class MergeRequest(_Input):
    model_config = ConfigDict(extra="forbid")
    into: str = Field(min_length=1, max_length=64, description="the surviving ticket: id or number")
    reason: str = Field(min_length=1, max_length=2000)


class TicketEdited(TicketState):
    priority: str | None = None
    changed: list[str] = Field(default_factory=list)
    merged_into: str | None = None


def _now() -> datetime:
    return datetime.now(UTC)


def _blank(field: str) -> FieldError:
    return FieldError(("body", field), f"{field} must not be blank", kind="invalid")


@router.post("/{id_or_number}/priority", response_model=TicketEdited)
async def change_priority(
    id_or_number: str, body: PriorityChange, svc: Svc, user: CurrentUser
) -> Any:
    """The desk sets the priority with a reason; SLA due times are recomputed from it."""
    row = await reachable_ticket(svc, user, id_or_number)
    check_may(user, "priority", scope_of(row))
    try:
        check_priority_change(body.priority, body.reason)
    except PriorityRefused as refused:
        raise FieldError(("body", refused.field), str(refused)) from refused
    ticket = await change(
        svc.app,
        uuid.UUID(str(row["id"])),
        lambda t: t.change_priority(body.priority, body.reason.strip(), user.name, _now()),
    )
    return TicketEdited(
        id=str(ticket.id), number=ticket.number, status=ticket.status, priority=ticket.priority
    )


@router.patch("/{id_or_number}", response_model=TicketEdited)
async def correct_ticket(
    id_or_number: str, body: TicketPatch, svc: Svc, user: CurrentUser, internal: Internal
) -> Any:
    """Correct subject, requester, unit/province or application (each change an event)."""
    row = await reachable_ticket(svc, user, id_or_number)
    check_may(user, "edit", scope_of(row))
    given = body.model_dump(exclude_unset=True, exclude={"reason"})
    if not given:
        raise FieldError(
            ("body",),
            "nothing to correct: give subject, requester, unit_code, unit or application_code",
        )
    application = _application(svc, body.application_code)
    ticket_id = uuid.UUID(str(row["id"]))
    current: Ticket = await asyncio.to_thread(load, svc.app, ticket_id)
    changes = _changes(svc, current, body)
    changed = sorted(changes)
    reclassify = application is not None and application != row.get("application")
    if changes or reclassify:
        current.check_not_closed()
    # Routing may refuse the application (its rules, its roles): asked first, so a refusal
    # leaves the ticket as it was.
    if reclassify:
        assert application is not None
        await _reclassify(internal, user, str(ticket_id), application, body.reason)
        changed.append("application")
    if changes:
        current = await change(
            svc.app, ticket_id, lambda t: t.correct(changes, body.reason, user.name, _now())
        )
    return TicketEdited(
        id=str(current.id), number=current.number, status=current.status,
        priority=current.priority, changed=changed,
    )  # fmt: skip


def _application(svc: Services, code: str | None) -> str | None:
    if code is None:
        return None
    if code.strip().upper() not in svc.catalog.applications:
        raise FieldError(
            ("body", "application_code"),
            f"Mã ứng dụng '{code}' không có trong danh mục. / Unknown application code "
            f"{code!r}: see GET /api/v1/catalog/applications.",
            kind="unknown_code",
        )
    return code.strip().upper()


def _changes(svc: Services, ticket: Ticket, body: TicketPatch) -> dict[str, Any]:
    """The corrected values as the ticket records them (unit resolved against the catalog)."""
    changes: dict[str, Any] = {}
    if body.subject is not None:
        changes["subject"] = body.subject
    requester = dict(ticket.requester or {})
    if body.requester is not None:
        for key, value in body.requester.model_dump(exclude_unset=True).items():
            if value is None or not str(value).strip():
                raise _blank(f"requester.{key}")
            requester[key] = value.strip().lower() if key == "email" else " ".join(value.split())
    if body.unit_code is not None or body.unit is not None:
        code = body.unit_code.strip().upper() if body.unit_code else None
        declared = body.unit.model_dump() if body.unit else None
        try:
            unit = resolve_requester_unit(svc.catalog, unit_code=code, declared=declared)
        except UnknownUnit as error:
            field = "unit_code" if error.field == "unit_code" else error.field
            raise FieldError(("body", field), error.reason, kind="unknown_code") from error
        requester["unit_code"], requester["unit"] = code, declared
        changes["unit_kind"], changes["unit_province"] = unit.kind, unit.province
    if requester != (ticket.requester or {}):
        changes["requester"] = requester
    current = ticket.correctable()
    return {k: v for k, v in changes.items() if current.get(k) != v}


async def _reclassify(
    internal: Any, user: Any, ticket_id: str, application: str, reason: str
) -> None:
    """Routing owns the application after classification: it re-decides, and says no."""
    answer = await internal.call(
        "routing",
        user,
        "POST",
        f"/tickets/{ticket_id}/reclassify",
        content=orjson.dumps({"application": application, "reason": reason or "sửa ứng dụng"}),
    )
    if answer.status_code >= 400:
        detail = orjson.loads(answer.body).get("detail") or [{}]
        raise FieldError(
            ("body", "application_code"),
            str(detail[0].get("msg") or "routing refused the new application"),
            status=answer.status_code,
            kind="refused",
        )


@router.post("/{id_or_number}/merge", response_model=TicketEdited)
async def merge_ticket(id_or_number: str, body: MergeRequest, svc: Svc, user: CurrentUser) -> Any:
    """Close this ticket into `into` (the same request told twice): both keep their history,
    the requester is told by mail; repeating it changes nothing."""
    row = await reachable_ticket(svc, user, id_or_number)
    check_may(user, "merge", scope_of(row))
    into = await reachable_ticket(svc, user, body.into.strip())
    check_may(user, "merge", scope_of(into))
    if not body.reason.strip():
        raise _blank("reason")
    try:
        ticket, _ = await merge(
            svc.app, uuid.UUID(str(row["id"])), uuid.UUID(str(into["id"])),
            body.reason.strip(), user.name, _now(),
        )  # fmt: skip
    except MergeRefused as refused:
        raise FieldError(("body", "into"), str(refused), status=409, kind="merge_refused") from None
    return TicketEdited(
        id=str(ticket.id), number=ticket.number, status=ticket.status,
        priority=ticket.priority, merged_into=ticket.merged_into,
    )  # fmt: skip
