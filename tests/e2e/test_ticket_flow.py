"""The first real flow through all five processes (issue: the walking skeleton)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import psycopg

from tests.support.org import TODAY_POLICY, l1_office, unit_in_force
from tests.support.tickets import assigned, submit, ticket, wait_until, web_ticket
from tools.suite import Suite


def _settled(suite: Suite, ids: list[str], timeout_s: float = 90) -> dict[str, dict[str, Any]]:
    views: dict[str, dict[str, Any]] = {}

    def all_assigned() -> bool:
        for ticket_id in ids:
            if ticket_id not in views:
                view = assigned(suite, ticket_id)
                if view is not None and len(view["history"]) >= 3:
                    views[ticket_id] = view
        return len(views) == len(ids)

    wait_until(all_assigned, timeout_s, f"{len(ids)} tickets to be routed and assigned")
    return views


def test_a_province_ticket_is_routed_to_its_it_office_and_assigned_at_l1(suite: Suite) -> None:
    response = submit(
        suite,
        web_ticket(
            "Không đăng nhập được TABMIS", description="Báo lỗi ORA-12541 khi vào phân hệ GL"
        ),
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["number"].startswith("YC-")

    view = _settled(suite, [created["id"]])[created["id"]]

    assert view["group"] == "TABMIS"
    assert view["application"] == "TABMIS"
    assert view["first_handler"]["kind"] == "province"
    # Today's L1 of Hà Nội: the IT function of its regional treasury (issue 14).
    office = l1_office("HNI")
    assert view["first_handler"]["office"] == office
    assert view["first_handler"]["policy_version"] == TODAY_POLICY
    assert (view["tier"], view["owner"], view["handler"]) == ("L1", office, office)
    decisions = [h["type"] for h in view["history"] if not h["type"].endswith("sla_updated.v1")]
    assert decisions == [
        "hotro.ticket.submitted.v1",
        "hotro.ticket.routed.v1",
        "hotro.ticket.assigned.v1",
    ]
    assert ticket(suite, created["number"])["id"] == created["id"]


def test_the_policy_in_force_at_received_at_decides(suite: Suite) -> None:
    body = web_ticket(  # a unit of the 2017 organisation
        "Lỗi in báo cáo trên TABMIS", unit_code="KBNN-HNI", received_at="2017-06-01T09:00:00+07:00"
    )
    headers = {"Authorization": f"Bearer {suite.admin_token}"}
    created = submit(suite, body, **headers).json()

    view = _settled(suite, [created["id"]])[created["id"]]

    # Phase 1: a national application asked about by a province goes to central.
    assert view["first_handler"]["policy_version"] == "phase-1"
    assert (view["first_handler"]["kind"], view["tier"]) == ("central", "L2")
    assert view["number"].startswith("YC-2017-")


def test_requesters_of_every_kind_reach_their_first_handler(suite: Suite) -> None:
    cases = {
        "central": (web_ticket("Máy in không in được", unit_code="CUC-CNTT"), "L2"),
        "ministry_dvc": (
            web_ticket(
                "Không nộp được hồ sơ trên dịch vụ công", unit_code="BO-YT", application_code="DVC"
            ),
            "ITO",
        ),
        "declared_finance_agency": (
            {
                "requester": {
                    "name": "Trần Văn Bình",
                    "unit": {
                        "kind": "finance_agency",
                        "province": "Đà Nẵng",
                        "name": "Sở Tài chính Đà Nẵng",
                    },
                },
                "subject": "Lỗi đồng bộ dữ liệu TABMIS",
                "description": "Không kết xuất được.",
            },
            "L1",
        ),
    }
    created = {name: submit(suite, body).json()["id"] for name, (body, _) in cases.items()}

    views = _settled(suite, list(created.values()))

    for name, (_, tier) in cases.items():
        assert views[created[name]]["tier"] == tier, name
    assert views[created["declared_finance_agency"]]["owner"] == l1_office("DNG")
    assert views[created["central"]]["group"] == "WORKSTATION"


def _count_stored(suite: Suite) -> int:
    with psycopg.connect(suite.database_url) as conn:
        row = conn.execute("SELECT count(*) FROM intake.intake_events").fetchone()
    assert row is not None
    return int(row[0])


def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(suite: Suite) -> None:
    before = _count_stored(suite)
    url = f"{suite.url('intake')}/api/v1/tickets"
    cases: list[tuple[Any, str]] = [
        (web_ticket("x", application_code="NOPE"), "application_code"),
        (web_ticket("x", unit_code="KBNN-XYZ"), "requester.unit_code"),
        (
            {
                "requester": {
                    "name": "A",
                    "unit": {"kind": "alien", "province": "HNI", "name": "X"},
                },
                "subject": "x",
            },
            "requester.unit.kind",
        ),
        (
            {
                "requester": {
                    "name": "A",
                    "unit": {"kind": "budget_unit", "province": "Atlantis", "name": "X"},
                },
                "subject": "x",
            },
            "requester.unit.province",
        ),
        ({"requester": {"name": "A", "unit_code": "KBNN-HNI"}}, "subject"),
        (web_ticket("x", description="a" * 20_001), "description"),
    ]
    for body, field in cases:
        response = httpx.post(url, json=body, timeout=10)
        assert response.status_code == 422, (field, response.text)
        assert field in [d["field"] for d in response.json()["detail"]], (field, response.text)
    malformed = httpx.post(
        url, content=b'{"subject": ', timeout=10, headers={"Content-Type": "application/json"}
    )
    assert malformed.status_code == 422
    assert _count_stored(suite) == before


def test_a_retry_with_the_same_idempotency_key_returns_the_same_ticket(suite: Suite) -> None:
    key = str(uuid.uuid4())
    first = submit(
        suite, web_ticket("Không truy cập được cổng thông tin"), **{"Idempotency-Key": key}
    )
    again = submit(
        suite, web_ticket("Không truy cập được cổng thông tin"), **{"Idempotency-Key": key}
    )
    other = submit(suite, web_ticket("Một yêu cầu khác"), **{"Idempotency-Key": key})

    assert first.status_code == 201 and again.status_code == 201
    assert again.json() == first.json()
    assert other.status_code == 409


def test_reading_tickets_needs_a_token(suite: Suite) -> None:
    response = httpx.get(f"{suite.url('intake')}/api/v1/tickets", timeout=10)
    assert response.status_code == 401
    assert response.json()["detail"][0]["field"] == "Authorization"


def test_a_ticket_is_found_by_its_number_right_after_submission(suite: Suite) -> None:
    created = submit(suite, web_ticket("Không mở được cổng thông tin KBNN")).json()
    found = ticket(suite, created["number"])
    assert found["id"] == created["id"]
    assert found["number"] == created["number"]


def test_a_2023_unit_code_on_a_new_ticket_is_filed_under_its_successor(suite: Suite) -> None:
    """Issue 14: the district treasury of Ba Đình closed on 28 February 2025; a request that
    still names it is filed under the unit that carries it on, with a note saying so. An
    import of 2024 (received_at, integration role) keeps the code that was in force."""
    new = submit(suite, web_ticket("TABMIS báo lỗi khi duyệt chi", unit_code="KBNN-HNI-BADINH"))
    old_body = web_ticket(
        "TABMIS báo lỗi khi duyệt chi (QLYC)",
        unit_code="KBNN-HNI-BADINH",
        received_at="2024-12-02T09:00:00+07:00",
    )
    old = submit(suite, old_body, Authorization=f"Bearer {suite.admin_token}")
    assert new.status_code == 201 and old.status_code == 201, (new.text, old.text)
    views = _settled(suite, [new.json()["id"], old.json()["id"]])

    now, then = views[new.json()["id"]], views[old.json()["id"]]
    successor = unit_in_force("KBNN-HNI-BADINH")
    assert successor != "KBNN-HNI-BADINH"
    assert now["requester"]["unit_code"] == successor
    assert (now["first_handler"]["office"], now["first_handler"]["policy_version"]) == (
        l1_office("HNI"),
        TODAY_POLICY,
    )
    notes = [h["data"] for h in now["history"] if h["type"] == "hotro.ticket.commented.v1"]
    assert [n["visibility"] for n in notes] == ["internal"]
    assert "KBNN-HNI-BADINH" in notes[0]["body"] and successor in notes[0]["body"]

    assert then["requester"]["unit_code"] == "KBNN-HNI-BADINH"
    assert (then["first_handler"]["office"], then["first_handler"]["policy_version"]) == (
        "PTH-HNI",
        "phase-3",
    )
    assert not [h for h in then["history"] if h["type"] == "hotro.ticket.commented.v1"]
