"""One raw message in, one outcome out: the single path of the SMTP, IMAP and HTTP channels.

Order matters for "nothing is dropped": the raw bytes are stored before anything is decided,
and the message's own aggregate (`InboundMail`, keyed by Message-ID) is saved in the same
transaction as the ticket it creates or changes. A crash before that save leaves the message
unacknowledged to its sender (SMTP answers 451, IMAP leaves it in the inbox), so it comes
again; a crash after it finds the message already taken in and just acknowledges it.

The path is total (issue 17): whatever the bytes, the message ends as a ticket, a comment,
held, ignored or a dead letter. Only a failing database is the sender's problem (retry later);
any other error while deciding or applying is a bug or an input we did not foresee, and the
message is kept as a dead letter naming the error, to be replayed once it is fixed — never a
5xx or an SMTP 4xx on every retry.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parseaddr
from functools import partial
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from libs.catalog.model import Catalog
from libs.events.sinks import STORAGE_ERRORS as DATABASE_ERRORS
from libs.platform.eventstore import derived_id
from services.intake.adapters.blobs import BlobStore
from services.intake.adapters.directory import RequesterDirectory
from services.intake.adapters.mail_index import MailQueries
from services.intake.adapters.store import IntakeApplication
from services.intake.domain.inbound_mail import InboundMail, mail_key
from services.intake.domain.mail import ParsedMail, UnparseableMail, parse_mail
from services.intake.domain.mail.sender_trust import (
    staff_addresses,
)
from services.intake.domain.mail_addresses import MailAddress, address_id
from services.intake.domain.mail_decision import (
    MailDecision,
    decide,
    ids_to_look_up,
    numbers_to_look_up,
    participants_to_look_up,
)
from services.intake.domain.ticket import Ticket, TicketClosed
from services.intake.service_layer.mail_lookups import MailLookups
from services.intake.service_layer.submissions import IncomingFile, NewTicket, Submissions

log = logging.getLogger(__name__)

#: One size limit for a message on every mail path (SMTP, IMAP and the HTTP mail gateway):
#: ordinary mail with attachments fits; beyond it SMTP answers 552, HTTP 413, and IMAP keeps
#: the headers as a dead letter. `HOTRO_MAX_MAIL_BYTES`, 25 MiB by default.
MAX_MAIL_BYTES = int(os.environ.get("HOTRO_MAX_MAIL_BYTES", str(25 * 1024 * 1024)))
MAX_SUBJECT = 250
MAX_DESCRIPTION = 20_000
MAX_KEPT_TEXT = 200_000
NO_SUBJECT = "(không có tiêu đề)"
#: Prefix of a dead letter's reason when intake itself failed on the message (a bug to fix).
INTAKE_FAILURE = "intake failure"
#: Attempts when a concurrent write (the same message, or a change of its ticket) conflicts.
RETRIES = 5
#: The database is unreachable or overloaded: the sender keeps the message and retries.
STORAGE_ERRORS: tuple[type[Exception], ...] = (*DATABASE_ERRORS, ConnectionError, TimeoutError)


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
    #: The catalog's addresses of the desk (see `sender_trust`); operators are looked up live.
    staff: frozenset[str] = frozenset()

    @staticmethod
    def from_sender(
        from_address: str, domain: str, extra: str = "", catalog: Catalog | None = None
    ) -> MailSettings:
        addresses = {parseaddr(from_address)[1].lower()}
        addresses |= {a.strip().lower() for a in extra.split(",") if a.strip()}
        staff = staff_addresses(catalog) if catalog is not None else frozenset()
        return MailSettings(domain, frozenset(a for a in addresses if a), staff)


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
        self.lookups = MailLookups(app, submissions.numbers, queries, directory)

    async def take_in(
        self, raw: bytes, channel: str, received_at: datetime | None = None
    ) -> MailOutcome:
        """Take one message in; raises only when storage fails (the sender must retry)."""
        raw_sha256 = await self.blobs.put(raw)
        parsed, refusal = _parse(raw)
        mail_id = derived_id("mail", mail_key(parsed.message_id if parsed else None, raw_sha256))
        received = received_at or self.clock()
        for _ in range(RETRIES):
            earlier = await self.find(mail_id)
            if earlier is not None:
                return MailOutcome(
                    "ignored",
                    f"already taken in as {earlier.outcome}"
                    + (f" (Message-ID <{earlier.message_id}>)" if earlier.message_id else ""),
                    str(mail_id),
                    earlier.ticket_id,
                )
            facts = _MailFacts(
                mail_id, parsed, channel, raw_sha256, len(raw), received, self.clock()
            )
            try:
                return await self._settle(facts, partial(self._decide, parsed, refusal), None)
            except IntegrityError:  # taken in concurrently (found above), or its ticket changed
                continue
        raise RuntimeError(f"message {mail_id} kept conflicting; try again")

    async def replay(self, mail_id: uuid.UUID, actor: str) -> MailOutcome:
        """Run a dead letter through intake again (after a parser fix); raises NotADeadLetter."""
        for _ in range(RETRIES):
            inbound = await self._stored(mail_id)
            inbound.check_replayable()
            parsed, refusal = _parse(await self._raw(inbound))
            facts = _facts_of(inbound, parsed, "replay", self.clock())
            decision = partial(self._replay_decision, parsed, refusal, mail_id)
            try:
                return await self._settle(facts, decision, (inbound, actor))
            except IntegrityError:
                continue
        raise RuntimeError(f"message {mail_id} kept conflicting; try again")

    async def correct(self, mail_id: uuid.UUID, raw: bytes, actor: str) -> MailOutcome:
        """Take a dead letter in again with bytes an admin corrected, through the usual path.

        Idempotent: the same correction sent again (a retried request) answers what the
        first made of it and changes nothing; raises NotADeadLetter for any other message."""
        raw_sha256 = await self.blobs.put(raw)
        for _ in range(RETRIES):
            inbound = await self._stored(mail_id)
            if inbound.outcome != "dead_letter" and inbound.raw_sha256 == raw_sha256:
                return await self._as_recorded(inbound, "this correction was already taken in")
            inbound.check_replayable()
            now = self.clock()
            inbound.correct(raw_sha256, len(raw), actor, now)
            parsed, refusal = _parse(raw)
            facts = _facts_of(inbound, parsed, "correction", now)
            decision = partial(self._replay_decision, parsed, refusal, mail_id)
            try:
                return await self._settle(facts, decision, (inbound, actor))
            except IntegrityError:
                continue
        raise RuntimeError(f"message {mail_id} kept conflicting; try again")

    async def dismiss(self, mail_id: uuid.UUID, reason: str, actor: str) -> MailOutcome:
        """Dismiss a dead letter or held message with the admin's reason; dismissing it again
        changes nothing. Raises NotDismissable for a message that was taken in."""
        for _ in range(RETRIES):
            inbound = await self._stored(mail_id)
            if inbound.outcome == "dismissed":
                return await self._as_recorded(inbound, inbound.reason)
            inbound.check_dismissable()
            inbound.dismiss(reason=reason, actor=actor, at=self.clock())
            try:
                await self.submissions.save(inbound)
            except IntegrityError:
                continue
            log.info("mail dismissed", extra={"mail_id": str(mail_id), "actor": actor})
            return MailOutcome("dismissed", inbound.reason, str(mail_id), inbound.ticket_id)
        raise RuntimeError(f"message {mail_id} kept conflicting; try again")

    async def take_in_too_large(self, headers: bytes, size: int, channel: str) -> MailOutcome:
        """A message over `MAX_MAIL_BYTES` that cannot be refused (IMAP has no reply code): its
        headers are kept as a dead letter naming the size, so an admin sees who sent what and
        nothing vanishes; the body never enters memory."""
        raw_sha256 = await self.blobs.put(headers)
        parsed, _ = _parse(headers)
        mail_id = derived_id("mail", mail_key(parsed.message_id if parsed else None, raw_sha256))
        earlier = await self.find(mail_id)
        if earlier is not None:
            return await self._as_recorded(earlier, f"already taken in as {earlier.outcome}")
        reason = (
            f"too large: the message is {size} bytes, more than HOTRO_MAX_MAIL_BYTES "
            f"({MAX_MAIL_BYTES}); only its headers are kept"
        )
        now = self.clock()
        facts = _MailFacts(mail_id, parsed, channel, raw_sha256, size, now, now)
        try:
            return await self._apply(MailDecision("dead_letter", reason), facts, None)
        except IntegrityError:  # taken in concurrently
            found = await self._stored(mail_id)
            return await self._as_recorded(found, f"already taken in as {found.outcome}")

    async def _as_recorded(self, inbound: InboundMail, reason: str) -> MailOutcome:
        number = await self.lookups.number_of(inbound.ticket_id)
        return MailOutcome(inbound.outcome, reason, str(inbound.id), inbound.ticket_id, number)

    async def accept(self, mail_id: uuid.UUID, actor: str) -> MailOutcome:
        """Release a held reply as a comment on the ticket it named; raises NotHeld.

        Its sender is then on the ticket's mail, so their next reply needs no operator."""
        return await self._release(mail_id, actor, as_ticket=False)

    async def open_as_ticket(self, mail_id: uuid.UUID, actor: str) -> MailOutcome:
        """Turn a held reply into a new ticket of its own (acknowledged); raises NotHeld."""
        return await self._release(mail_id, actor, as_ticket=True)

    async def _release(self, mail_id: uuid.UUID, actor: str, as_ticket: bool) -> MailOutcome:
        for _ in range(RETRIES):
            inbound = await self._stored(mail_id)
            inbound.check_held()
            parsed, refusal = _parse(await self._raw(inbound))
            facts = _facts_of(inbound, parsed, "release", self.clock())
            decision = partial(self._release_decision, parsed, refusal, inbound, actor, as_ticket)
            try:
                return await self._settle(facts, decision, (inbound, actor))
            except IntegrityError:
                continue
        raise RuntimeError(f"message {mail_id} kept conflicting; try again")

    async def _settle(
        self,
        facts: _MailFacts,
        decision_of: Callable[[], Awaitable[MailDecision]],
        replay_of: tuple[InboundMail, str] | None,
    ) -> MailOutcome:
        """Decide and apply; an unforeseen error makes the message a dead letter (see above)."""
        try:
            return await self._apply(await decision_of(), facts, replay_of)
        except IntegrityError:
            raise
        except STORAGE_ERRORS:
            raise
        except Exception as error:
            log.exception("mail intake failed; kept as a dead letter", extra=facts.log_extra)
            reason = f"{INTAKE_FAILURE}: {type(error).__name__}: {error}"[:1000]
            if replay_of is not None:  # the failed attempt may have changed it: start afresh
                fresh, actor = await self._stored(facts.mail_id), replay_of[1]
                if fresh.raw_sha256 != facts.raw_sha256:  # keep the admin's correction
                    fresh.correct(facts.raw_sha256, facts.size, actor, facts.now)
                replay_of = (fresh, actor)
            failed = MailDecision("dead_letter", reason)
            return await self._apply(failed, replace(facts, parsed=None), replay_of)

    # --- deciding -----------------------------------------------------------------------

    async def find(self, mail_id: uuid.UUID) -> InboundMail | None:
        try:
            found: Any = await asyncio.to_thread(self.app.repository.get, mail_id)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, InboundMail) else None

    async def _stored(self, mail_id: uuid.UUID) -> InboundMail:
        found = await self.find(mail_id)
        if found is None:
            raise LookupError(f"no message {mail_id}")
        return found

    async def _raw(self, inbound: InboundMail) -> bytes:
        raw = await self.blobs.get(inbound.raw_sha256)
        if raw is None:
            raise LookupError(f"the stored message {inbound.raw_sha256} is missing")
        return raw

    async def _decide(self, parsed: ParsedMail | None, refusal: str = "") -> MailDecision:
        if parsed is None:
            return MailDecision("dead_letter", refusal)
        index = await self.queries.thread_index(
            ids_to_look_up(parsed),
            numbers_to_look_up(parsed, self.settings.our_domain),
            self.settings.our_domain,
            set(self.settings.our_addresses),
        )
        decision = decide(parsed, index)
        number = participants_to_look_up(decision)
        if number is None:
            return decision
        staff = set(self.settings.staff)
        if await self.queries.is_operator(parsed.from_email):
            staff.add(parsed.from_email.strip().lower())
        people = await self.lookups.participants(number)
        return decide(
            parsed, replace(index, participants={number: people} if people else {}, staff=staff)
        )

    async def _replay_decision(
        self, parsed: ParsedMail | None, refusal: str, mail_id: uuid.UUID
    ) -> MailDecision:
        """A dead letter kept by its bytes' hash may have a copy under its Message-ID since."""
        if parsed is not None and parsed.message_id:
            twin = await self.find(derived_id("mail", mail_key(parsed.message_id, "")))
            if twin is not None and twin.id != mail_id:
                return MailDecision("ignored", "a copy was taken in since", parsed)
        return await self._decide(parsed, refusal)

    async def _release_decision(
        self,
        parsed: ParsedMail | None,
        refusal: str,
        inbound: InboundMail,
        actor: str,
        as_ticket: bool,
    ) -> MailDecision:
        """The operator's decision on a held message (its bytes are parsed again, like a replay)."""
        if parsed is None:
            return MailDecision("dead_letter", refusal)
        number = None if as_ticket else await self.lookups.number_of(inbound.ticket_id)
        if number is None:
            why = f"new ticket: opened by {actor} from a held message"
            return MailDecision("ticket", why, parsed, acknowledge=True)
        why = f"released by {actor} as a comment on {number} (was {inbound.reason[:300]})"
        return MailDecision("comment", why, parsed, ticket_number=number)

    # --- applying -----------------------------------------------------------------------

    async def _apply(
        self,
        decision: MailDecision,
        facts: _MailFacts,
        replay_of: tuple[InboundMail, str] | None,
    ) -> MailOutcome:
        ticket: Ticket | None = None
        address: MailAddress | None = None
        outcome: str = decision.outcome
        reason = decision.reason
        if decision.outcome == "comment" and facts.parsed is not None:
            ticket, outcome, reason = await self._comment(decision, facts)
        elif decision.outcome == "ticket" and facts.parsed is not None:
            ticket = await self._new_ticket(decision, facts)
        elif decision.ticket_number and decision.outcome == "ignored":
            ticket, address, reason = await self._bounced(decision, facts)
        if outcome == "ticket" and ticket is None and facts.parsed is not None:
            # A reply to a closed or vanished ticket starts a new one (Zammad's "follow-up").
            fresh = MailDecision("ticket", reason, facts.parsed, acknowledge=True)
            ticket = await self._new_ticket(fresh, facts)
        ticket_id = str(ticket.id) if ticket is not None else None
        number = ticket.number if ticket is not None else None
        if outcome == "held" and decision.ticket_number:  # the ticket it names, untouched
            held_on = await self.lookups.ticket_id(decision.ticket_number)
            ticket_id, number = (str(held_on) if held_on else None), decision.ticket_number
        inbound = self._inbound(facts, outcome, reason, ticket_id, replay_of)
        changed = [a for a in (ticket, address) if a is not None]
        await self.submissions.save(*changed, inbound)
        log.info(
            "mail taken in", extra={**facts.log_extra, "outcome": outcome, "ticket_id": ticket_id}
        )
        return MailOutcome(outcome, reason, str(facts.mail_id), ticket_id, number)

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
        requester, unit_kind, province = await self.lookups.requester(parsed)
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
        ticket = await self.lookups.ticket_by_number(decision.ticket_number)
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
    ) -> tuple[Ticket | None, MailAddress | None, str]:
        """A bounce of our mail about a ticket: the address is undeliverable for the whole
        directory (every ticket of that requester), and the ticket records it too."""
        assert decision.ticket_number is not None
        ticket = await self.lookups.ticket_by_number(decision.ticket_number)
        address = decision.undeliverable or (ticket.requester_email if ticket else None)
        if ticket is None or not address:
            return None, None, decision.reason
        bounced = facts.parsed.bounced_message_ids[0] if facts.parsed else ""
        standing = await self.address(address) or MailAddress.of(address)
        # Marked as of now, not of a late delivery's received_at: what the API already said
        # would be mailed is not refused after the fact.
        marked_address = standing.mark_undeliverable(
            bounced, str(ticket.id), decision.reason, facts.now
        )
        marked = ticket.mark_undeliverable(address, bounced, decision.reason, facts.received_at)
        note = "marked undeliverable" if marked or marked_address else "already undeliverable"
        return (
            ticket if marked else None,
            standing if marked_address else None,
            f"{decision.reason}; {address} {note}",
        )

    async def mark_deliverable(self, address: str, reason: str, actor: str) -> MailAddress | None:
        """An admin says the mailbox works again; None when it was never marked."""
        for _ in range(RETRIES):
            standing = await self.address(address)
            if standing is None or not standing.mark_deliverable(actor, reason, self.clock()):
                return standing
            try:
                await self.submissions.save(standing)
            except IntegrityError:
                continue
            return standing
        raise RuntimeError(f"address {address} kept conflicting; try again")

    async def address(self, address: str) -> MailAddress | None:
        """The address's standing (None: never bounced)."""
        try:
            found: Any = await asyncio.to_thread(self.app.repository.get, address_id(address))
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, MailAddress) else None

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


@dataclass(frozen=True)
class _MailFacts:
    mail_id: uuid.UUID
    parsed: ParsedMail | None
    channel: str
    raw_sha256: str
    size: int
    received_at: datetime
    now: datetime

    @property
    def log_extra(self) -> dict[str, str]:
        return {"mail_id": str(self.mail_id), "channel": self.channel}


def _parse(raw: bytes) -> tuple[ParsedMail | None, str]:
    """The parsed message, or None and the reason it cannot be one (a dead letter)."""
    try:
        return parse_mail(raw), ""
    except UnparseableMail as refused:
        return None, refused.reason


def _facts_of(
    inbound: InboundMail, parsed: ParsedMail | None, channel: str, now: datetime
) -> _MailFacts:
    """A stored message run again: its id, bytes and time of receipt stay those of the first."""
    return _MailFacts(
        inbound.id, parsed, channel, inbound.raw_sha256, inbound.size, inbound.received_at, now
    )
