"""The ticket of a monitoring incident (SPEC §5, §7): intake owns tickets, monitoring incidents.

Monitoring decides that something is down, attached, recovered or down again; here intake
decides what that means for the ticket:
- opened → a ticket on channel `monitoring`, filed by the monitoring system for the central
  IT department (CUC-CNTT), so routing's phase-3 policy sends it to the application's group;
  a WAN incident is filed for the district treasury instead, so the same policy sends it to
  its province's IT office (L1);
- updated → an internal note on the ticket (the ticket itself is not reopened or moved);
- resolved → resolved with cause `infrastructure` and the outage's duration in Vietnamese
  (unless someone resolved it already); routing then resolves its children;
- reopened → the same ticket reopened (or noted, when it is still open).
`MonitoringRecord` keeps the incident's facts beside the ticket (the view's `monitoring`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from eventsourcing.domain import Aggregate, event

from libs.catalog.model import Catalog
from libs.events.schemas import (
    IncidentChanged,
    IncidentOpened,
    IncidentReopened,
    IncidentResolved,
    IncidentUpdated,
)
from services.intake.domain.lifecycle import OPEN_STATUSES
from services.intake.domain.priority import is_raise
from services.intake.domain.ticket import Ticket

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CHANNEL = "monitoring"
ACTOR = "hotro-monitoring"
SYSTEM_REQUESTER = "Hệ thống giám sát Hotro"
#: The central IT department: a monitoring ticket's unit, unless a district's WAN is down.
CENTRAL_IT_UNIT = "CUC-CNTT"
CAUSE = "infrastructure"
_NAMESPACE = uuid.UUID("7d2e4b9a-1f3c-4a8e-b6d5-9c0e2f4a7b31")
#: Events that may need a new ticket (an update or reopening whose opening was lost too).
OPENING_TYPES = (IncidentOpened.TYPE, IncidentUpdated.TYPE, IncidentReopened.TYPE)
INCIDENT_TYPES = (*OPENING_TYPES, IncidentResolved.TYPE)


def ticket_id_for(incident_id: str) -> uuid.UUID:
    """One ticket per incident, the same id whoever decides it and however often."""
    return uuid.uuid5(_NAMESPACE, f"monitoring-ticket|{incident_id}")


def record_id_for(incident_id: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"monitoring-record|{incident_id}")


def ticket_year(at: datetime) -> int:
    """Ticket numbers count per year in Vietnam (YC-2026-…)."""
    return at.astimezone(VN).year


def duration_vi(seconds: int) -> str:
    """`1 giờ 5 phút`, `42 phút`, `35 giây`."""
    if seconds < 60:
        return f"{seconds} giây"
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} giờ {minutes} phút"
    return f"{hours} giờ" if hours else f"{minutes} phút"


def _when(moment: datetime) -> str:
    return moment.astimezone(VN).strftime("%H:%M:%S ngày %d/%m/%Y")


def resolution_note(fact: IncidentResolved) -> str:
    return (
        f"Hệ thống giám sát xác nhận đã hoạt động trở lại lúc {_when(fact.recovered_at)}."
        f" Thời gian gián đoạn: {duration_vi(fact.outage_seconds)}"
        f" (từ {_when(fact.down_since)})."
    )


def reopen_note(fact: IncidentReopened) -> str:
    return (
        f"Sự cố tái diễn lúc {_when(fact.failed_again_at)}, ngay sau khi đã khắc phục"
        f" ({_when(fact.previous_recovered_at) if fact.previous_recovered_at else 'trước đó'}):"
        f" mở lại yêu cầu. Lỗi: {fact.reason or 'không rõ'}."
    )


def update_note(fact: IncidentUpdated) -> str:
    return f"Giám sát cập nhật: {fact.change}.\n{fact.description}"


def unit_of(fact: IncidentChanged) -> str:
    """Whose ticket it is: a WAN district's own, else the central IT department's."""
    district = fact.labels.get("district") if fact.source == "wan" else None
    return district or CENTRAL_IT_UNIT


def new_ticket(
    ticket_id: uuid.UUID, number: str, fact: IncidentChanged, catalog: Catalog
) -> Ticket:
    unit_code = unit_of(fact)
    unit = catalog.units.get(unit_code)
    # The estate names a district by the province of its day; the ticket is filed under the
    # province in force when the incident opened (issue 14: Bình Dương's districts are TP.HCM's).
    province = (
        catalog.as_of(fact.at.astimezone(VN).date()).province_code(unit.province) if unit else None
    )
    description = f"{fact.description}\n\nMã sự cố giám sát: {fact.incident_id}"
    if fact.truncated_alerts:
        description += (
            f"\nAlertmanager đã lược bớt {fact.truncated_alerts} cảnh báo khỏi thông báo này."
        )
    return Ticket(
        id=ticket_id,
        number=number,
        channel=CHANNEL,
        requester={"name": SYSTEM_REQUESTER, "email": None, "phone": None, "unit_code": unit_code},
        subject=fact.subject[:300],
        description=description,
        received_at=fact.at,
        application_code=fact.application,
        priority=fact.priority,
        unit_kind=unit.kind if unit else None,
        unit_province=province,
        submitted_by=ACTOR,
    )


class MonitoringRecord(Aggregate):
    """The monitoring incident behind one ticket, as the ticket view shows it: every change
    monitoring told (`Changed`, published as hotro.ticket.monitoring_changed.v1)."""

    @event("Noted")
    def __init__(self, id: uuid.UUID, ticket_id: str, incident_id: str, source: str) -> None:
        self.ticket_id = ticket_id
        self.incident_id = incident_id
        self.source = source

    def note(self, change: str, fact: IncidentChanged) -> None:
        resolved = fact if isinstance(fact, IncidentResolved) else None
        self._changed(
            ticket_id=self.ticket_id,
            incident_id=self.incident_id,
            source=self.source,
            check_id=fact.check_id,
            fingerprint=fact.fingerprint,
            down_since=fact.down_since,
            priority=fact.priority,
            at=fact.at,
            change=change,
            recovered_at=resolved.recovered_at if resolved else None,
            outage_minutes=resolved.outage_minutes if resolved else None,
        )

    @event("Changed")
    def _changed(
        self,
        ticket_id: str,
        incident_id: str,
        source: str,
        check_id: str | None,
        fingerprint: str | None,
        down_since: datetime,
        priority: str,
        at: datetime,
        change: str,
        recovered_at: datetime | None,
        outage_minutes: float | None,
    ) -> None:
        self.change = change


def _record(fact: IncidentChanged, ticket_id: uuid.UUID) -> MonitoringRecord:
    record = MonitoringRecord(
        id=record_id_for(fact.incident_id),
        ticket_id=str(ticket_id),
        incident_id=fact.incident_id,
        source=fact.source,
    )
    record.note("opened", fact)
    return record


def decide_ticket(
    fact: IncidentChanged,
    ticket: Ticket | None,
    record: MonitoringRecord | None,
    number: str | None,
    catalog: Catalog,
) -> list[Any]:
    """The aggregates this incident event changes (none: nothing to do)."""
    ticket_id = ticket_id_for(fact.incident_id)
    if ticket is None or record is None:
        if isinstance(fact, IncidentResolved) or number is None:
            return []  # an outage already over opens no ticket
        ticket = ticket or new_ticket(ticket_id, number, fact, catalog)
        return [ticket, record or _record(fact, ticket_id)]
    if isinstance(fact, IncidentOpened):
        return []  # told again
    if isinstance(fact, IncidentResolved):
        record.note("resolved", fact)
        if ticket.status in OPEN_STATUSES:
            ticket.resolve(actor=ACTOR, at=fact.at, cause=CAUSE, reason=resolution_note(fact))
        return [ticket, record]
    if isinstance(fact, IncidentReopened):
        record.note("reopened", fact)
        if ticket.status == "resolved":
            ticket.reopen(actor=ACTOR, at=fact.at, reason=reopen_note(fact))
        elif ticket.status != "closed":
            _comment(ticket, reopen_note(fact), fact.at)
        return [ticket, record]
    assert isinstance(fact, IncidentUpdated)
    record.note("updated", fact)
    if ticket.status != "closed":
        _comment(ticket, update_note(fact), fact.at)
        _raise_priority(ticket, fact)
    return [ticket, record]


def _raise_priority(ticket: Ticket, fact: IncidentUpdated) -> None:
    """Monitoring judged the incident worse (a WAN district's last channel down: P1): the
    ticket is raised by the desk's own event, so escalation recomputes its SLA (issue 9).
    Never lowered: a priority the desk raised by hand stays."""
    if is_raise(ticket.priority, fact.priority):
        ticket.change_priority(
            fact.priority,
            f"Giám sát: sự cố nặng hơn ({fact.change}), mức ưu tiên "
            f"{ticket.priority} → {fact.priority}.",
            ACTOR,
            fact.at,
            automatic=True,
        )


def _comment(ticket: Ticket, body: str, at: datetime) -> None:
    ticket.comment(
        author=SYSTEM_REQUESTER,
        author_role="monitoring",
        visibility="internal",
        body=body,
        at=at,
        channel=CHANNEL,
    )
