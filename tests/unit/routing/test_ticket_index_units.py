"""How routing's index hands the outage's units to the burst (issue 15), without a database.

The SQL returns, per open incident, the units of its reports; `incident_of_row` maps that row
and `with_overlay` corrects it by the decisions of the batch still being decided. Both are
pure: what they give `parent_for` decides whether an unclear report joins a burst.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from libs.events.schemas import DeclaredUnit, Requester, TicketSubmitted
from services.routing.adapters.store import unit_of
from services.routing.adapters.ticket_index import (
    IndexedTicket,
    Overlay,
    incident_of_row,
    with_overlay,
)
from services.routing.domain.decision import TicketRouting
from services.routing.domain.outages import OpenIncident, Report, parent_for
from tests.unit.routing.shipped import catalog

T0 = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=60)
FIRST = "TTSP không gửi được lệnh thanh toán sang ngân hàng"


def routing(ticket_id: str, minutes: int, unit: str | None, text: str = FIRST) -> TicketRouting:
    return TicketRouting(
        id=uuid.uuid4(),
        ticket_id=ticket_id,
        group="PAYMENT",
        type="incident",
        application="TTSP",
        picked_application=None,
        classification={"model_version": "rules-2", "confidence": 0.9, "source": "text_match"},
        first_handler={},
        received_at=T0 + timedelta(minutes=minutes),
        priority="P3",
        reasons=[],
        text=text,
        channel="web",
        unit=unit,
    )


def linked(child: TicketRouting, parent: TicketRouting) -> TicketRouting:
    child.link_to(
        parent, automatic=True, similarity=0.7, reasons=[], actor="routing", at=child.received_at
    )
    return child


def stored(units: frozenset[str], minutes: int = 0) -> OpenIncident:
    """Incident A as the index's query returns it, last reported `minutes` after T0."""
    return OpenIncident("A", "TTSP", T0, T0 + timedelta(minutes=minutes), FIRST, units=units)


def test_a_row_of_the_query_carries_the_units_without_the_unknown_ones() -> None:
    row = ("A", "TTSP", T0, FIRST, T0 + timedelta(minutes=4), False, ["KV-HNI", None, "KV-HCM"])

    incident = incident_of_row(row)

    assert incident.units == frozenset({"KV-HNI", "KV-HCM"})
    assert (incident.last_report_at, incident.monitoring) == (T0 + timedelta(minutes=4), False)
    assert incident_of_row((*row[:6], None)).units == frozenset()


def test_a_child_decided_in_the_batch_adds_its_unit_and_time_to_the_stored_outage() -> None:
    overlay = Overlay()
    parent = routing("A", 0, "KV-HNI")
    overlay.add(linked(routing("B", 5, "KV-HCM", "ttsp treo cứng"), parent))

    (incident,) = with_overlay(
        {"A": stored(frozenset({"KV-HNI"}))}, overlay, "TTSP", T0 + timedelta(minutes=6), WINDOW
    )

    assert incident.units == frozenset({"KV-HNI", "KV-HCM"})
    assert incident.last_report_at == T0 + timedelta(minutes=5)


def test_a_first_report_decided_in_the_batch_counts_its_own_unit() -> None:
    overlay = Overlay()
    overlay.add(routing("A", 0, "KV-HNI"))
    overlay.add(linked(routing("B", 2, "KV-HCM", "ttsp treo cứng"), routing("A", 0, "KV-HNI")))

    (incident,) = with_overlay({}, overlay, "TTSP", T0 + timedelta(minutes=3), WINDOW)

    assert incident.ticket_id == "A"
    assert incident.units == frozenset({"KV-HNI", "KV-HCM"})


def test_a_stored_outage_touched_by_the_batch_keeps_the_units_the_index_had() -> None:
    overlay = Overlay()
    overlay.add(routing("A", 0, "KV-HNI"))  # e.g. a status heard in this batch

    (incident,) = with_overlay(
        {"A": stored(frozenset({"KV-HNI", "KV-HPG"}), minutes=9)},
        overlay,
        "TTSP",
        T0 + timedelta(minutes=10),
        WINDOW,
    )

    assert incident.units == frozenset({"KV-HNI", "KV-HPG"})
    assert incident.last_report_at == T0 + timedelta(minutes=9)


def test_an_unclear_report_joins_the_burst_the_overlay_reports_and_not_without_units() -> None:
    overlay = Overlay()
    first = routing("A", 0, "KV-HNI")
    overlay.add(first)
    overlay.add(linked(routing("B", 3, "KV-HCM", "ttsp treo cứng"), first))
    at = T0 + timedelta(minutes=7)
    incidents = with_overlay({}, overlay, "TTSP", at, WINDOW)
    policy = catalog().routing.duplicates

    match = parent_for(Report("C", "TTSP", "incident", at, "Lỗi TTSP", "KV-HPG"), incidents, policy)
    alone = parent_for(Report("C", "TTSP", "incident", at, "Lỗi TTSP", None), incidents, policy)

    assert match is not None and match.parent_id == "A"
    assert "a burst: 2 other unit(s)" in match.reasons[0]
    assert alone is None


def test_the_index_row_of_a_decision_keeps_its_unit() -> None:
    assert IndexedTicket.of(routing("A", 0, "KV-HNI")).unit == "KV-HNI"
    assert IndexedTicket.of(routing("A", 0, None)).unit is None


def submitted(requester: Requester) -> TicketSubmitted:
    return TicketSubmitted(
        ticket_id="t",
        number="YC-2026-000001",
        channel="web",
        requester=requester,
        subject="Lỗi TTSP",
        description="",
        received_at=T0,
    )


def test_the_unit_of_a_report_is_the_requesters_unit_code_and_only_that() -> None:
    coded = Requester(name="Lan", unit_code=" kbnn-kv-hni ")
    declared = Requester(name="Bình", unit=DeclaredUnit(kind="finance_agency", name="Sở TC"))

    assert unit_of(submitted(coded)) == "KBNN-KV-HNI"
    # A unit given only by name is not counted: two spellings would look like two units.
    assert unit_of(submitted(declared)) is None
    assert unit_of(submitted(Requester(name="Ẩn danh"))) is None
