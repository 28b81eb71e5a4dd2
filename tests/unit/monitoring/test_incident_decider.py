"""The incidents consumer's decision for monitoring's own state changes, on the event store
library's in-memory persistence: maintenance opens nothing, a down target opens one incident
told as `hotro.incident.opened.v1`, a WAN channel down opens its district's incident."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from libs.catalog.checks_model import CheckDefaults, Contact, Estate, WanChannel, WanDistrict
from libs.events.envelope import Envelope
from libs.events.schemas import CheckStateChanged, IncidentOpened, data_of
from libs.events.sinks import UnitOfWork
from services.monitoring.adapters.incidents import IncidentDecider, with_incident_contracts
from services.monitoring.adapters.store import MonitoringApplication, to_contract
from services.monitoring.domain.incidents import Policy
from tests.unit.monitoring.factories import a_check, shipped_catalog

T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
CONTACT = Contact(name="Trung tâm Điều hành thông tin VNPT", phone="1800 1260")
ESTATE = Estate(
    file="checks.yaml",
    defaults=CheckDefaults(),
    checks=(a_check("http"),),
    wan=(
        WanDistrict(
            "KBNN-BDG-BENCAT", "BDG", "KBNN Bến Cát",
            (WanChannel("wan-1", "VNPT", CONTACT, "a:1"), WanChannel("wan-2", "FPT", CONTACT, "b:1")),
        ),
    ),
)  # fmt: skip


def change(state: str, check_id: str = "http-check", **extra: Any) -> Envelope:
    values: dict[str, Any] = {
        "check_id": check_id, "application": "TABMIS", "kind": "http", "state": state,
        "previous": "up", "since": T0, "reason": "HTTP 503", "at": T0 + timedelta(seconds=60),
        "priority": "P1", "name": "TABMIS — trang đăng nhập", "failures": 2,
    }  # fmt: skip
    values.update(extra)
    data = data_of(CheckStateChanged(**values))
    return Envelope(
        id=f"x:{state}", source="hotro/monitoring", type=CheckStateChanged.TYPE,
        subject=check_id, time=T0, data=data, position=1,
    )  # fmt: skip


def decide(envelope: Envelope) -> tuple[MonitoringApplication, list[Any]]:
    app = MonitoringApplication()
    decider = IncidentDecider(ESTATE, shipped_catalog(), Policy())
    changed = decider(envelope, UnitOfWork(app))
    return app, changed


def told(changed: list[Any]) -> list[str]:
    mapped = with_incident_contracts(to_contract)
    out = []
    for aggregate in changed:
        for e in aggregate.collect_events():
            contract = mapped(e)
            if contract is not None:
                out.append(type(contract[1]).TYPE)
    return out


def test_a_target_in_maintenance_opens_nothing() -> None:
    _, changed = decide(change("maintenance", reason="Bảo trì định kỳ"))
    assert changed == []


def test_a_target_confirmed_down_opens_one_incident_told_to_intake() -> None:
    _, changed = decide(change("down"))
    assert told(changed) == [IncidentOpened.TYPE]
    assert changed[0].application == "TABMIS" and changed[0].priority == "P1"


def test_a_recovery_of_a_target_never_down_creates_nothing() -> None:
    _, changed = decide(change("up", previous="unknown"))
    assert changed == []


def test_a_wan_channel_down_opens_its_districts_incident() -> None:
    labels = {"district": "KBNN-BDG-BENCAT", "province": "BDG", "carrier": "VNPT",
              "carrier_contact": CONTACT.name, "carrier_phone": CONTACT.phone, "topic": "network"}  # fmt: skip
    _, changed = decide(
        change("down", check_id="wan-1", application=None, labels=labels, priority="P2")
    )
    assert told(changed) == [IncidentOpened.TYPE]
    assert changed[0].source == "wan" and "Bình Dương" in changed[0].description
