"""Creating a ticket, whichever channel it came through (web, phone, e-mail, import).

Files are checked before anything is written, their bytes stored first (content-addressed, so
harmless if the save then fails), and the ticket with its attachment events is saved in one
call: a ticket is never half-written.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.intake.adapters.blobs import BlobStore
from services.intake.adapters.store import IntakeApplication, TicketNumbers
from services.intake.domain.attachments import (
    AttachmentPolicy,
    AttachmentRefused,
    attachment_id,
    check_file,
)
from services.intake.domain.ticket import Ticket

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True)
class IncomingFile:
    filename: str
    content_type: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class NewTicket:
    channel: str
    requester: dict[str, Any]
    subject: str
    description: str
    received_at: datetime
    application_code: str | None
    priority: str
    unit_kind: str | None
    unit_province: str | None
    submitted_by: str
    urgency: str | None = None
    priority_basis: str = ""
    kb_session: str | None = None


class Submissions:
    def __init__(
        self,
        app: IntakeApplication,
        numbers: TicketNumbers,
        blobs: BlobStore,
        policy: AttachmentPolicy,
    ) -> None:
        self.app = app
        self.numbers = numbers
        self.blobs = blobs
        self.policy = policy

    def check_files(self, files: Sequence[IncomingFile]) -> None:
        """Raise AttachmentRefused for the first file the policy refuses (web: a 422)."""
        if len(files) > self.policy.max_files:
            raise AttachmentRefused("attachments", f"at most {self.policy.max_files} files")
        for f in files:
            check_file(f.filename, f.content_type, f.data, self.policy)

    async def open_ticket(self, ticket_id: uuid.UUID, new: NewTicket) -> Ticket:
        """A new Ticket with its number (not saved yet: the caller may add events first)."""
        number = await self.numbers.next(new.received_at.astimezone(VN).year, ticket_id)
        return Ticket(
            id=ticket_id,
            number=number,
            channel=new.channel,
            requester=new.requester,
            subject=new.subject,
            description=new.description,
            received_at=new.received_at,
            application_code=new.application_code,
            priority=new.priority,
            unit_kind=new.unit_kind,
            unit_province=new.unit_province,
            submitted_by=new.submitted_by,
            urgency=new.urgency,
            priority_basis=new.priority_basis,
            kb_session=new.kb_session,
        )

    async def attach(
        self, ticket: Ticket, files: Sequence[IncomingFile], source: str, at: datetime
    ) -> list[str]:
        """Store the accepted files and record every file on the ticket (refused ones with the
        reason, for channels that cannot answer with an error). Returns the refusals."""
        accepted: dict[str, bytes] = {}
        refusals: list[str] = []
        for f in files[: self.policy.max_files * 2]:
            try:
                checked = check_file(f.filename, f.content_type, f.data, self.policy)
            except AttachmentRefused as refused:
                digest = hashlib.sha256(f.data).hexdigest()
                ticket.add_attachment(
                    attachment_id(str(ticket.id), digest, f.filename), f.filename[:255],
                    f.content_type[:100], len(f.data), digest, False, at, source, refused.reason,
                )  # fmt: skip
                refusals.append(str(refused))
                continue
            accepted[checked.sha256] = f.data
            attachment = attachment_id(str(ticket.id), checked.sha256, checked.filename)
            if attachment in ticket.attachment_ids:
                continue
            ticket.add_attachment(
                attachment, checked.filename[:255], checked.content_type, checked.size,
                checked.sha256, True, at, source, "",
            )  # fmt: skip
        await self.blobs.put_many(accepted)
        return refusals

    async def save(self, *aggregates: Any) -> None:
        await asyncio.to_thread(self.app.save, *aggregates)
