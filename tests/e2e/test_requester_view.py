"""A requester following their ticket through the whole ladder sees their request, the public
conversation, the status in plain words and the answer; none of the desk's inside (issue 17):
internal notes, escalation reasons, staff names, office and vendor codes, routing's reasons,
classification and SLA internals. The staff keep seeing all of it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.intake.adapters.tokens import Principal
from tests.support.agents import register_agent
from tests.support.org import catalog, l1_office
from tests.support.tickets import wait_until
from tests.support.tokens import issue_token
from tools.suite import Suite

#: Today's L1 of Hà Nội (since 2025 the IT function of its regional treasury, issue 14).
HNI_L1 = l1_office("HNI")

API = "/api/v1"
EMAIL = "an.portal@kbnn.gov.vn"
SAID = {
    "internal note": "Nghi lỗi listener Oracle trên máy chủ DB02",
    "staff name": "Lê Văn Tâm",
    "province's escalation": "Tỉnh không xử lý được, chuyển nhóm TABMIS",
    "group's escalation": "Cần phòng Quản trị ứng dụng kiểm tra",
    "specialist's escalation": "Lỗi sản phẩm, chuyển nhà cung cấp",
    "hand-back": "Nhà cung cấp đã vá bản sửa lỗi 12.2.9",
    "desk's answer": "Anh/chị vui lòng thử đăng nhập lại sau 10 phút.",
    "question": "Anh/chị gửi giúp ảnh chụp màn hình lỗi?",
    "reply": "Em đã thử lại, vẫn báo ORA-12541.",
    "resolution": "Đã khởi động lại dịch vụ listener; anh/chị đăng nhập lại được.",
}
INTERNAL = ("internal note", "staff name", "province's escalation", "group's escalation",
            "specialist's escalation", "hand-back")  # fmt: skip
PUBLIC = ("desk's answer", "question", "reply", "resolution")


def _client(suite: Suite, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"{suite.url('intake')}{API}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )


@pytest.fixture(scope="module")
def walked(suite: Suite) -> dict[str, Any]:
    """One ticket of the requester's, taken up to the vendor and back, then resolved."""
    people = {
        "requester": Principal("Nguyễn Văn An", "requester", email=EMAIL),
        "hni": Principal("Phòng Tin học Hà Nội", "province_it", province="HNI"),
        "tabmis": Principal("Nhóm TABMIS", "group_agent", group="TABMIS"),
        "specialist": Principal("Phòng QTUD", "specialist"),
    }
    c = {key: _client(suite, issue_token(suite, who)) for key, who in people.items()}
    admin = _client(suite, suite.admin_token)
    created = c["requester"].post(
        "/tickets",
        json={
            "requester": {"name": "Nguyễn Văn An", "email": EMAIL, "unit_code": "KBNN-HNI"},
            "application_code": "TABMIS",
            "subject": "Không đăng nhập được TABMIS",
            "description": "Báo lỗi ORA-12541 khi vào phân hệ GL",
        },
    )
    assert created.status_code == 201, created.text
    ticket_id = created.json()["id"]

    def at(tier: str, handler: str | None = None) -> dict[str, Any]:
        view: dict[str, Any] = wait_until(
            lambda: (
                (v := admin.get(f"/tickets/{ticket_id}").json()).get("tier") == tier
                and (handler is None or v.get("handler") == handler)
                and v
            ),
            90,
            f"the ticket at {tier}",
        )
        return view

    def ok(response: httpx.Response) -> None:
        assert response.status_code in (200, 201), response.text

    placed = at("L1", HNI_L1)
    register_agent(suite, SAID["staff name"], placed["handler"])  # assign names a real person
    ok(c["hni"].post(f"/tickets/{ticket_id}/assign", json={"assignee": SAID["staff name"]}))
    note = {"body": SAID["internal note"], "visibility": "internal"}
    ok(c["hni"].post(f"/tickets/{ticket_id}/comments", json=note))
    answer = {"body": SAID["desk's answer"], "visibility": "public"}
    ok(c["hni"].post(f"/tickets/{ticket_id}/comments", json=answer))
    for who, said, tier in (
        ("hni", "province's escalation", "L2"),
        ("tabmis", "group's escalation", "L3"),
        ("specialist", "specialist's escalation", "L4"),
    ):
        ok(c[who].post(f"/tickets/{ticket_id}/escalate", json={"reason": SAID[said]}))
        vendor = at(tier)["handler"]
    ok(c["specialist"].post(f"/tickets/{ticket_id}/return", json={"answer": SAID["hand-back"]}))
    at("L1", HNI_L1)
    wait_until(
        lambda: admin.get(f"/tickets/{ticket_id}").json()["status"] == "in_progress", 30, "started"
    )
    ok(c["hni"].post(f"/tickets/{ticket_id}/wait", json={"reason": SAID["question"]}))
    reply = {"body": SAID["reply"], "visibility": "public"}
    ok(c["requester"].post(f"/tickets/{ticket_id}/comments", json=reply))
    wait_until(
        lambda: admin.get(f"/tickets/{ticket_id}").json()["status"] == "in_progress", 30, "resumed"
    )
    resolution = {"cause": "configuration", "reason": SAID["resolution"]}
    ok(c["hni"].post(f"/tickets/{ticket_id}/resolve", json=resolution))
    staff: dict[str, Any] = wait_until(
        lambda: (
            (v := admin.get(f"/tickets/{ticket_id}").json())["status"] == "resolved"
            and any(h["type"].endswith("returned.v1") for h in v["history"])
            and v
        ),
        60,
        "the whole history in the view",
    )
    return {
        "staff": staff,
        "vendor": vendor,
        "mine": c["requester"].get(f"/tickets/{ticket_id}"),
        "by_number": c["requester"].get(f"/tickets/{staff['number']}"),
        "listed": c["requester"].get("/tickets", params={"limit": 200}),
        "province": c["hni"].get(f"/tickets/{ticket_id}"),
    }


def _internals_of(staff: dict[str, Any], vendor: str) -> list[str]:
    """What the staff view holds that only staff may read, taken from the suite's own answer."""
    found = [SAID[k] for k in INTERNAL] + [vendor, "CNTT-QTUD", HNI_L1, "VD-"]
    for event in staff["history"]:  # routing's reasons, in English (long enough to be unique)
        found += [r for r in event["data"].get("reasons") or [] if len(r) >= 12]
    found += [staff["first_handler"]["policy_version"], staff["classification"]["model_version"]]
    return [f for f in found if f]


def test_the_requester_sees_no_internal_item_of_their_ticket(walked: dict[str, Any]) -> None:
    for answer in ("mine", "by_number", "listed"):
        assert walked[answer].status_code == 200, walked[answer].text
        text = walked[answer].text
        leaked = [item for item in _internals_of(walked["staff"], walked["vendor"]) if item in text]
        assert not leaked, f"{answer} shows {leaked}"
        for key in ('"sla"', '"owner"', '"handler"', '"tier"', '"assignee"', '"classification"',
                    '"first_handler"', '"priority"', '"group"', "response_due"):  # fmt: skip
            assert key not in text, f"{answer} has {key}"


def test_the_requester_sees_their_request_the_conversation_and_the_answer(
    walked: dict[str, Any],
) -> None:
    mine = walked["mine"].json()
    assert walked["by_number"].json() == mine
    assert (mine["subject"], mine["description"]) == (
        "Không đăng nhập được TABMIS", "Báo lỗi ORA-12541 khi vào phân hệ GL",
    )  # fmt: skip
    assert (mine["status"], mine["status_text"]) == ("resolved", "Đã giải quyết")
    assert mine["application"] == "TABMIS"
    # The requester reads the office's Vietnamese name, never its code (issue 14: regional).
    assert mine["handled_by"] == catalog().it_offices[HNI_L1].name
    assert mine["resolution"]["answer"] == SAID["resolution"]
    assert mine["resolution"]["cause_text"] == "lỗi cấu hình"
    comments = [(e["side"], e["body"]) for e in mine["history"] if e["kind"] == "comment"]
    assert comments == [("desk", SAID["desk's answer"]), ("requester", SAID["reply"])]
    statuses = [e["status"] for e in mine["history"] if e["kind"] == "status"]
    assert statuses[-3:] == ["waiting_requester", "in_progress", "resolved"]
    asked = next(e for e in mine["history"] if e.get("status") == "waiting_requester")
    assert asked["note"] == SAID["question"]
    text = walked["mine"].text
    assert all(SAID[k] in text for k in PUBLIC)
    listed = walked["listed"].json()["data"]
    assert [t["number"] for t in listed] == [mine["number"]]
    assert listed[0]["status_text"] == "Đã giải quyết"


def test_staff_still_see_the_whole_history(walked: dict[str, Any]) -> None:
    assert walked["province"].status_code == 200
    text = walked["province"].text
    assert all(SAID[k] in text for k in (*INTERNAL, *PUBLIC))
    assert walked["vendor"] in text
