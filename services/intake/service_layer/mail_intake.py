"""One raw message in, one outcome out: the single path of the SMTP, IMAP and HTTP channels.

Order matters for "nothing is dropped": the raw bytes are stored before anything is decided,
and the message's own aggregate (`InboundMail`, keyed by Message-ID) is saved in the same
transaction as the ticket it creates or changes. A crash before that save leaves the message
unacknowledged to its sender (SMTP answers 451, IMAP leaves it in the inbox), so it comes
again; a crash after it finds the message already taken in and just acknowledges it.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parseaddr
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from libs.platform.eventstore import derived_id
from services.intake.adapters.blobs import BlobStore
from services.intake.adapters.directory import RequesterDirectory
from services.intake.adapters.mail_index import MailQueries
from services.intake.adapters.store import IntakeApplication
from services.intake.domain.inbound_mail import InboundMail, mail_key
from services.intake.domain.mail import ParsedMail, UnparseableMail, parse_mail
from services.intake.domain.mail_decision import (
    MailDecision,
    decide,
    ids_to_look_up,
    numbers_to_look_up,
)
from services.intake.domain.ticket import Ticket, TicketClosed
from services.intake.service_layer.submissions import IncomingFile, NewTicket, Submissions
from services.intake.service_layer.ticket_changes import TicketNotFound, load

log = logging.getLogger(__name__)

MAX_SUBJECT = 250
MAX_DESCRIPTION = 20_000
MAX_KEPT_TEXT = 200_000
NO_SUBJECT = "(không có tiêu đề)"


@dataclass(frozen=True)
class MailOutcome:
    outcome: str
    reason: str
    mail_id: str
    ticket_id: str | None = None
    number: str | None = None


@dataclass(frozen=True)
class MailSettings:
    our_domain: str
    our_addresses: frozenset[str]

    @staticmethod
    def from_sender(from_address: str, domain: str, extra: str = "") -> MailSettings:
        addresses = {parseaddr(from_address)[1].lower()}
        addresses |= {a.strip().lower() for a in extra.split(",") if a.strip()}
        return MailSettings(domain, frozenset(a for a in addresses if a))


class MailIntake:
    def __init__(
        self,
        *,
        app: IntakeApplication,
        submissions: Submissions,
        blobs: BlobStore,
        queries: MailQueries,
        directory: RequesterDirectory,
        settings: MailSettings,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.app = app
        self.submissions = submissions
        self.blobs = blobs
        self.queries = queries
        self.directory = directory
        self.settings = settings
        self.clock = clock

    async def take_in(
        self, raw: bytes, channel: str, received_at: datetime | None = None
    ) -> MailOutcome:
        """Take one message in; raises only when storage fails (the sender must retry)."""
        raw_sha256 = await self.blobs.put(raw)
        try:
            parsed: ParsedMail | None = parse_mail(raw)
        except UnparseableMail as refused:
            parsed, refusal = None, refused.reason
        mail_id = derived_id("mail", mail_key(parsed.message_id if parsed else None, raw_sha256))
        earlier = await self.find(mail_id)
        if earlier is not None:
            return MailOutcome(
                "ignored",
                f"already taken in as {earlier.outcome}"
                + (f" (Message-ID <{earlier.message_id}>)" if earlier.message_id else ""),
                str(mail_id),
                earlier.ticket_id,
            )
        now = self.clock()
        received = received_at or now
        if parsed is None:
            decision = MailDecision("dead_letter", refusal)
        else:
            decision = await self._decide(parsed)
        facts = _MailFacts(mail_id, parsed, channel, raw_sha256, len(raw), received, now)
        try:
            return await self._apply(decision, facts, replay_of=None)
        except IntegrityError:  # the same message, taken in concurrently
            return MailOutcome("ignored", "already taken in (concurrent delivery)", str(mail_id))

    async def replay(self, mail_id: uuid.UUID, actor: str) -> MailOutcome:
        """Run a dead letter through intake again (after a parser fix); raises NotADeadLetter."""
        inbound: InboundMail = await asyncio.to_thread(self.app.repository.get, mail_id)
        inbound.check_replayable()
        raw = await self.blobs.get(inbound.raw_sha256)
        if raw is None:
            raise LookupError(f"the stored message {inbound.raw_sha256} is missing")
        now = self.clock()
        try:
            parsed: ParsedMail | None = parse_mail(raw)
            decision = await self._decide(parsed) if parsed else None
        except UnparseableMail as refused:
            parsed, decision = None, MailDecision("dead_letter", refused.reason)
        assert decision is not None
        if parsed is not None and parsed.message_id:
            twin = await self.find(derived_id("mail", mail_key(parsed.message_id, "")))
            if twin is not None:
                decision = MailDecision("ignored", "a copy was taken in since", parsed)
        facts = _MailFacts(
            mail_id, parsed, "replay", inbound.raw_sha256, inbound.size, inbound.received_at, now
        )
        return await self._apply(decision, facts, replay_of=(inbound, actor))

    # --- deciding -----------------------------------------------------------------------

    async def find(self, mail_id: uuid.UUID) -> InboundMail | None:
        try:
            found: Any = await asyncio.to_thread(self.app.repository.get, mail_id)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, InboundMail) else None

    async def _decide(self, parsed: ParsedMail) -> MailDecision:
        index = await self.queries.thread_index(
            ids_to_look_up(parsed),
            numbers_to_look_up(parsed, self.settings.our_domain),
            self.settings.our_domain,
            set(self.settings.our_addresses),
        )
        return decide(parsed, index)

    # --- applying -----------------------------------------------------------------------

    async def _apply(
        self,
        decision: MailDecision,
        facts: _MailFacts,
        replay_of: tuple[InboundMail, str] | None,
    ) -> MailOutcome:
        ticket: Ticket | None = None
        outcome: str = decision.outcome
        reason = decision.reason
        if decision.outcome == "comment" and facts.parsed is not None:
            ticket, outcome, reason = await self._comment(decision, facts)
        elif decision.outcome == "ticket" and facts.parsed is not None:
            ticket = await self._new_ticket(decision, facts)
        elif decision.ticket_number and decision.outcome == "ignored":
            ticket, reason = await self._bounced(decision, facts)
        if outcome == "ticket" and ticket is None and facts.parsed is not None:
            # A reply to a closed or vanished ticket starts a new one (Zammad's "follow-up").
            fresh = MailDecision("ticket", reason, facts.parsed, acknowledge=True)
            ticket = await self._new_ticket(fresh, facts)
        ticket_id = str(ticket.id) if ticket is not None else None
        inbound = self._inbound(facts, outcome, reason, ticket_id, replay_of)
        await self.submissions.save(*([ticket] if ticket is not None else []), inbound)
        log.info(
            "mail taken in",
            extra={"mail_id": str(facts.mail_id), "outcome": outcome, "ticket_id": ticket_id},
        )
        return MailOutcome(
            outcome, reason, str(facts.mail_id), ticket_id, ticket.number if ticket else None
        )

    def _inbound(
        self,
        facts: _MailFacts,
        outcome: str,
        reason: str,
        ticket_id: str | None,
        replay_of: tuple[InboundMail, str] | None,
    ) -> InboundMail:
        parsed = facts.parsed
        sender = parsed.from_email if parsed else ""
        subject = parsed.subject[:MAX_SUBJECT] if parsed else ""
        if replay_of is not None:
            inbound, actor = replay_of
            inbound.replayed(outcome, reason, ticket_id, sender, subject, actor, facts.now)
            return inbound
        return InboundMail(
            id=facts.mail_id,
            message_id=parsed.message_id if parsed else None,
            outcome=outcome,
            reason=reason,
            ticket_id=ticket_id,
            sender=sender,
            subject=subject,
            channel=facts.channel,
            raw_sha256=facts.raw_sha256,
            size=facts.size,
            received_at=facts.received_at,
            at=facts.now,
        )

    async def _new_ticket(self, decision: MailDecision, facts: _MailFacts) -> Ticket:
        parsed = facts.parsed
        assert parsed is not None
        requester, unit_kind, province = await self._requester(parsed)
        ticket = await self.submissions.open_ticket(
            derived_id("mail-ticket", str(facts.mail_id)),
            NewTicket(
                channel="email",
                requester=requester,
                subject=(parsed.subject.strip() or NO_SUBJECT)[:MAX_SUBJECT],
                description=parsed.new_text[:MAX_DESCRIPTION],
                received_at=facts.received_at,
                application_code=None,
                priority="P3",
                unit_kind=unit_kind,
                unit_province=province,
                submitted_by=f"mail:{facts.channel}",
            ),
        )
        await self._record(ticket, parsed, facts, decision.reason, decision.acknowledge)
        return ticket

    async def _comment(
        self, decision: MailDecision, facts: _MailFacts
    ) -> tuple[Ticket | None, str, str]:
        parsed = facts.parsed
        assert parsed is not None and decision.ticket_number is not None
        ticket = await self._ticket_by_number(decision.ticket_number)
        if ticket is None:
            return None, "ticket", f"new ticket: {decision.ticket_number} was not found"
        if ticket.has_message(parsed.message_id):
            return None, "ignored", f"already on {ticket.number}"
        is_requester = parsed.from_email.lower() == (ticket.requester_email or "")
        try:
            ticket.comment(
                author=parsed.from_email,
                author_role="requester" if is_requester else "contact",
                visibility="public",
                body=(parsed.new_text or parsed.subject or NO_SUBJECT)[:MAX_DESCRIPTION],
                at=facts.received_at,
                channel="email",
                message_id=parsed.message_id,
            )
        except TicketClosed:
            return None, "ticket", f"new ticket: {ticket.number} is closed"
        await self._record(ticket, parsed, facts, decision.reason, acknowledge=False)
        return ticket, "comment", decision.reason

    async def _bounced(
        self, decision: MailDecision, facts: _MailFacts
    ) -> tuple[Ticket | None, str]:
        assert decision.ticket_number is not None
        ticket = await self._ticket_by_number(decision.ticket_number)
        address = decision.undeliverable or (ticket.requester_email if ticket else None)
        if ticket is None or not address:
            return None, decision.reason
        bounced = facts.parsed.bounced_message_ids[0] if facts.parsed else ""
        marked = ticket.mark_undeliverable(address, bounced, decision.reason, facts.received_at)
        note = "marked undeliverable" if marked else "already marked undeliverable"
        return (ticket if marked else None), f"{decision.reason}; {address} {note}"

    async def _ticket_by_number(self, number: str) -> Ticket | None:
        ticket_id = await self.queries.ticket_id_of(number)
        if ticket_id is None:
            return None
        try:
            return await asyncio.to_thread(load, self.app, uuid.UUID(ticket_id))
        except TicketNotFound:
            return None

    async def _record(
        self,
        ticket: Ticket,
        parsed: ParsedMail,
        facts: _MailFacts,
        threading: str,
        acknowledge: bool,
    ) -> None:
        ticket.record_email(
            message_id=parsed.message_id,
            sender=parsed.from_email,
            sender_name=parsed.from_name,
            subject=parsed.subject[: MAX_SUBJECT * 4],
            text=parsed.text[:MAX_KEPT_TEXT],
            html=parsed.html_sanitized[:MAX_KEPT_TEXT] if parsed.html_sanitized else None,
            received_at=facts.received_at,
            to=parsed.to[:50],
            cc=parsed.cc[:50],
            in_reply_to=parsed.in_reply_to,
            references=parsed.references[-20:],
            threading=threading,
            acknowledge=acknowledge
            and "@" in parsed.from_email
            and parsed.from_email.lower() not in ticket.undeliverable,
        )
        files = [IncomingFile(a.filename, a.content_type, a.data) for a in parsed.attachments]
        await self.submissions.attach(ticket, files, "email", facts.received_at)

    async def _requester(self, parsed: ParsedMail) -> tuple[dict[str, Any], str | None, str | None]:
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


@dataclass(frozen=True)
class _MailFacts:
    mail_id: uuid.UUID
    parsed: ParsedMail | None
    channel: str
    raw_sha256: str
    size: int
    received_at: datetime
    now: datetime
