"""Whether mail to an address can be delivered, for the whole directory (issue 13).

A bounce of one of our messages says the *address* is broken, not one ticket: every later
mail to it — on any ticket of that requester — would bounce too. So the address is an
aggregate of its own, keyed by the address (`address_id`), marked by the bounce (saved in the
same transaction as the bounce message and the ticket it names) and read by the mailer before
it sends anything. An admin marks it deliverable again once the mailbox is fixed.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from eventsourcing.domain import Aggregate, event

from libs.platform.eventstore import derived_id


def address_id(address: str) -> uuid.UUID:
    return derived_id("mail-address", address.strip().lower())


class MailAddress(Aggregate):
    @event("Noted")
    def __init__(self, id: uuid.UUID, address: str) -> None:
        self.address = address.strip().lower()
        self.undeliverable = False
        self.since: datetime | None = None
        self.reason = ""
        self.bounced_message_id = ""
        self.ticket_id: str | None = None
        #: (marked, cleared) of every undeliverable stretch: a mail is judged by its event's
        #: time, so a reply the API said could not be mailed is never sent later.
        self.periods: list[tuple[datetime, datetime | None]] = []

    @staticmethod
    def of(address: str) -> MailAddress:
        return MailAddress(id=address_id(address), address=address)

    def mark_undeliverable(
        self, bounced_message_id: str, ticket_id: str | None, reason: str, at: datetime
    ) -> bool:
        """False when it was already marked: a second bounce changes nothing."""
        if self.undeliverable:
            return False
        self._marked_undeliverable(bounced_message_id, ticket_id, reason, at)
        return True

    @event("MarkedUndeliverable")
    def _marked_undeliverable(
        self, bounced_message_id: str, ticket_id: str | None, reason: str, at: datetime
    ) -> None:
        self.undeliverable = True
        self.since = at
        self.periods = [*self.periods, (at, None)]
        self.reason = reason
        self.bounced_message_id = bounced_message_id
        self.ticket_id = ticket_id

    def mark_deliverable(self, actor: str, reason: str, at: datetime) -> bool:
        if not self.undeliverable:
            return False
        self._marked_deliverable(actor, reason, at)
        return True

    @event("MarkedDeliverable")
    def _marked_deliverable(self, actor: str, reason: str, at: datetime) -> None:
        self.undeliverable = False
        self.since = None
        self.reason = ""
        if self.periods:
            self.periods = [*self.periods[:-1], (self.periods[-1][0], at)]

    def undeliverable_at(self, at: datetime) -> bool:
        return any(
            marked <= at and (cleared is None or at < cleared) for marked, cleared in self.periods
        )

    def refusal(self, at: datetime | None = None) -> str | None:
        """Why mail to this address is not sent (Vietnamese and English), or None; with `at`,
        as things stood then (the time of the event the mail would tell)."""
        if not (self.undeliverable_at(at) if at is not None else self.undeliverable):
            return None
        since = self.since.isoformat() if self.since else "earlier"
        return (
            f"Địa chỉ {self.address} không nhận được thư (thư bị trả lại); thư không được gửi. / "
            f"{self.address} is marked undeliverable since {since} (a bounce); no mail is sent."
        )
