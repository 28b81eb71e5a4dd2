"""`/api/v1/phone-calls`: an operator logs a call; it becomes a ticket like any other (SPEC §2)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from services.intake.api.deps import CurrentUser, Services, get_services
from services.intake.api.errors import FieldError
from services.intake.api.priority_input import priority_of_submission
from services.intake.api.schemas import PhoneCallCreate, TicketCreated
from services.intake.api.tickets import check_application, requester_of
from services.intake.domain.access import DESK_ROLES, check_role
from services.intake.domain.received import received_at_problem
from services.intake.service_layer.requesters import note_remapped
from services.intake.service_layer.submissions import NewTicket

router = APIRouter(prefix="/phone-calls", tags=["tickets"])
Svc = Annotated[Services, Depends(get_services)]


@router.post("", status_code=201, response_model=TicketCreated)
async def log_call(
    body: PhoneCallCreate, svc: Svc, user: CurrentUser, request: Request
) -> TicketCreated:
    """Log a call: the caller (directory e-mail, unit code or declared unit), the number to
    call back and the operator's notes become a `phone` ticket."""
    check_role(user, DESK_ROLES, "ghi nhận cuộc gọi / log phone calls")
    problem = body.called_at and received_at_problem(body.called_at, datetime.now(UTC), "called_at")
    if problem:
        raise FieldError(("body", "called_at"), problem)
    given = body.caller.model_dump()
    given["phone"] = body.callback_number.strip()
    requester, unit_kind, province, notes = await requester_of(
        svc, given, ("body", "caller"), body.called_at
    )
    requester["phone"] = body.callback_number.strip()
    application = check_application(svc, body.application_code)
    priority, urgency, basis = priority_of_submission(
        request, user, body.priority, body.urgency, application
    )
    received_at = body.called_at or datetime.now(UTC)
    ticket = await svc.submissions.open_ticket(
        uuid.uuid4(),
        NewTicket(
            channel="phone",
            requester=requester,
            subject=body.subject,
            description=body.notes,
            received_at=received_at,
            application_code=application,
            priority=priority,
            urgency=urgency,
            priority_basis=basis,
            unit_kind=unit_kind,
            unit_province=province,
            submitted_by=user.name,
        ),
    )
    note_remapped(ticket, notes, received_at)
    await svc.submissions.save(ticket)
    return TicketCreated(id=str(ticket.id), number=ticket.number, status=ticket.status)
