"""Escalation's part in the desk's corrections (issue 13): a priority change recomputes the
SLA due times from the same start; a moved requester's ticket follows them to the new
province's L1 office; what a group holds stays."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from libs.calendar.business import Calendar
from libs.catalog import Catalog, load_catalog
from services.escalation.domain import decisions
from services.escalation.domain.corrections import (
    follow_moved_requester,
    office_of_province,
    reprioritise,
)
from services.escalation.domain.decisions import SlaSetup
from services.escalation.domain.escalation import TicketEscalation
from services.escalation.domain.sla_policy import SlaCatalog

VN = ZoneInfo("Asia/Ho_Chi_Minh")
#: A Monday morning outside the year-end season: the standard policy.
MONDAY = datetime(2026, 6, 1, 8, 0, tzinfo=VN)


@pytest.fixture(scope="module")
def org() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def setup(catalog: SlaCatalog, calendars: dict[str, Calendar]) -> SlaSetup:
    return SlaSetup(catalog, calendars)


def _placed(setup: SlaSetup, office: str, priority: str = "P3") -> TicketEscalation:
    return decisions.place_routed_ticket(
        uuid.uuid4(), str(uuid.uuid4()), "province", office, "TABMIS", "TABMIS", priority,
        "incident", MONDAY, MONDAY, setup,
    )  # fmt: skip


def test_a_priority_change_recomputes_both_due_times_from_the_same_start(
    setup: SlaSetup, org: Catalog
) -> None:
    escalation = _placed(setup, office_of_province("HNI", org, MONDAY) or "", "P3")
    before = decisions.clock_of(escalation, setup)
    assert before is not None and before.policy.priority == "P3"

    assert reprioritise(escalation, "P1", MONDAY.replace(hour=9), setup) is True
    after = decisions.clock_of(escalation, setup)
    assert after is not None
    assert after.policy.priority == "P1" and after.started_at == before.started_at
    # Standard P1 targets: 15 min to respond, 4 h to resolve, in treasury business time
    # (08:00–11:30 is 3 h 30, the lunch break does not count, 13:00 + 30 min).
    assert after.response_due == MONDAY.replace(hour=8, minute=15)
    assert after.resolution_due == MONDAY.replace(hour=13, minute=30)
    assert escalation.sla_summary is not None and escalation.sla_summary["priority"] == "P1"

    assert reprioritise(escalation, "P1", MONDAY.replace(hour=10), setup) is False  # redelivered


def test_a_priority_change_keeps_the_response_already_given(setup: SlaSetup, org: Catalog) -> None:
    escalation = _placed(setup, office_of_province("HNI", org, MONDAY) or "", "P3")
    clock = decisions.clock_of(escalation, setup)
    assert clock is not None
    escalation.change_sla(
        ticket_id=escalation.ticket_id, sla=clock.respond(MONDAY.replace(minute=5)).to_dict(),
        summary={}, at=MONDAY,
    )  # fmt: skip
    reprioritise(escalation, "P4", MONDAY.replace(hour=9), setup)
    after = decisions.clock_of(escalation, setup)
    assert after is not None and after.responded and after.policy.priority == "P4"


def test_a_moved_requesters_ticket_follows_them_to_the_new_provinces_office(
    setup: SlaSetup, org: Catalog
) -> None:
    hni, hcm = (office_of_province(p, org, MONDAY) for p in ("HNI", "HCM"))
    assert hni and hcm and hni != hcm
    escalation = _placed(setup, hni)
    assert follow_moved_requester(escalation, "HNI", "HCM", org, "Quản trị", MONDAY) is True
    assert (escalation.owner, escalation.handler) == (hcm, hcm)
    assert follow_moved_requester(escalation, "HNI", "HCM", org, "Quản trị", MONDAY) is False


def test_what_a_group_handles_stays_with_the_group_and_the_owner_moves(
    setup: SlaSetup, org: Catalog
) -> None:
    hni, hcm = (office_of_province(p, org, MONDAY) for p in ("HNI", "HCM"))
    escalation = _placed(setup, hni or "")
    escalation.escalate(
        ticket_id=escalation.ticket_id, from_tier="L1", tier="L2", owner=hni, handler="TABMIS",
        reason="cần nhóm", actor="x", at=MONDAY,
    )  # fmt: skip
    follow_moved_requester(escalation, "HNI", "HCM", org, "Quản trị", MONDAY)
    assert (escalation.owner, escalation.handler) == (hcm, "TABMIS")
