"""Issue 13: `start` is the first response, and a paused clock still shows its due times."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from libs.calendar.business import Calendar
from services.escalation.domain import decisions
from services.escalation.domain.decisions import SlaSetup
from services.escalation.domain.escalation import TicketEscalation
from services.escalation.domain.sla_policy import SlaCatalog

VN = ZoneInfo("Asia/Ho_Chi_Minh")
# Tuesday 3 March 2026, 08:00 in Hà Nội: an ordinary working morning.
MORNING = datetime(2026, 3, 3, 8, 0, tzinfo=VN)


@pytest.fixture(scope="module")
def setup(catalog: SlaCatalog, calendars: dict[str, Calendar]) -> SlaSetup:
    return SlaSetup(catalog, calendars)


def _placed(setup: SlaSetup) -> TicketEscalation:
    return decisions.place_routed_ticket(
        uuid.uuid4(),
        str(uuid.uuid4()),
        "province",
        "PTH-HNI",
        "TABMIS",
        "TABMIS",
        "P2",
        "incident",
        MORNING,
        MORNING,
        setup,
    )


def _summary(ticket: TicketEscalation) -> dict[str, object]:
    assert ticket.sla_summary is not None
    return ticket.sla_summary


def test_starting_a_new_ticket_records_the_first_response_with_its_time(setup: SlaSetup) -> None:
    ticket = _placed(setup)
    assert _summary(ticket)["responded"] is False
    started = MORNING + timedelta(minutes=20)
    decisions.on_status(ticket, "in_progress", "new", None, started, setup)
    assert _summary(ticket)["responded"] is True
    assert datetime.fromisoformat(str(_summary(ticket)["responded_at"])) == started
    # A later resume (the requester answered) does not move the first response.
    decisions.on_status(
        ticket, "waiting_requester", "in_progress", None, started + timedelta(hours=1), setup
    )
    decisions.on_status(
        ticket, "in_progress", "waiting_requester", None, started + timedelta(hours=2), setup
    )
    assert datetime.fromisoformat(str(_summary(ticket)["responded_at"])) == started


def test_resuming_is_not_a_first_response(setup: SlaSetup) -> None:
    ticket = _placed(setup)
    decisions.on_status(ticket, "waiting_requester", "new", None, MORNING, setup)
    decisions.on_status(
        ticket, "in_progress", "waiting_requester", None, MORNING + timedelta(hours=1), setup
    )
    assert _summary(ticket)["responded"] is False


def test_a_paused_clock_keeps_its_due_times_and_says_the_time_left(setup: SlaSetup) -> None:
    ticket = _placed(setup)
    before = dict(_summary(ticket))
    decisions.on_status(
        ticket, "waiting_requester", "new", None, MORNING + timedelta(minutes=10), setup
    )
    paused = _summary(ticket)
    assert paused["paused"] is True
    # The due times as they stood when the clock stopped (they were None before issue 13).
    assert paused["response_due"] == before["response_due"]
    assert paused["resolution_due"] == before["resolution_due"]
    clock = decisions.clock_of(ticket, setup)
    assert clock is not None
    used = 10 * 60
    assert paused["response_left_s"] == clock.policy.response.total_seconds() - used
    assert paused["resolution_left_s"] == clock.policy.resolution.total_seconds() - used
    # Nothing can breach while paused, however late it gets.
    assert decisions.due_breaches(ticket, MORNING + timedelta(days=60), setup) == []
    assert paused["next_breach_at"] is None


def test_a_running_clock_shows_no_time_left(setup: SlaSetup) -> None:
    summary = _summary(_placed(setup))
    assert summary["response_left_s"] is None and summary["resolution_left_s"] is None
