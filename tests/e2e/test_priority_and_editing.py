"""The operator's working day, through the gateway with the five services (issue 13): priority
is the desk's (matrix at submission, a change with a reason recomputes the SLA), corrections
and a merge are events in the history, `assign` names a person of the agent directory,
`GET /me`, and canned replies rendered in a comment and in the mail."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

import httpx
import pytest

from services.intake.adapters.tokens import Principal
from tests.support.mail import sent_about
from tests.support.tickets import submit, ticket, wait_until, web_ticket
from tests.support.tokens import issue_token
from tools.suite import Suite

API = "/api/v1"


def _client(suite: Suite, token: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token or suite.admin_token}"}
    return httpx.Client(base_url=f"{suite.url('intake')}{API}", headers=headers, timeout=30)


@pytest.fixture(scope="module")
def tokens(suite: Suite) -> dict[str, str]:
    return {
        "hni": issue_token(
            suite,
            Principal(
                "Phòng Tin học Hà Nội",
                "province_it",
                province="HNI",
                email="pth.hni.ops@kbnn.gov.vn",
            ),
        ),
        "tabmis": issue_token(suite, Principal("Nhóm TABMIS", "group_agent", group="TABMIS")),
        "requester": issue_token(
            suite, Principal("Nguyễn Thị Lan", "requester", email="lan@kbnn.gov.vn")
        ),
    }


def _placed(suite: Suite, ticket_id: str) -> dict[str, Any]:
    return wait_until(
        lambda: (v := ticket(suite, ticket_id)).get("sla") and v.get("handler") and v,
        60,
        "the ticket placed with its SLA",
    )


def _types(view: dict[str, Any]) -> list[str]:
    return [h["type"].removeprefix("hotro.ticket.").removesuffix(".v1") for h in view["history"]]


def _event(view: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(h for h in view["history"] if h["type"] == f"hotro.ticket.{kind}.v1")


def _field(response: httpx.Response) -> str:
    return str(response.json()["detail"][0]["field"])


def test_a_requester_cannot_set_p1_the_matrix_decides(suite: Suite, tokens: dict[str, str]) -> None:
    anonymous = submit(
        suite, web_ticket("TABMIS ngừng hoạt động", application_code="TABMIS", priority="P1")
    )
    assert anonymous.status_code == 201, anonymous.text
    view = wait_until(lambda: ticket(suite, anonymous.json()["id"]).get("urgency") and
                      ticket(suite, anonymous.json()["id"]), 30, "the view")  # fmt: skip
    assert (view["priority"], view["urgency"]) == ("P2", "high")
    submitted = _event(view, "submitted")["data"]
    assert submitted["priority"] == "P2" and "at most P2" in submitted["priority_basis"]

    with _client(suite, tokens["requester"]) as requester:
        own = requester.post(
            "/tickets", json=web_ticket("Máy in không in được", urgency="low")
        ).json()
    assert wait_until(lambda: ticket(suite, own["id"])["priority"], 30, "view") == "P4"

    bogus = submit(suite, web_ticket("Máy in", urgency="gấp lắm"))
    assert bogus.status_code == 422 and _field(bogus) == "urgency"

    with _client(suite, tokens["hni"]) as desk:  # the desk states it (phone, staff)
        stated = desk.post("/tickets", json=web_ticket("Cả tỉnh mất TABMIS", priority="P1"))
    assert wait_until(lambda: ticket(suite, stated.json()["id"])["priority"], 30, "view") == "P1"


def test_a_priority_change_with_a_reason_recomputes_the_sla_due_times(
    suite: Suite, tokens: dict[str, str]
) -> None:
    created = submit(suite, web_ticket("Không in được báo cáo TABMIS")).json()
    before = _placed(suite, created["id"])
    assert before["priority"] == "P3" and before["sla"]["priority"] == "P3"

    with _client(suite, tokens["hni"]) as hni:
        blank = hni.post(
            f"/tickets/{created['id']}/priority", json={"priority": "P1", "reason": " "}
        )
        unknown = hni.post(
            f"/tickets/{created['id']}/priority", json={"priority": "P0", "reason": "x"}
        )
        changed = hni.post(
            f"/tickets/{created['id']}/priority",
            json={"priority": "P1", "reason": "Cả phòng kế toán không làm việc được"},
        )
    assert blank.status_code == 422 and _field(blank) == "reason"
    assert unknown.status_code == 422 and _field(unknown) == "priority"
    assert changed.status_code == 200, changed.text
    assert changed.json()["priority"] == "P1"
    with _client(suite, tokens["requester"]) as requester:
        refused = requester.post(
            f"/tickets/{created['id']}/priority", json={"priority": "P1", "reason": "gấp"}
        )
    assert refused.status_code == 403

    after = wait_until(
        lambda: (v := ticket(suite, created["id"]))["sla"]["priority"] == "P1" and v,
        60,
        "escalation to recompute the SLA",
    )
    assert after["priority"] == "P1"
    for due in ("response_due", "resolution_due"):
        assert datetime.fromisoformat(after["sla"][due]) < datetime.fromisoformat(
            before["sla"][due]
        ), due
    change = _event(after, "priority_changed")["data"]
    assert (change["previous"], change["priority"]) == ("P3", "P1")
    assert change["reason"] == "Cả phòng kế toán không làm việc được"
    assert _types(after).count("sla_updated") >= 2


def test_corrections_are_events_and_a_moved_requesters_ticket_follows_them(
    suite: Suite, tokens: dict[str, str]
) -> None:
    created = submit(suite, web_ticket("Lỗi đăng nhập TABMS")).json()
    placed = _placed(suite, created["id"])
    url = f"/tickets/{created['id']}"
    with _client(suite) as admin:
        bad_unit = admin.patch(url, json={"unit_code": "KBNN-KHONGCO"})
        bad_email = admin.patch(url, json={"requester": {"email": "không-phải-thư"}})
        nothing = admin.patch(url, json={"reason": "không có gì"})
        fixed = admin.patch(
            url,
            json={
                "subject": "Lỗi đăng nhập TABMIS",
                "requester": {"name": "Nguyễn Thị Lan Anh", "phone": "0243 555 1234"},
                "unit_code": "KBNN-HCM",
                "reason": "Người yêu cầu đã chuyển công tác vào TP.HCM",
            },
        )
    assert bad_unit.status_code == 422 and _field(bad_unit) == "unit_code"
    assert bad_email.status_code == 422 and _field(bad_email) == "requester.email"
    assert nothing.status_code == 422
    assert fixed.status_code == 200, fixed.text
    assert set(fixed.json()["changed"]) == {"subject", "requester", "unit_province"}

    view = wait_until(
        lambda: (
            (v := ticket(suite, created["id"]))["province"] == "HCM"
            and v["owner"] != placed["owner"]
            and v
        ),
        60,
        "the ticket moved to the new province's office",
    )
    assert view["subject"] == "Lỗi đăng nhập TABMIS"
    assert view["requester"]["name"] == "Nguyễn Thị Lan Anh"
    assert view["requester"]["unit_code"] == "KBNN-HCM"
    corrected = _event(view, "corrected")["data"]
    assert corrected["previous"]["subject"] == "Lỗi đăng nhập TABMS"
    assert corrected["previous"]["unit_province"] == "HNI"
    assert "transferred" in _types(view)
    with _client(suite, tokens["hni"]) as hni:  # the old province no longer reaches it
        assert hni.get(url).status_code == 403

    with _client(suite) as admin:
        app = admin.patch(url, json={"application_code": "TTSP", "reason": "không phải TABMIS"})
        unknown_app = admin.patch(url, json={"application_code": "KHONGCO"})
    assert app.status_code == 200, app.text
    assert "application" in app.json()["changed"]
    assert unknown_app.status_code == 422 and _field(unknown_app) == "application_code"
    regrouped = wait_until(
        lambda: (v := ticket(suite, created["id"]))["group"] == "PAYMENT" and v, 60, "routing"
    )
    assert regrouped["application"] == "TTSP" and "reclassified" in _types(regrouped)


def test_a_merge_closes_one_into_the_other_keeps_both_histories_and_tells_the_requester(
    suite: Suite, tokens: dict[str, str]
) -> None:
    first = submit(suite, web_ticket("Không kết xuất được báo cáo B02")).json()
    again = submit(suite, web_ticket("Báo cáo B02 không kết xuất được")).json()
    elsewhere = submit(suite, web_ticket("Báo cáo B02 lỗi", unit_code="KBNN-HCM")).json()
    for t in (first, again, elsewhere):
        _placed(suite, t["id"])
    body = {"into": first["number"], "reason": "Cùng một yêu cầu gửi hai lần"}
    with _client(suite, tokens["hni"]) as hni:
        itself = hni.post(f"/tickets/{first['id']}/merge", json={**body, "into": first["id"]})
        merged = hni.post(f"/tickets/{again['id']}/merge", json=body)
        retried = hni.post(f"/tickets/{again['id']}/merge", json=body)
        into_closed = hni.post(
            f"/tickets/{first['id']}/merge", json={**body, "into": again["number"]}
        )
        foreign = hni.post(f"/tickets/{elsewhere['id']}/merge", json=body)
    with _client(suite) as admin:
        across = admin.post(f"/tickets/{elsewhere['id']}/merge", json=body)
    assert itself.status_code == 409 and "chính nó" in itself.json()["detail"][0]["msg"]
    assert merged.status_code == 200, merged.text
    assert merged.json()["status"] == "closed" and merged.json()["merged_into"] == first["id"]
    assert retried.status_code == 200 and retried.json() == merged.json()
    assert into_closed.status_code == 409
    assert foreign.status_code == 403  # another province's ticket
    assert across.status_code == 409 and "tỉnh" in across.json()["detail"][0]["msg"]

    gone = wait_until(
        lambda: (v := ticket(suite, again["id"]))["merged_into"] and v, 30, "merged_into"
    )
    assert gone["status"] == "closed" and gone["merged_into"]["number"] == first["number"]
    assert _types(gone).count("merged") == 1
    survivor = wait_until(lambda: (v := ticket(suite, first["id"]))["merged"] and v, 30, "merged")
    assert [m["number"] for m in survivor["merged"]] == [again["number"]]
    assert _types(survivor).count("merge_received") == 1 and survivor["status"] != "closed"

    told = wait_until(
        lambda: [m for m in sent_about(suite, first["number"]) if "gộp" in m.get_content()],
        60,
        "the merge mail",
    )
    assert len(told) == 1 and "lan@kbnn.gov.vn" in str(told[0]["To"])
    text = told[0].get_content()
    assert again["number"] in text and "Cùng một yêu cầu gửi hai lần" in text
    assert "Kính gửi anh/chị Nguyễn Thị Lan" in text


def test_assign_names_an_active_person_of_the_tickets_office(
    suite: Suite, tokens: dict[str, str]
) -> None:
    created = submit(suite, web_ticket("TABMIS báo lỗi khi in chứng từ")).json()
    handler = _placed(suite, created["id"])["handler"]
    email = f"tam.{secrets.token_hex(3)}@kbnn.gov.vn"
    with _client(suite) as admin:
        bad_office = admin.post(
            "/agents", json={"name": "X", "email": "x@kbnn.gov.vn", "office": "PTH-XYZ"}
        )
        added = admin.post(
            "/agents",
            json={"name": "Lê Văn Tâm", "email": email, "office": handler, "role": "province_it"},
        )
        other = admin.post(
            "/agents",
            json={"name": "Trần Thị Hoa", "email": f"hoa.{email}", "office": "TABMIS",
                  "groups": ["TABMIS"]},
        )  # fmt: skip
    assert bad_office.status_code == 422 and _field(bad_office) == "office"
    assert added.status_code == 201, added.text
    assert other.status_code == 201, other.text

    url = f"/tickets/{created['id']}/assign"
    with _client(suite, tokens["hni"]) as hni:
        listed = hni.get("/agents", params={"office": handler}).json()["data"]
        blank = hni.post(url, json={"assignee": "   "})
        unknown = hni.post(url, json={"assignee": "Người Lạ"})
        elsewhere = hni.post(url, json={"assignee": "Trần Thị Hoa"})
        taken = hni.post(url, json={"assignee": "le van tam"})
    assert email in [a["email"] for a in listed]
    for refused in (blank, unknown, elsewhere):
        assert refused.status_code == 422 and _field(refused) == "assignee", refused.text
    assert "agents" in unknown.json()["detail"][0]["msg"]
    assert taken.status_code == 200, taken.text
    view = wait_until(
        lambda: (v := ticket(suite, created["id"]))["assignee"] and v, 30, "the assignee"
    )
    assert view["assignee"] == "Lê Văn Tâm"

    with _client(suite) as admin:
        agent_id = added.json()["id"]
        assert admin.post(f"/agents/{agent_id}/deactivate").json()["active"] is False
        later = submit(suite, web_ticket("TABMIS lỗi in lần nữa")).json()
    _placed(suite, later["id"])
    with _client(suite, tokens["hni"]) as hni:
        gone = hni.post(f"/tickets/{later['id']}/assign", json={"assignee": email})
    assert gone.status_code == 422 and "deactivated" in gone.json()["detail"][0]["msg"]


def test_me_says_who_the_caller_is(suite: Suite, tokens: dict[str, str]) -> None:
    with _client(suite, tokens["hni"]) as hni:
        me = hni.get("/me").json()
    assert (me["role"], me["province"], me["email"]) == (
        "province_it",
        "HNI",
        "pth.hni.ops@kbnn.gov.vn",
    )
    assert me["office"]
    with _client(suite, tokens["tabmis"]) as tabmis:
        assert tabmis.get("/me").json()["office"] == "TABMIS"
    assert httpx.get(f"{suite.url('intake')}{API}/me", timeout=10).status_code == 401


def test_a_canned_reply_is_rendered_in_the_comment_and_in_the_mail(
    suite: Suite, tokens: dict[str, str]
) -> None:
    created = submit(
        suite, web_ticket("Xin mở lại kỳ kế toán TABMIS", application_code="TABMIS")
    ).json()
    _placed(suite, created["id"])
    with _client(suite, tokens["tabmis"]) as tabmis:
        offered = tabmis.get("/canned-replies", params={"group": "TABMIS"}).json()["data"]
        unknown = tabmis.post(
            f"/tickets/{created['id']}/comments", json={"canned_reply": "khong-co"}
        )
        missing = tabmis.post(
            f"/tickets/{created['id']}/comments", json={"canned_reply": "tabmis-mo-ky"}
        )
        sent = tabmis.post(
            f"/tickets/{created['id']}/comments",
            json={"canned_reply": "tabmis-mo-ky", "values": {"period": "11/2026"},
                  "body": "Hạn đóng kỳ: 16:00 hôm nay."},
        )  # fmt: skip
    ids = [r["id"] for r in offered]
    assert "tabmis-mo-ky" in ids and "thanh-toan-chung-tu-da-xu-ly" not in ids
    assert unknown.status_code == 422 and _field(unknown) == "canned_reply"
    assert missing.status_code == 422 and _field(missing) == "values.period"
    assert sent.status_code == 201, sent.text

    expected = f"Kỳ kế toán 11/2026 trên TABMIS đã được mở lại cho đơn vị của anh/chị theo yêu cầu {created['number']}"

    def rendered() -> dict[str, Any] | None:
        comments = [
            h["data"]
            for h in ticket(suite, created["id"])["history"]
            if h["type"] == "hotro.ticket.commented.v1" and h["data"]["author"] == "Nhóm TABMIS"
        ]
        return comments[0] if comments else None

    comment = wait_until(rendered, 30, "the comment in the history")
    assert comment["visibility"] == "public" and expected in comment["body"]
    assert comment["body"].endswith("Hạn đóng kỳ: 16:00 hôm nay.")
    mailed = wait_until(
        lambda: [m for m in sent_about(suite, created["number"]) if expected in m.get_content()],
        60,
        "the reply mailed",
    )
    assert len(mailed) == 1
