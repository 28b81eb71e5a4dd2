"""First handler per policy phase on labelled tickets (issue 15): what `make eval` prints."""

from __future__ import annotations

from libs.catalog.requester import RequesterUnit
from services.routing.domain.examples import LabelledTicket
from services.routing.domain.handler_agreement import PANEL, first_handler_agreement
from tests.unit.routing.shipped import catalog

PRINTER = LabelledTicket("Máy in phòng kế toán kẹt giấy", "WORKSTATION", "incident")
TABMIS = LabelledTicket("Không vào được TABMIS", "TABMIS", "incident", "TABMIS")
PROVINCE_USER = RequesterUnit("kbnn_province", "HNI", None, declared=False, name="KBNN Hà Nội")


def test_a_classification_as_labelled_agrees_in_every_phase() -> None:
    labelled = {
        PRINTER.text: (None, "WORKSTATION", "incident"),
        TABMIS.text: ("TABMIS", "TABMIS", "incident"),
    }

    phases = first_handler_agreement(
        [PRINTER, TABMIS], lambda text, _pick: labelled[text], catalog()
    )

    assert [p.policy_id for p in phases] == [v.id for v in catalog().routing.versions]
    assert all(p.rate == 1.0 and p.asked == 2 * len(PANEL) and not p.misses for p in phases)


def test_a_wrong_group_matters_only_where_the_phase_sends_it_to_that_group() -> None:
    """A printer read as Service Desk: phase 1 sends a ticket without application to the
    central group (the wrong one), later phases send a province user's ticket to the province
    IT office whatever the group."""
    phases = first_handler_agreement(
        [PRINTER], lambda *_: (None, "SERVICE_DESK", "incident"), catalog(), [PROVINCE_USER]
    )
    rates = {p.policy_id: p.rate for p in phases}

    assert rates["phase-1"] == 0.0
    assert all(rate == 1.0 for policy, rate in rates.items() if policy != "phase-1")
    assert phases[0].misses == (
        ("-/WORKSTATION read as -/SERVICE_DESK: WORKSTATION → SERVICE_DESK", 1),
    )
