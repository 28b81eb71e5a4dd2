"""The Ticket aggregate: intake owns a ticket's lifecycle (ARCHITECTURE.md rule 3).

Command methods check their invariant (`check_*`, raising a named error the gateway maps to
409) and record one event each; the events are the ticket's history. Time is always passed in
(`at`), so an imported ticket or a late mail keeps the time it really happened.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

from services.intake.domain.lifecycle import check_cause, next_status

VISIBILITIES = ("public", "internal")
#: Comment authors on the requester's side: the requester, and others copied in by mail.
REQUESTER_SIDE = frozenset({"requester", "contact"})


class TicketClosed(ValueError):
    """A closed ticket takes nothing more: a reply to it starts a new ticket."""

    def __init__(self, number: str) -> None:
        super().__init__(
            f"Yêu cầu {number} đã đóng, không thể thêm trao đổi; hãy tạo yêu cầu mới. / "
            f"Ticket {number} is closed; open a new ticket instead."
        )


class Ticket(Aggregate):
    @event("Submitted")
    def __init__(
        self,
        id: uuid.UUID,
        number: str,
        channel: str,
        requester: dict[str, Any],
        subject: str,
        description: str,
        received_at: datetime,
        application_code: str | None,
        priority: str,
        unit_kind: str | None,
        unit_province: str | None,
        submitted_by: str,
        urgency: str | None = None,
        priority_basis: str = "",
        kb_session: str | None = None,
    ) -> None:
        self.number = number
        self.channel = channel
        self.requester = requester
        self.subject = subject
        self.description = description
        self.received_at = received_at
        self.application_code = application_code
        self.priority = priority
        self.unit_kind = unit_kind
        self.unit_province = unit_province
        self.submitted_by = submitted_by
        self.status = "new"
        self.cause: str | None = None
        self.message_ids: list[str] = []
        self.undeliverable: list[str] = []
        self.attachment_ids: list[str] = []
        #: The requester's own word on how urgent it is; `priority` is the desk's decision.
        self.urgency = urgency
        #: How the priority was decided: stated by the desk, or the matrix's pair.
        self.priority_basis = priority_basis
        #: The requester's form session, if the form showed suggestions (knowledge base).
        self.kb_session = kb_session
        self.merged_into: str | None = None
        self.merged: list[str] = []

    def same_submission(self, other: dict[str, Any]) -> bool:
        """Whether a retried request (same Idempotency-Key) asks for the same ticket."""
        return (
            self.subject == other["subject"]
            and self.description == other["description"]
            and self.requester == other["requester"]
            and self.channel == other["channel"]
        )

    @property
    def requester_email(self) -> str | None:
        email = (self.requester or {}).get("email")
        return str(email).lower() if email else None

    # --- status -------------------------------------------------------------------------

    def start(self, actor: str, at: datetime, reason: str = "") -> None:
        self._move("start", actor, at, reason)

    def wait_for_requester(self, actor: str, at: datetime, reason: str = "") -> None:
        self._move("wait", actor, at, reason)

    def resume(self, actor: str, at: datetime, reason: str = "") -> None:
        self._move("resume", actor, at, reason)

    def resolve(self, actor: str, at: datetime, cause: str, reason: str = "") -> None:
        check_cause(cause)
        self._move("resolve", actor, at, reason, cause)

    def reopen(self, actor: str, at: datetime, reason: str = "") -> None:
        self._move("reopen", actor, at, reason)

    def close(self, actor: str, at: datetime, reason: str = "") -> None:
        self._move("close", actor, at, reason)

    def _move(
        self, action: str, actor: str, at: datetime, reason: str, cause: str | None = None
    ) -> None:
        status = next_status(action, self.status, self.number)
        self._status_changed(status, self.status, actor, at, reason, cause)

    @event("StatusChanged")
    def _status_changed(
        self,
        status: str,
        previous: str,
        actor: str,
        at: datetime,
        reason: str,
        cause: str | None,
    ) -> None:
        self.status = status
        if status == "resolved":
            self.cause = cause

    # --- conversation -------------------------------------------------------------------

    def check_not_closed(self) -> None:
        if self.status == "closed":
            raise TicketClosed(self.number)

    def has_message(self, message_id: str | None) -> bool:
        """Whether this message (a reply taken in before) is already on the ticket."""
        return bool(message_id) and message_id in self.message_ids

    def comment(
        self,
        author: str,
        author_role: str,
        visibility: str,
        body: str,
        at: datetime,
        channel: str = "web",
        message_id: str | None = None,
    ) -> None:
        """A reply or note; a requester's public reply wakes the ticket (SPEC §8 ⇄), and the
        desk's first public answer means someone is working on it."""
        self.check_not_closed()
        if visibility not in VISIBILITIES:
            raise ValueError(f"visibility must be one of {VISIBILITIES}, not {visibility!r}")
        self._commented(author, author_role, visibility, body, at, channel, message_id)
        if visibility != "public":
            return
        if author_role in REQUESTER_SIDE:
            if author_role != "requester":
                return  # someone copied in: their word is kept, the status is the requester's
            if self.status == "waiting_requester":
                self.resume(author, at, "người yêu cầu đã trả lời / the requester replied")
            elif self.status == "resolved":
                self.reopen(author, at, "người yêu cầu đã trả lời / the requester replied")
        elif self.status in ("new", "reopened"):
            self.start(author, at, "trả lời đầu tiên / first public answer")

    @event("Commented")
    def _commented(
        self,
        author: str,
        author_role: str,
        visibility: str,
        body: str,
        at: datetime,
        channel: str,
        message_id: str | None,
    ) -> None:
        if message_id:
            self.message_ids.append(message_id)

    @event("EmailReceived")
    def record_email(
        self,
        message_id: str | None,
        sender: str,
        sender_name: str,
        subject: str,
        text: str,
        html: str | None,
        received_at: datetime,
        to: list[str],
        cc: list[str],
        in_reply_to: str | None,
        references: list[str],
        threading: str,
        acknowledge: bool,
    ) -> None:
        """The whole message as received; the description or comment keeps only the new text."""
        if message_id and message_id not in self.message_ids:
            self.message_ids.append(message_id)

    @event("AttachmentAdded")
    def add_attachment(
        self,
        attachment_id: str,
        filename: str,
        content_type: str,
        size: int,
        sha256: str,
        stored: bool,
        at: datetime,
        source: str,
        refused_reason: str,
    ) -> None:
        self.attachment_ids.append(attachment_id)

    def mark_undeliverable(
        self, address: str, bounced_message_id: str, reason: str, at: datetime
    ) -> bool:
        """Record a bounce of our mail; False when this address was already marked."""
        address = address.lower()
        if address in self.undeliverable:
            return False
        self._undeliverable(address, bounced_message_id, reason, at)
        return True

    @event("RequesterUndeliverable")
    def _undeliverable(
        self, address: str, bounced_message_id: str, reason: str, at: datetime
    ) -> None:
        self.undeliverable.append(address)

    # --- the desk's decisions and corrections (issue 13) --------------------------------

    def change_priority(
        self, priority: str, reason: str, actor: str, at: datetime, automatic: bool = False
    ) -> bool:
        """The desk sets the priority, with a reason; False when it already is that."""
        self.check_not_closed()
        if priority == self.priority:
            return False
        self._priority_changed(priority, self.priority, reason, actor, at, automatic)
        return True

    @event("PriorityChanged")
    def _priority_changed(
        self, priority: str, previous: str, reason: str, actor: str, at: datetime, automatic: bool
    ) -> None:
        self.priority = priority

    def correct(self, changes: dict[str, Any], reason: str, actor: str, at: datetime) -> bool:
        """Correct what was recorded wrongly (subject, requester, unit); only what differs is
        recorded, with its previous value. False when nothing differs."""
        self.check_not_closed()
        current = self.correctable()
        changed = {k: v for k, v in changes.items() if current.get(k) != v}
        if not changed:
            return False
        previous = {k: current.get(k) for k in changed}
        self._corrected(changed, previous, reason, actor, at)
        return True

    def correctable(self) -> dict[str, Any]:
        """What an operator may correct, as the ticket holds it now."""
        return {
            "subject": self.subject,
            "requester": self.requester,
            "unit_kind": self.unit_kind,
            "unit_province": self.unit_province,
        }

    @event("Corrected")
    def _corrected(
        self,
        changes: dict[str, Any],
        previous: dict[str, Any],
        reason: str,
        actor: str,
        at: datetime,
    ) -> None:
        for key, value in changes.items():
            setattr(self, key, value)

    def merge_into(self, survivor: Ticket, reason: str, actor: str, at: datetime) -> bool:
        """Close this ticket into `survivor` (the same request told twice); both keep the
        history. False when it is already merged there (a retry)."""
        check_merge(self, survivor)
        if self.merged_into == str(survivor.id):
            return False
        previous = self.status
        self._merged(str(survivor.id), survivor.number, reason, actor, at)
        self._status_changed("closed", previous, actor, at, reason, "duplicate")
        survivor._merge_received(str(self.id), self.number, reason, actor, at)
        return True

    @event("Merged")
    def _merged(
        self, into_id: str, into_number: str, reason: str, actor: str, at: datetime
    ) -> None:
        self.merged_into = into_id

    @event("MergeReceived")
    def _merge_received(
        self, merged_id: str, merged_number: str, reason: str, actor: str, at: datetime
    ) -> None:
        self.merged = [*self.merged, merged_id]


class MergeRefused(ValueError):
    """A merge the two tickets do not allow; the gateway answers 409 with this message."""


def check_merge(merged: Ticket, survivor: Ticket) -> None:
    """The rules of a merge (issue 13), as one function: what may be closed into what."""
    if merged.id == survivor.id:
        raise MergeRefused(
            f"Không thể gộp yêu cầu {merged.number} vào chính nó. / "
            "A ticket cannot be merged into itself."
        )
    if merged.merged_into == str(survivor.id):
        return  # already done: the retry changes nothing
    if merged.merged_into:
        raise MergeRefused(
            f"Yêu cầu {merged.number} đã được gộp vào một yêu cầu khác. / "
            f"Ticket {merged.number} was already merged into another ticket."
        )
    for ticket in (merged, survivor):
        if ticket.status == "closed":
            raise MergeRefused(
                f"Yêu cầu {ticket.number} đã đóng; chỉ gộp được các yêu cầu còn mở. / "
                f"Ticket {ticket.number} is closed; only open tickets can be merged."
            )
    if merged.channel == "monitoring":
        raise MergeRefused(
            f"Yêu cầu {merged.number} là sự cố do hệ thống giám sát mở, tự đóng khi hết sự cố; "
            "hãy gộp yêu cầu kia vào nó. / A monitoring incident closes itself: merge the "
            "other ticket into it instead."
        )
    if (merged.unit_province or None) != (survivor.unit_province or None):
        raise MergeRefused(
            f"Hai yêu cầu thuộc hai tỉnh khác nhau ({merged.unit_province or 'trung ương'}, "
            f"{survivor.unit_province or 'trung ương'}); hãy liên kết với sự cố gốc thay vì gộp. / "
            "The tickets belong to different provinces' queues: link the report to the outage "
            "(POST /api/v1/tickets/{id}/parent) instead of merging."
        )
