"""A monitoring incident's ticket (SPEC §5, §7): opened once, noted, resolved with the
duration and cause `infrastructure`, reopened; and routed where the incident belongs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from libs.catalog import Catalog, load_catalog
from libs.catalog.requester import RequesterUnit
from libs.events.schemas import (
    IncidentOpened,
    IncidentReopened,
    IncidentResolved,
    IncidentUpdated,
)
from services.intake.domain.monitoring_tickets import (
    CENTRAL_IT_UNIT,
    MonitoringRecord,
    decide_ticket,
    duration_vi,
    ticket_id_for,
)
from services.intake.domain.ticket import Ticket
from services.monitoring.domain.incidents import (
    CheckDown,
    District,
    Incident,
    Policy,
    check_failure,
    district_failure,
    line_id,
)
from services.routing.domain.route import route_ticket

T0 = datetime(2026, 12, 1, 1, 5, 12, tzinfo=UTC)  # 08:05:12 in Hà Nội
INCIDENT = "6f1c1d3e-0000-4000-8000-000000000001"


@cache
def catalog() -> Catalog:
    return load_catalog()


def facts(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "incident_id": INCIDENT,
        "source": "check",
        "key": "check:tabmis-web",
        "application": "TABMIS",
        "priority": "P1",
        "subject": "[Giám sát] TABMIS không truy cập được: TABMIS — trang đăng nhập",
        "description": "Hệ thống giám sát phát hiện TABMIS — trang đăng nhập không hoạt động.",
        "down_since": T0,
        "at": T0 + timedelta(minutes=1),
        "check_id": "tabmis-web",
        "reason": "HTTP 503",
    }
    values.update(changes)
    return values


def opened(**changes: Any) -> IncidentOpened:
    return IncidentOpened(**facts(**changes))


def resolved(minutes: int = 42) -> IncidentResolved:
    return IncidentResolved(
        **facts(at=T0 + timedelta(minutes=minutes + 1)),
        recovered_at=T0 + timedelta(minutes=minutes),
        outage_seconds=minutes * 60,
        outage_minutes=float(minutes),
    )


def opened_ticket(fact: IncidentOpened | None = None) -> tuple[Ticket, MonitoringRecord]:
    ticket, record = decide_ticket(fact or opened(), None, None, "YC-2026-000007", catalog())
    ticket.collect_events()
    record.collect_events()
    return ticket, record


def statuses(ticket: Ticket) -> list[tuple[str, str | None, str]]:
    return [
        (e.status, e.cause, e.reason)  # type: ignore[attr-defined]
        for e in ticket.collect_events()
        if type(e).__name__ == "StatusChanged"
    ]


def test_an_opened_incident_becomes_a_monitoring_ticket_of_the_central_it_department() -> None:
    ticket, record = decide_ticket(opened(), None, None, "YC-2026-000007", catalog())
    assert isinstance(ticket, Ticket) and isinstance(record, MonitoringRecord)
    assert ticket.id == ticket_id_for(INCIDENT)
    assert (ticket.channel, ticket.application_code, ticket.priority) == (
        "monitoring",
        "TABMIS",
        "P1",
    )
    assert ticket.requester["unit_code"] == CENTRAL_IT_UNIT and ticket.requester["email"] is None
    assert ticket.unit_kind == "kbnn_central" and ticket.unit_province is None
    assert INCIDENT in ticket.description
    assert record.ticket_id == str(ticket.id)


def test_an_opening_told_again_changes_nothing() -> None:
    ticket, record = opened_ticket()
    assert decide_ticket(opened(), ticket, record, None, catalog()) == []


def test_no_ticket_without_a_number_or_for_an_outage_already_over() -> None:
    assert decide_ticket(opened(), None, None, None, catalog()) == []
    assert decide_ticket(resolved(), None, None, "YC-2026-000008", catalog()) == []


def test_recovery_resolves_the_ticket_as_infrastructure_with_the_duration_in_vietnamese() -> None:
    ticket, record = opened_ticket()
    assert decide_ticket(resolved(42), ticket, record, None, catalog()) == [ticket, record]
    [(status, cause, reason)] = statuses(ticket)
    assert (status, cause) == ("resolved", "infrastructure")
    assert "Thời gian gián đoạn: 42 phút" in reason
    assert "08:47:12 ngày 01/12/2026" in reason and "08:05:12" in reason
    noted: Any = record.collect_events()[-1]
    assert (noted.change, noted.outage_minutes) == ("resolved", 42.0)


def test_a_ticket_someone_resolved_already_keeps_its_resolution() -> None:
    ticket, record = opened_ticket()
    ticket.resolve(actor="tabmis-lead", at=T0 + timedelta(minutes=5), cause="configuration")
    ticket.collect_events()
    decide_ticket(resolved(), ticket, record, None, catalog())
    assert statuses(ticket) == [] and ticket.cause == "configuration"


def test_reopening_the_incident_reopens_its_resolved_ticket() -> None:
    ticket, record = opened_ticket()
    decide_ticket(resolved(10), ticket, record, None, catalog())
    ticket.collect_events()
    again = IncidentReopened(
        **facts(at=T0 + timedelta(minutes=21)),
        failed_again_at=T0 + timedelta(minutes=20),
        previous_recovered_at=T0 + timedelta(minutes=10),
    )
    decide_ticket(again, ticket, record, None, catalog())
    [(status, _, reason)] = statuses(ticket)
    assert status == "reopened" and "Sự cố tái diễn lúc 08:25:12" in reason


def test_a_later_failure_is_an_internal_note_on_the_open_ticket() -> None:
    ticket, record = opened_ticket()
    update = IncidentUpdated(**facts(priority="P1", reason="timeout"), change="lỗi mới: timeout")
    decide_ticket(update, ticket, record, None, catalog())
    [comment] = [e for e in ticket.collect_events() if type(e).__name__ == "Commented"]
    assert comment.visibility == "internal" and "lỗi mới: timeout" in comment.body  # type: ignore[attr-defined]
    assert ticket.status == "new"


def test_durations_read_naturally() -> None:
    assert duration_vi(35) == "35 giây"
    assert duration_vi(42 * 60) == "42 phút"
    assert duration_vi(65 * 60) == "1 giờ 5 phút"
    assert duration_vi(120 * 60) == "2 giờ"


# -- where routing sends these tickets (the texts monitoring writes, read by routing) -------


def routed(ticket: Ticket) -> Any:
    return route_ticket(
        catalog=catalog(),
        subject=ticket.subject,
        description=ticket.description,
        picked_application=ticket.application_code,
        requester=RequesterUnit(
            kind=ticket.unit_kind or "unknown",  # type: ignore[arg-type]
            province=ticket.unit_province,
            unit_code=ticket.requester["unit_code"],
            declared=False,
            name=None,
        ),
        received_at=ticket.received_at,
    )


def test_a_target_incident_goes_to_the_application_group_as_an_incident() -> None:
    down = CheckDown(
        check_id="tabmis-web", application="TABMIS", name="TABMIS — trang đăng nhập",
        target="https://tabmis.kbnn.vn/", since=T0, at=T0, reason="HTTP 503",
        priority="P1", failures=2,
    )  # fmt: skip
    failure = check_failure(down)
    ticket, _ = opened_ticket(opened(subject=failure.subject, description=failure.description))
    outcome = routed(ticket)
    assert (outcome.type, outcome.application, outcome.group) == ("incident", "TABMIS", "TABMIS")
    assert (outcome.first_handler.kind, outcome.first_handler.tier) == ("central", "L2")
    assert outcome.first_handler.office == "TABMIS"


def test_a_wan_incident_is_the_district_s_and_goes_to_its_local_it_office() -> None:
    district = District(
        code="KBNN-BDG-BENCAT", name="KBNN Bến Cát", province="BDG", province_name="Bình Dương",
        channels=("wan-bdg-bencat-1", "wan-bdg-bencat-2"),
    )  # fmt: skip
    key = "wan:KBNN-BDG-BENCAT"
    line = Incident(
        id=line_id(key), key=key, source="wan", application=None, check_id=None, fingerprint=None
    )
    line.note_channel(
        "wan-bdg-bencat-1", "down", T0,
        {"name": "Kênh truyền 1 KBNN Bến Cát (VNPT)", "carrier": "VNPT",
         "carrier_contact": "Trung tâm Điều hành thông tin VNPT", "carrier_phone": "1800 1260",
         "reason": "connection refused"},
    )  # fmt: skip
    failure = district_failure(district, line.channels, Policy(), T0, "P2")
    assert failure is not None
    fact = opened(
        source="wan", key=key, application=None, check_id=None, priority=failure.priority,
        subject=failure.subject, description=failure.description, labels=dict(failure.labels),
    )  # fmt: skip
    ticket, _ = opened_ticket(fact)
    assert ticket.requester["unit_code"] == "KBNN-BDG-BENCAT"
    # Filed under the province in force that day: Bình Dương merged into TP.HCM in July 2025.
    assert (ticket.unit_kind, ticket.unit_province) == ("kbnn_district", "HCM")
    assert catalog().provinces["BDG"].successor == "HCM"
    outcome = routed(ticket)
    assert outcome.type == "incident"
    assert (outcome.first_handler.kind, outcome.first_handler.tier) == ("province", "L1")
    # The local L1 of the organisation in force on the day (issue 14): in December 2026 the
    # IT function of the regional treasury that carries on the closed district treasury.
    day = catalog().as_of(T0.date())
    in_force = day.unit("KBNN-BDG-BENCAT")
    assert in_force is not None and day.office(in_force.it_office) is not None
    assert outcome.first_handler.office == in_force.it_office


def test_a_wan_incident_made_worse_raises_its_ticket_by_a_priority_change() -> None:
    """Issue 9: the district's second channel down makes the incident P1; the ticket follows
    through the desk's priority change (an event escalation recomputes the SLA from)."""
    ticket, record = opened_ticket(opened(source="wan", priority="P2"))
    assert ticket.priority == "P2"
    worse = IncidentUpdated(**facts(source="wan", priority="P1"), change="mức ưu tiên P2 → P1")
    decide_ticket(worse, ticket, record, None, catalog())
    [raised] = [e for e in ticket.collect_events() if type(e).__name__ == "PriorityChanged"]
    assert (raised.priority, raised.previous, raised.automatic) == ("P1", "P2", True)  # type: ignore[attr-defined]
    assert "P2 → P1" in raised.reason and ticket.priority == "P1"  # type: ignore[attr-defined]

    better = IncidentUpdated(**facts(source="wan", priority="P2"), change="mức ưu tiên P1 → P2")
    decide_ticket(better, ticket, record, None, catalog())
    assert ticket.priority == "P1"  # monitoring raises, never lowers what the desk holds
