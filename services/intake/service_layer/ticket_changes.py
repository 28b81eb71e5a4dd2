"""Changing an existing ticket: get → call the domain → save, retried on a concurrent write.

Two operators (or an operator and a mail reply) may change the same ticket at once; the event
store refuses the second save (optimistic concurrency), and the change is decided again on the
fresh ticket, so a status check is never made on stale state.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.intake.adapters.store import IntakeApplication
from services.intake.domain.ticket import Ticket

RETRIES = 5


class TicketNotFound(LookupError):
    pass


def load(app: IntakeApplication, ticket_id: uuid.UUID) -> Ticket:
    try:
        ticket: Ticket = app.repository.get(ticket_id)
    except AggregateNotFoundError as error:
        raise TicketNotFound(str(ticket_id)) from error
    if not isinstance(ticket, Ticket):
        raise TicketNotFound(str(ticket_id))
    return ticket


def change_now(
    app: IntakeApplication, ticket_id: uuid.UUID, command: Callable[[Ticket], Any]
) -> Ticket:
    """Apply `command` (which raises the domain's named errors) and save; blocking."""
    for _ in range(RETRIES):
        ticket = load(app, ticket_id)
        command(ticket)
        try:
            app.save(ticket)
        except IntegrityError:
            continue
        return ticket
    raise RuntimeError(f"ticket {ticket_id} kept changing under {RETRIES} attempts; try again")


async def change(
    app: IntakeApplication, ticket_id: uuid.UUID, command: Callable[[Ticket], Any]
) -> Ticket:
    return await asyncio.to_thread(change_now, app, ticket_id, command)
