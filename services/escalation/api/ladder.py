"""Escalation's own HTTP commands (the gateway forwards operators' ladder moves here)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel, Field

from libs.catalog.model import Catalog
from libs.platform.caller import Caller as GatewayCaller
from libs.platform.caller import caller_from_assertion
from libs.platform.errors import problem
from libs.platform.outgoing_mail import OutgoingMail
from services.escalation.adapters.store import EscalationApplication, escalation_id_of
from services.escalation.domain import decisions
from services.escalation.domain.decisions import SlaSetup
from services.escalation.domain.escalation import TicketEscalation
from services.escalation.domain.ladder import Actor, LadderError, NotYours

router = APIRouter(prefix="/tickets", tags=["ladder"])


@dataclass
class LadderServices:
    app: EscalationApplication
    catalog: Catalog
    setup: SlaSetup
    pool: AsyncConnectionPool[Any]
    schema: str
    mail: OutgoingMail


def _services(request: Request) -> LadderServices:
    services: LadderServices = request.app.state.ladder
    return services


def actor_from_assertion(
    caller: Annotated[GatewayCaller, Depends(caller_from_assertion)],
) -> Actor:
    return Actor(caller.name, caller.role, caller.province, caller.group)


Svc = Annotated[LadderServices, Depends(_services)]
Caller = Annotated[Actor, Depends(actor_from_assertion)]


class AssignBody(BaseModel):
    assignee: str = Field(min_length=1, max_length=200)


class EscalateBody(BaseModel):
    reason: str = Field(min_length=1, max_length=4000)
    cause: str | None = Field(default=None, max_length=40)


class ReturnBody(BaseModel):
    answer: str = Field(min_length=1, max_length=20000)


def _problem(status: int, kind: str, field: str, message: str) -> JSONResponse:
    return problem(status, kind, field, message)


def _view(e: TicketEscalation) -> dict[str, Any]:
    return {
        "ticket_id": e.ticket_id,
        "tier": e.tier,
        "owner": e.owner,
        "handler": e.handler,
        "assignee": e.assignee,
        "path": e.path,
        "sla": e.sla_summary,
    }


async def _move(
    svc: LadderServices, ticket_id: str, change: Callable[[TicketEscalation, datetime], None]
) -> Any:
    def attempt() -> dict[str, Any]:
        for _ in range(5):
            escalation = svc.app.repository.get(escalation_id_of(ticket_id))
            change(escalation, datetime.now(UTC))
            try:
                svc.app.save(escalation)
            except IntegrityError:
                continue  # a consumer changed the ticket meanwhile: apply again to fresh state
            return _view(escalation)
        raise LadderError("the ticket keeps changing; try again")

    try:
        return await asyncio.to_thread(attempt)
    except AggregateNotFoundError:
        return _problem(404, "not_found", "id", f"ticket {ticket_id} is not on the ladder yet")
    except NotYours as error:
        return _problem(403, "forbidden", "Authorization", str(error))
    except LadderError as error:
        return _problem(409, "invalid_move", "id", str(error))


@router.post("/{ticket_id}/assign")
async def assign(ticket_id: str, body: AssignBody, svc: Svc, actor: Caller) -> Any:
    """Take the ticket at its current step (the first response of the SLA)."""
    return await _move(
        svc,
        ticket_id,
        lambda e, now: decisions.take(e, body.assignee, actor, now, svc.catalog, svc.setup),
    )


@router.post("/{ticket_id}/escalate")
async def escalate(ticket_id: str, body: EscalateBody, svc: Svc, actor: Caller) -> Any:
    """One step up the ladder with a reason; the owner keeps the ticket."""
    return await _move(
        svc,
        ticket_id,
        lambda e, now: decisions.escalate(
            e, body.reason, actor, now, svc.catalog, cause=body.cause
        ),
    )


@router.post("/{ticket_id}/return")
async def return_to_owner(ticket_id: str, body: ReturnBody, svc: Svc, actor: Caller) -> Any:
    """Send the answer back down to the owner, who replies to the requester."""
    return await _move(
        svc,
        ticket_id,
        lambda e, now: decisions.return_to_owner(e, body.answer, actor, now, svc.catalog),
    )
