"""The routing record of one ticket: its decision, corrections and outage links, as events.

Every change is an event with its reasons (the ticket history shows them): the decision at
submission, an operator's reclassification, a link to the outage's first report (automatic
or by hand) and its removal, and the request to resolve a child when its parent is resolved.
Commands check their invariant first (`check_*`) and raise a `RoutingRefused` that the API
answers with 409 and the reason.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

OPEN = "open"


class RoutingRefused(ValueError):
    """A command this ticket's routing cannot take; the message says why (Vietnamese / English)."""


class NothingToChange(RoutingRefused):
    pass


class TicketRouting(Aggregate):
    @event("Routed")
    def __init__(
        self,
        id: uuid.UUID,
        ticket_id: str,
        group: str,
        type: str,
        application: str | None,
        picked_application: str | None,
        classification: dict[str, Any],
        first_handler: dict[str, Any],
        received_at: datetime,
        priority: str,
        reasons: list[str],
        text: str = "",
        channel: str = "",
        unit: str | None = None,
    ) -> None:
        self.ticket_id = ticket_id
        self.group = group
        self.type = type
        self.application = application
        self.picked_application = picked_application
        self.classification = classification
        self.first_handler = first_handler
        self.received_at = received_at
        self.priority = priority
        self.reasons = reasons
        #: What was classified (subject and description without signature): duplicates are
        #: compared on it, and a reclassified ticket becomes a training example with it.
        self.text = text
        #: Intake's channel: a monitoring incident is an outage's parent (outages.py).
        self.channel = channel
        #: The requester's unit code: reports from different units make a burst (outages.py).
        self.unit = unit
        self.parent_id: str | None = None
        #: intake's lifecycle as routing heard it: open, resolved or closed.
        self.status = OPEN

    # -- reclassification --------------------------------------------------------------------

    def reclassify(
        self,
        *,
        group: str,
        type: str,
        application: str | None,
        actor: str,
        role: str,
        reason: str,
        at: datetime,
    ) -> None:
        """An operator's correction: the new labels, with the old ones kept on the event."""
        if (group, type, application) == (self.group, self.type, self.application):
            raise NothingToChange(
                "Phân loại không thay đổi. / The ticket is already classified so."
            )
        self._reclassified(
            ticket_id=self.ticket_id,
            group=group,
            type=type,
            application=application,
            previous={"group": self.group, "type": self.type, "application": self.application},
            actor=actor,
            role=role,
            reason=reason,
            at=at,
        )

    @event("Reclassified")
    def _reclassified(
        self,
        ticket_id: str,
        group: str,
        type: str,
        application: str | None,
        previous: dict[str, Any],
        actor: str,
        role: str,
        reason: str,
        at: datetime,
    ) -> None:
        self.group = group
        self.type = type
        self.application = application

    # -- outage links --------------------------------------------------------------------------

    def link_to(
        self,
        parent: TicketRouting,
        *,
        has_children: bool = False,
        automatic: bool,
        similarity: float | None,
        reasons: list[str],
        actor: str,
        at: datetime,
    ) -> None:
        self.check_can_link_to(parent, has_children=has_children)
        self._linked(
            ticket_id=self.ticket_id,
            parent_id=parent.ticket_id,
            automatic=automatic,
            similarity=similarity,
            reasons=reasons,
            actor=actor,
            at=at,
        )

    def check_can_link_to(self, parent: TicketRouting, *, has_children: bool) -> None:
        if parent.ticket_id == self.ticket_id:
            raise RoutingRefused(
                "Không thể liên kết yêu cầu với chính nó. / A ticket cannot be its own parent."
            )
        if self.parent_id == parent.ticket_id:
            raise NothingToChange(
                f"Đã liên kết với {parent.ticket_id}. / Already linked to {parent.ticket_id}."
            )
        if self.parent_id is not None:
            raise RoutingRefused(
                f"Yêu cầu đang liên kết với {self.parent_id}, hãy bỏ liên kết trước. / "
                f"Already linked to {self.parent_id}: unlink it first."
            )
        if parent.parent_id is not None:
            raise RoutingRefused(
                f"{parent.ticket_id} là yêu cầu con của {parent.parent_id}; hãy liên kết với"
                f" {parent.parent_id}. / The parent is itself linked to {parent.parent_id}:"
                f" link to that one."
            )
        if has_children:
            raise RoutingRefused(
                "Yêu cầu này đang có yêu cầu con. / This ticket has children of its own:"
                " unlink them first."
            )
        if parent.status != OPEN:
            raise RoutingRefused(
                f"Yêu cầu cha {parent.ticket_id} đã {parent.status}. / The parent is"
                f" {parent.status}: only an open incident takes new reports."
            )

    @event("Linked")
    def _linked(
        self,
        ticket_id: str,
        parent_id: str,
        automatic: bool,
        similarity: float | None,
        reasons: list[str],
        actor: str,
        at: datetime,
    ) -> None:
        self.parent_id = parent_id

    def unlink(self, *, actor: str, reason: str, at: datetime) -> None:
        if self.parent_id is None:
            raise NothingToChange(
                "Yêu cầu không liên kết với yêu cầu cha nào. / The ticket has no parent."
            )
        self._unlinked(
            ticket_id=self.ticket_id, parent_id=self.parent_id, actor=actor, reason=reason, at=at
        )

    @event("Unlinked")
    def _unlinked(
        self, ticket_id: str, parent_id: str, actor: str, reason: str, at: datetime
    ) -> None:
        self.parent_id = None

    # -- the lifecycle, as heard from intake ---------------------------------------------------

    def note_status(self, status: str, at: datetime) -> None:
        """Open tickets take new reports; resolved and closed ones no longer do."""
        state = OPEN if status not in ("resolved", "closed") else status
        if state != self.status:
            self._status_noted(ticket_id=self.ticket_id, status=state, at=at)

    @event("StatusNoted")
    def _status_noted(self, ticket_id: str, status: str, at: datetime) -> None:
        self.status = status

    def request_resolution(
        self, *, parent: TicketRouting, cause: str | None, note: str, at: datetime
    ) -> None:
        """SPEC §3.4: resolving the parent resolves the children (intake owns the status)."""
        self._resolution_requested(
            ticket_id=self.ticket_id,
            parent_id=parent.ticket_id,
            parent_cause=cause,
            note=note,
            at=at,
        )

    @event("ResolutionRequested")
    def _resolution_requested(
        self, ticket_id: str, parent_id: str, parent_cause: str | None, note: str, at: datetime
    ) -> None:
        pass
