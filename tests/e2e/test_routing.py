"""Routing through the gateway: corrections in the history, previews, one outage's reports."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from services.intake.adapters.tokens import Principal
from tests.support.mail import sent_about
from tests.support.tickets import submit, ticket, wait_until, web_ticket
from tests.support.tokens import issue_token
from tools.suite import Suite

_token = issue_token


@pytest.fixture(scope="module")
def tokens(suite: Suite) -> Iterator[dict[str, str]]:
    yield {
        "admin": suite.admin_token,
        "desk": _token(suite, Principal("Nguyễn Thị Điệp", "group_agent", group="SERVICE_DESK")),
        "analyst": _token(suite, Principal("Phân tích", "analyst")),
        "requester": _token(
            suite, Principal("Lan", "requester", email="lan@kbnn.gov.vn", province="HNI")
        ),
    }


def _call(suite: Suite, method: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(
        method,
        f"{suite.url('intake')}/api/v1{path}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
        **kwargs,
    )


def _routed(suite: Suite, ticket_id: str) -> dict[str, Any]:
    return wait_until(
        lambda: (v := ticket(suite, ticket_id)).get("group") and v, 60, "the ticket to be routed"
    )


def _history(view: dict[str, Any]) -> list[str]:
    return [h["type"].removeprefix("hotro.ticket.").removesuffix(".v1") for h in view["history"]]


def test_a_reclassification_through_the_gateway_is_in_the_history(
    suite: Suite, tokens: dict[str, str]
) -> None:
    created = submit(suite, web_ticket("Máy in phòng kế toán kẹt giấy, không in được")).json()
    view = _routed(suite, created["id"])
    assert (view["group"], view["type"], view["application"]) == (
        "WORKSTATION",
        "incident",
        None,
    )
    correction = {"group": "TABMIS", "application": "TABMIS", "reason": "In từ TABMIS"}

    for refused in ("analyst", "requester"):
        response = _call(
            suite,
            "POST",
            f"/tickets/{created['number']}/reclassify",
            tokens[refused],
            json=correction,
        )
        assert response.status_code == 403, response.text
    response = _call(
        suite, "POST", f"/tickets/{created['number']}/reclassify", tokens["desk"], json=correction
    )
    assert response.status_code == 200, response.text
    assert response.json()["changed"] is True

    view = wait_until(
        lambda: (v := ticket(suite, created["id"]))["group"] == "TABMIS" and v,
        60,
        "the reclassification to reach the ticket view",
    )
    assert view["application"] == "TABMIS"
    assert view["classification"]["source"] == "operator"
    assert _history(view)[:2] == ["submitted", "routed"]
    correction_event = next(h for h in view["history"] if h["type"].endswith("reclassified.v1"))
    assert correction_event["data"]["actor"] == "Nguyễn Thị Điệp"
    assert correction_event["data"]["previous_group"] == "WORKSTATION"
    assert correction_event["data"]["reason"] == "In từ TABMIS"


def test_a_preview_decides_under_any_policy_version_and_creates_nothing(
    suite: Suite, tokens: dict[str, str]
) -> None:
    before = _call(suite, "GET", "/tickets?limit=1", tokens["admin"]).json()["count"]
    body = web_ticket("ko vao dc tabmis, bao ORA-12541", unit_code="KBNN-HNI")

    in_2017 = _call(
        suite,
        "POST",
        "/routing/preview",
        tokens["desk"],
        json=body,
        params={"as_of": "2017-06-01T09:00:00+07:00"},
    )
    named = _call(
        suite, "POST", "/routing/preview", tokens["desk"], json=body, params={"policy": "phase-3"}
    )
    unknown = _call(
        suite, "POST", "/routing/preview", tokens["desk"], json=body, params={"policy": "phase-9"}
    )

    assert in_2017.status_code == 200, in_2017.text
    assert in_2017.json()["policy"]["id"] == "phase-1"
    assert (in_2017.json()["first_handler"]["kind"], in_2017.json()["group"]) == (
        "central",
        "TABMIS",
    )
    assert named.json()["first_handler"]["kind"] == "province"
    assert named.json()["model_version"].startswith("rules-")
    assert "+clf-" in named.json()["model_version"]
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["field"] == "policy"
    assert _call(suite, "GET", "/tickets?limit=1", tokens["admin"]).json()["count"] == before


#: The same requester, a finance agency of Bắc Giang, before and after the reorganisations.
BAC_GIANG = {"kind": "finance_agency", "province": "Bắc Giang", "name": "Sở Tài chính Bắc Giang"}


@pytest.mark.parametrize(
    ("as_of", "policy", "office"),
    [
        # 2023 organisation: the provincial IT office of Bắc Giang.
        ("2024-12-01T09:00:00+07:00", "phase-3", "PTH-BGG"),
        # From 1 March 2025: Kho bạc Nhà nước khu vực VI (seat Bắc Giang).
        ("2025-04-01T09:00:00+07:00", "phase-4", "PTH-KV-BGG"),
        # From 1 July 2025 Bắc Giang is part of Bắc Ninh: the region covering Bắc Ninh (sample).
        ("2026-12-01T09:00:00+07:00", "phase-4", "PTH-KV-HDG"),
    ],
)
def test_a_preview_routes_by_the_organisation_in_force_at_as_of(
    suite: Suite, tokens: dict[str, str], as_of: str, policy: str, office: str
) -> None:
    body = {
        "requester": {"name": "Trần Văn Bình", "unit": BAC_GIANG},
        "subject": "Không kết xuất được báo cáo TABMIS",
        "application_code": "TABMIS",
    }
    answer = _call(
        suite, "POST", "/routing/preview", tokens["desk"], json=body, params={"as_of": as_of}
    )
    assert answer.status_code == 200, answer.text
    handler = answer.json()["first_handler"]
    assert (handler["kind"], handler["tier"], handler["office"]) == ("province", "L1", office)
    assert (handler["policy_version"], answer.json()["policy"]["id"]) == (policy, policy)
    assert office in handler["reason"]


def test_the_second_report_of_an_outage_is_linked_to_the_first(
    suite: Suite, tokens: dict[str, str]
) -> None:
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    first = submit(
        suite,
        web_ticket(
            "DMFAS không vào được, báo lỗi kết nối",
            received_at="2025-05-05T09:00:00+07:00",
        ),
        **admin,
    ).json()
    _routed(suite, first["id"])
    second = submit(
        suite,
        web_ticket(
            "dmfas ko dang nhap dc, bao timeout",
            unit_code="KBNN-HCM",
            received_at="2025-05-05T09:06:00+07:00",
        ),
        **admin,
    ).json()
    reset = submit(
        suite,
        web_ticket(
            "Nhờ cấp lại mật khẩu DMFAS cho chuyên viên mới",
            received_at="2025-05-05T09:08:00+07:00",
        ),
        **admin,
    ).json()

    linked = wait_until(
        lambda: (v := ticket(suite, second["id"])).get("parent") and v,
        60,
        "the second report to be linked to the first",
    )
    assert linked["parent"] == first["id"]
    link_event = next(h for h in linked["history"] if h["type"].endswith("linked.v1"))
    assert link_event["data"]["automatic"] is True and link_event["data"]["reasons"]
    children = _call(suite, "GET", f"/tickets?parent={first['id']}", tokens["admin"]).json()
    assert [c["id"] for c in children["data"]] == [second["id"]]
    assert _routed(suite, reset["id"])["parent"] is None  # a password reset is not the outage

    unlinked = _call(suite, "DELETE", f"/tickets/{second['number']}/parent", tokens["desk"])
    assert unlinked.status_code == 200 and unlinked.json()["parent_id"] is None
    by_hand = _call(
        suite,
        "POST",
        f"/tickets/{reset['id']}/parent",
        tokens["desk"],
        json={"parent": first["number"], "reason": "cùng sự cố"},
    )
    assert by_hand.status_code == 200, by_hand.text
    self_link = _call(
        suite,
        "POST",
        f"/tickets/{first['id']}/parent",
        tokens["desk"],
        json={"parent": first["id"]},
    )
    assert self_link.status_code == 409

    view = wait_until(
        lambda: (v := ticket(suite, second["id"]))["parent"] is None and v, 60, "the unlink"
    )
    assert _history(view)[-1] == "unlinked" or "unlinked" in _history(view)
    relinked = wait_until(
        lambda: (v := ticket(suite, reset["id"]))["parent"] == first["id"] and v, 60, "the link"
    )
    assert (
        next(h for h in relinked["history"] if h["type"].endswith("linked.v1"))["data"]["actor"]
        == "Nguyễn Thị Điệp"
    )


def test_resolving_the_parent_resolves_its_children_and_tells_their_requesters(
    suite: Suite, tokens: dict[str, str]
) -> None:
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    parent = submit(
        suite,
        web_ticket(
            "TTSP không gửi được lệnh thanh toán, báo lỗi kết nối",
            received_at="2025-06-02T10:00:00+07:00",
        ),
        **admin,
    ).json()
    _routed(suite, parent["id"])
    child = submit(
        suite,
        web_ticket(
            "ttsp ko gui dc lenh, loi ket noi",
            unit_code="KBNN-HCM",
            received_at="2025-06-02T10:05:00+07:00",
        ),
        **admin,
    ).json()
    wait_until(
        lambda: ticket(suite, child["id"]).get("parent") == parent["id"],
        60,
        "the child to be linked",
    )

    resolved = _call(
        suite,
        "POST",
        f"/tickets/{parent['id']}/resolve",
        tokens["admin"],
        json={"cause": "infrastructure", "reason": "Đã khôi phục đường truyền"},
    )
    assert resolved.status_code == 200, resolved.text

    view = wait_until(
        lambda: (v := ticket(suite, child["id"]))["status"] == "resolved" and v,
        60,
        "the child to be resolved with its parent",
    )
    change = [h for h in view["history"] if h["type"] == "hotro.ticket.status_changed.v1"][-1]
    assert change["data"]["cause"] == "duplicate"
    # The child's requester hears the outage's number and cause (issue 13), not "duplicate".
    wait_until(
        lambda: any(
            f"sự cố chung {parent['number']}" in m.get_content()
            for m in sent_about(suite, child["number"])
        ),
        60,
        "a notice to the child's requester",
    )
