"""What escalation decides when something happens to a ticket (pure: time is always passed in).

Each function takes the aggregate and the facts, and calls the aggregate's event methods; the
adapters only load, call and save.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from libs.calendar.business import Calendar, CalendarRangeError
from libs.catalog.model import Catalog
from services.escalation.domain.escalation import TicketEscalation
from services.escalation.domain.ladder import (
    Actor,
    LadderError,
    check_may_act,
    initial_placement,
    next_step,
    owner_tier,
)
from services.escalation.domain.sla import SlaCatalog, SlaClock, SlaClockError, next_breach_at

OPEN_STATUSES = ("new", "routed", "in_progress", "waiting_requester", "reopened")
#: Statuses `start` leaves: moving on from them to in_progress is someone taking it up.
STARTED_FROM = ("new", "routed", "reopened")


@dataclass(frozen=True)
class SlaSetup:
    catalog: SlaCatalog
    calendars: dict[str, Calendar]


def place_routed_ticket(
    escalation_id: Any,
    ticket_id: str,
    first_handler_kind: str,
    first_handler_office: str,
    group: str,
    application: str | None,
    priority: str,
    ticket_type: str,
    received_at: datetime,
    now: datetime,
    setup: SlaSetup,
    arrived_at: datetime | None = None,
) -> TicketEscalation:
    """A routed ticket starts at its first handler, its SLA counted from when it was received
    (`arrived_at`: when it reached Hotro, the routing decision's time; `now` if not given)."""
    placement = initial_placement(first_handler_kind, first_handler_office, group)
    escalation = TicketEscalation(
        id=escalation_id,
        ticket_id=ticket_id,
        tier=placement.tier,
        owner=placement.owner,
        handler=placement.handler,
        group=group,
        assigned_at=now,
        reason=placement.reason,
        application=application,
        priority=priority,
        ticket_type=ticket_type,
    )
    if is_history(received_at, arrived_at or now, setup.catalog):
        return escalation
    queue = "ito" if placement.tier == "ITO" else "default"
    policy = setup.catalog.policy_for(queue, priority, received_at)  # type: ignore[arg-type]
    clock = SlaClock.for_policy(policy, setup.calendars[policy.calendar]).start(received_at)
    # Received before the calendar's first year (an old import): placed, without an SLA.
    with contextlib.suppress(CalendarRangeError):
        _record_clock(escalation, clock, now)
    return escalation


def is_history(received_at: datetime, arrived_at: datetime, catalog: SlaCatalog) -> bool:
    """Received so long before it reached Hotro that no clock of ours was running."""
    return arrived_at - received_at > timedelta(hours=catalog.history_after_hours)


def clock_of(escalation: TicketEscalation, setup: SlaSetup) -> SlaClock | None:
    if escalation.sla is None:
        return None
    return SlaClock.from_dict(escalation.sla, setup.calendars)


def _record_clock(escalation: TicketEscalation, clock: SlaClock, at: datetime) -> None:
    escalation.change_sla(
        ticket_id=escalation.ticket_id,
        sla=clock.to_dict(),
        summary=sla_summary(clock, escalation),
        at=at,
    )


def sla_summary(clock: SlaClock, escalation: TicketEscalation) -> dict[str, Any]:
    """What the ticket view shows (SPEC §7: `sla: {policy, priority, …}`)."""
    policy = clock.policy
    response_left = None if clock.responded else clock.time_left(policy.response)
    resolution_left = None if clock.resolved else clock.time_left(policy.resolution)
    return {
        "policy": policy.name,
        "priority": policy.priority,
        # While paused, the due times as they stood at the pause, with the time left.
        "response_due": _iso(clock.due_as_paused(policy.response)),
        "resolution_due": _iso(clock.due_as_paused(policy.resolution)),
        "paused": clock.paused,
        "responded": clock.responded,
        "responded_at": _iso(clock.responded_at),
        "resolved": clock.resolved,
        "breached": list(escalation.breached),
        "next_breach_at": _iso(next_breach_at(clock)),
        "response_left_s": _seconds_of(response_left),
        "resolution_left_s": _seconds_of(resolution_left),
    }


def _seconds_of(left: timedelta | None) -> int | None:
    return None if left is None else int(left.total_seconds())


def _iso(t: datetime | None) -> str | None:
    return t.isoformat() if t else None


def take(
    escalation: TicketEscalation,
    assignee: str,
    actor: Actor,
    at: datetime,
    catalog: Catalog,
    setup: SlaSetup,
) -> None:
    """Someone at the current step takes the ticket: that is the first response."""
    _check_open(escalation)
    check_may_act(actor, escalation.owner, escalation.handler, escalation.tier, catalog)
    escalation.take(
        ticket_id=escalation.ticket_id,
        tier=escalation.tier,
        handler=escalation.handler,
        assignee=assignee,
        actor=actor.name,
        at=at,
    )
    _respond(escalation, at, setup)


def _respond(escalation: TicketEscalation, at: datetime, setup: SlaSetup) -> None:
    clock = clock_of(escalation, setup)
    if clock is not None and not clock.responded and not clock.resolved:
        _record_clock(escalation, clock.respond(at), at)


def escalate(
    escalation: TicketEscalation,
    reason: str,
    actor: Actor,
    at: datetime,
    catalog: Catalog,
    cause: str | None = None,
    automatic: bool = False,
) -> None:
    """One step up; the owner stays and follows up (SPEC §4)."""
    _check_open(escalation)
    if not automatic:
        check_may_act(actor, escalation.owner, escalation.handler, escalation.tier, catalog)
    if not reason.strip():
        raise LadderError("Chuyển lên bậc trên cần nêu lý do. / An escalation needs a reason.")
    tier, handler = next_step(
        escalation.tier, escalation.group, escalation.application, catalog, cause
    )
    escalation.escalate(
        ticket_id=escalation.ticket_id,
        from_tier=escalation.tier,
        tier=tier,
        owner=escalation.owner,
        handler=handler,
        reason=reason,
        actor=actor.name,
        at=at,
        automatic=automatic,
    )


def return_to_owner(
    escalation: TicketEscalation, answer: str, actor: Actor, at: datetime, catalog: Catalog
) -> None:
    """The answer comes back to the owner, who replies to the requester."""
    _check_open(escalation)
    check_may_act(actor, escalation.owner, escalation.handler, escalation.tier, catalog)
    if escalation.handler == escalation.owner:
        raise LadderError(
            "Yêu cầu đang ở đơn vị chủ trì, không có gì để trả về. / The ticket is already with"
            " its owner; there is nothing to return."
        )
    if not answer.strip():
        raise LadderError(
            "Trả kết quả về cần nội dung câu trả lời. / Returning a ticket needs the answer."
        )
    escalation.return_to_owner(
        ticket_id=escalation.ticket_id,
        from_tier=escalation.tier,
        tier=owner_tier(escalation.owner, catalog),
        owner=escalation.owner,
        handler=escalation.owner,
        answer=answer,
        actor=actor.name,
        at=at,
    )


def regroup(
    escalation: TicketEscalation, group: str, application: str | None, actor: str, at: datetime
) -> None:
    """An operator reclassified the ticket: the new group takes over what the old group held;
    a province keeps what it owns and will escalate to the new group."""
    if group == escalation.group and application == escalation.application:
        return
    previous = escalation.group
    owner = group if escalation.owner == previous else escalation.owner
    handler = group if escalation.handler == previous else escalation.handler
    escalation.transfer(
        ticket_id=escalation.ticket_id,
        tier=escalation.tier,
        owner=owner,
        handler=handler,
        group=group,
        previous_group=previous,
        application=application,
        actor=actor,
        at=at,
    )


def _check_open(escalation: TicketEscalation) -> None:
    if escalation.status == "closed":
        raise LadderError(
            "Yêu cầu đã đóng là kết thúc, không thể chuyển trên các bậc hỗ trợ; hãy gửi một yêu"
            " cầu mới và nhắc số yêu cầu này. / A closed ticket is final and cannot move on the"
            " support ladder; submit a new request that cites this one's number."
        )
    if escalation.status not in OPEN_STATUSES:
        raise LadderError(
            "Yêu cầu đã được giải quyết; hãy mở lại (reopen) trước khi chuyển tiếp. / The ticket"
            " is resolved; reopen it first (POST …/reopen), then move it on the ladder."
        )


def on_status(
    escalation: TicketEscalation,
    status: str,
    previous: str,
    cause: str | None,
    at: datetime,
    setup: SlaSetup,
) -> None:
    """Intake's lifecycle drives the clock: waiting pauses it, a reply resumes it,
    resolution stops it, reopening starts a new resolution clock; `start` (new or reopened →
    in progress) is the first response, as the desk's first public reply is."""
    escalation.see_status(ticket_id=escalation.ticket_id, status=status, cause=cause, at=at)
    clock = clock_of(escalation, setup)
    if clock is None:
        return
    if status == "in_progress" and previous in STARTED_FROM:
        with contextlib.suppress(SlaClockError):  # a late event: the clock moved on already
            _respond(escalation, at, setup)
        clock = clock_of(escalation, setup) or clock
    try:
        if status == "waiting_requester" and not clock.paused and not clock.resolved:
            clock = clock.pause(at)
        elif clock.paused and status in ("in_progress", "routed", "reopened"):
            clock = clock.resume(at)
        elif status == "resolved" and not clock.resolved:
            clock = clock.resolve(at)
        elif status == "reopened" and clock.resolved:
            policy = clock.policy
            clock = SlaClock.for_policy(policy, setup.calendars[policy.calendar]).start(at)
        else:
            return
    except SlaClockError:
        return  # a late or repeated status: the clock already reflects it
    _record_clock(escalation, clock, at)


def on_public_reply(escalation: TicketEscalation, at: datetime, setup: SlaSetup) -> None:
    """A public answer from the desk to the requester is a response."""
    _respond(escalation, at, setup)


def due_breaches(
    escalation: TicketEscalation, now: datetime, setup: SlaSetup
) -> list[tuple[str, datetime]]:
    """Breaches that have happened by `now` and were not recorded yet (never fired twice)."""
    clock = clock_of(escalation, setup)
    if clock is None or escalation.status not in OPEN_STATUSES:
        return []
    found: list[tuple[str, datetime]] = []
    for kind in clock.breaches(now):
        if kind in escalation.breached:
            continue
        due = clock.response_due if kind == "response" else clock.resolution_due
        if due is not None:
            found.append((kind, due))
    return found


SYSTEM = Actor(name="hotro-sla", role="integration")


def record_breaches(
    escalation: TicketEscalation, now: datetime, catalog: Catalog, setup: SlaSetup
) -> list[str]:
    """Record each new breach, escalate one step for it (when there is a step left) and say
    which group lead to notify."""
    fired = []
    for kind, due in due_breaches(escalation, now, setup):
        lead = (
            catalog.groups[escalation.group].lead_email
            if escalation.group in catalog.groups
            else ""
        )
        escalation.record_breach(
            ticket_id=escalation.ticket_id, kind=kind, due=due, at=now, group_lead=lead
        )
        fired.append(kind)
        # At L4 nothing is left to escalate to: the breach is recorded and the lead told.
        with contextlib.suppress(LadderError):
            escalate(
                escalation,
                f"SLA {kind} target missed (due {due.isoformat()})",
                SYSTEM,
                now,
                catalog,
                automatic=True,
            )
    if fired:
        clock = clock_of(escalation, setup)
        if clock is not None:
            _record_clock(escalation, clock, now)
    return fired
