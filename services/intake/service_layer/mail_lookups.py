"""What the mail path looks up about tickets and people: ids by number, the participants of a
ticket's conversation, the directory's entry of a sender.

Ticket numbers are looked up in the number index first (written with the number, before the
ticket view has caught up) and participants are read from the ticket's own events, so a reply
that arrives right after its ticket was opened is judged on the same facts as a later one.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from services.intake.adapters.directory import RequesterDirectory
from services.intake.adapters.mail_index import MailQueries
from services.intake.adapters.store import IntakeApplication, TicketNumbers
from services.intake.domain.mail import ParsedMail
from services.intake.domain.mail.sender_trust import Participants, participants_of
from services.intake.domain.ticket import Ticket
from services.intake.service_layer.ticket_changes import TicketNotFound, load

#: The event classes eventsourcing generates from the `@event` names (invisible to mypy).
_ticket: Any = Ticket


class MailLookups:
    def __init__(
        self,
        app: IntakeApplication,
        numbers: TicketNumbers,
        queries: MailQueries,
        directory: RequesterDirectory,
    ) -> None:
        self.app = app
        self.numbers = numbers
        self.queries = queries
        self.directory = directory

    async def participants(self, number: str) -> Participants | None:
        """Who is in the conversation of ticket `number`, from its own events (not a view, so
        a reply right after the ticket was opened already counts its requester)."""
        ticket_id = await self.ticket_id(number)
        if ticket_id is None:
            return None
        events = await asyncio.to_thread(lambda: list(self.app.events.get(ticket_id)))
        requester: str | None = None
        messages: list[tuple[str, list[str], list[str]]] = []
        for e in events:
            if isinstance(e, _ticket.Submitted):
                requester = (e.requester or {}).get("email")
            elif isinstance(e, _ticket.EmailReceived):
                messages.append((e.sender, list(e.to), list(e.cc)))
        return participants_of(requester, messages)

    async def ticket_by_number(self, number: str) -> Ticket | None:
        ticket_id = await self.ticket_id(number)
        if ticket_id is None:
            return None
        try:
            return await asyncio.to_thread(load, self.app, ticket_id)
        except TicketNotFound:
            return None

    async def ticket_id(self, number: str) -> uuid.UUID | None:
        """The number's own index first (written with the number, before the view has it)."""
        found = await self.numbers.ticket_id_of(number)
        if found is None:
            in_view = await self.queries.ticket_id_of(number)
            found = uuid.UUID(in_view) if in_view else None
        return found

    async def number_of(self, ticket_id: str | None) -> str | None:
        if not ticket_id:
            return None
        try:
            ticket = await asyncio.to_thread(load, self.app, uuid.UUID(ticket_id))
        except TicketNotFound:
            return None
        return ticket.number

    async def requester(self, parsed: ParsedMail) -> tuple[dict[str, Any], str | None, str | None]:
        """The directory's entry for the sender; an unknown sender lands in triage (SPEC §1)."""
        email = parsed.from_email.strip().lower()
        entry = await self.directory.find(email)
        if entry is None:
            name = parsed.from_name.strip() or email
            return (
                {
                    "name": name[:200],
                    "email": email,
                    "phone": None,
                    "unit_code": None,
                    "unit": None,
                },
                None,
                None,
            )
        requester = {
            "name": entry.name,
            "email": entry.email,
            "phone": entry.phone,
            "unit_code": entry.unit_code,
            "unit": entry.unit,
        }
        return requester, entry.unit_kind, entry.province
