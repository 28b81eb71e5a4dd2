"""Issue 13, errors people can read: one body everywhere (gateway, the services behind it,
unknown paths, wrong methods), whole sentences in Vietnamese and English, advice that is
possible, and 403 for another province's ticket on every action."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from services.intake.adapters.tokens import Principal
from tests.support.desk import assert_error_shape, call
from tests.support.tickets import submit, ticket, wait_until, web_ticket
from tests.support.tokens import issue_token
from tools.suite import Suite

#: Vietnamese letters that never appear in English text.
VIETNAMESE = re.compile(r"[ăâđêôơưàáạảãèéẹẻẽìíịỉĩòóọỏõùúụủũỳýỵỷỹ]", re.IGNORECASE)


def _bilingual(message: str) -> tuple[str, str]:
    """`Vietnamese sentence(s). / English sentence(s).` — neither language inside the other."""
    vi, sep, en = message.partition(" / ")
    assert sep, message
    assert VIETNAMESE.search(vi), message
    assert not VIETNAMESE.search(en), message
    return vi, en


@pytest.fixture(scope="module")
def hni_ticket(suite: Suite) -> dict[str, Any]:
    answer = submit(suite, web_ticket("Không đăng nhập được TABMIS phân hệ GL"))
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    wait_until(lambda: ticket(suite, created["id"]).get("tier"), 90, "the ticket's placement")
    return created


def test_unknown_paths_and_wrong_methods_answer_in_the_one_shape(suite: Suite) -> None:
    missing = call(suite, suite.admin_token, "GET", "/tickets-everything")
    assert "/api/v1/openapi.json" in assert_error_shape(missing, 404, "path")
    wrong = call(suite, suite.admin_token, "PATCH", "/tickets")
    message = assert_error_shape(wrong, 405, "method")
    assert "PATCH" in message and "GET" in message
    _bilingual(message)


@pytest.mark.parametrize("service", ["escalation", "routing", "monitoring"])
def test_the_services_behind_the_gateway_answer_in_the_same_shape(
    suite: Suite, service: str
) -> None:
    answer = httpx.get(f"{suite.url(service)}/api/v1/nowhere", timeout=10)
    assert answer.status_code in (401, 404), answer.text
    body = answer.json()
    assert set(body) == {"error", "detail"}
    assert all(set(e) == {"loc", "field", "msg", "type"} for e in body["detail"])


def test_escalation_s_validation_reaches_the_caller_in_words(
    suite: Suite, hni_ticket: dict[str, Any]
) -> None:
    answer = call(
        suite, suite.admin_token, "POST", f"/tickets/{hni_ticket['number']}/escalate", json={}
    )
    message = assert_error_shape(answer, 422, "reason")
    assert message == "Trường này là bắt buộc. / This field is required."


def test_validation_messages_are_words_not_regexes(suite: Suite) -> None:
    body = web_ticket("x")
    body["requester"]["email"] = "not-an-address"
    answer = submit(suite, body)
    assert answer.status_code == 422, answer.text
    for entry in answer.json()["detail"]:
        assert set(entry) == {"loc", "field", "msg", "type"}
        assert not re.search(r"\^|\$|\[0-9|\\s", entry["msg"]), entry


def test_an_unknown_unit_code_says_where_the_codes_are(suite: Suite) -> None:
    answer = submit(suite, web_ticket("Máy in không in được", unit_code="KBNN-NOWHERE"))
    message = assert_error_shape(answer, 422, "requester.unit_code")
    assert "/api/v1/catalog/units" in message
    _bilingual(message)


def test_a_refused_role_is_told_in_whole_sentences_without_internal_names(
    suite: Suite, hni_ticket: dict[str, Any]
) -> None:
    hni = issue_token(suite, Principal("Phòng Tin học Hà Nội", "province_it", province="HNI"))
    issued = call(suite, hni, "POST", "/tokens", json={"name": "x", "role": "admin"})
    vi, en = _bilingual(assert_error_shape(issued, 403))
    assert vi == "Vai trò cán bộ tin học tỉnh không được cấp mã truy cập."
    assert en == "The province_it role may not issue tokens."
    requester = issue_token(
        suite, Principal("Nguyễn Thị Lan", "requester", email="lan@kbnn.gov.vn")
    )
    note = call(
        suite,
        requester,
        "POST",
        f"/tickets/{hni_ticket['number']}/comments",
        json={"body": "ghi chú", "visibility": "internal"},
    )
    message = assert_error_shape(note, 403)
    assert "comment_internal" not in message
    _bilingual(message)


def test_a_closed_ticket_is_not_advised_to_be_reopened(suite: Suite) -> None:
    admin = suite.admin_token
    answer = submit(suite, web_ticket("Xin cài lại máy in phòng kế toán"))
    created = answer.json()
    wait_until(lambda: ticket(suite, created["id"]).get("tier"), 90, "placement")
    number = created["number"]
    for move, body in (("resolve", {"cause": "fulfilled"}), ("close", {})):
        done = call(suite, admin, "POST", f"/tickets/{number}/{move}", json=body)
        assert done.status_code == 200, done.text
    wait_until(lambda: ticket(suite, created["id"])["status"] == "closed", 30, "closed")

    reopen = assert_error_shape(call(suite, admin, "POST", f"/tickets/{number}/reopen"), 409)

    def escalation_knows() -> str | None:
        answer = call(suite, admin, "POST", f"/tickets/{number}/escalate", json={"reason": "x"})
        message = assert_error_shape(answer, 409)
        return message if "closed ticket" in message else None

    ladder = wait_until(escalation_knows, 30, "escalation to hear the ticket was closed")
    for message in (reopen, ladder):
        assert "reopen it first" not in message
        assert "submit a new request" in message
        _bilingual(message)


@pytest.mark.parametrize(
    ("method", "move", "body"),
    [
        ("GET", "", None),
        ("POST", "/start", {}),
        ("POST", "/wait", {}),
        ("POST", "/resolve", {"cause": "fulfilled"}),
        ("POST", "/comments", {"body": "Xin chào"}),
        ("POST", "/escalate", {"reason": "x"}),
        ("POST", "/assign", {"assignee": "Tâm"}),
        ("POST", "/reclassify", {"reason": "x"}),
        ("POST", "/parent", {"parent": "YC-2026-000001"}),
    ],
)
def test_another_province_s_ticket_is_403_on_every_action(
    suite: Suite, hni_ticket: dict[str, Any], method: str, move: str, body: Any
) -> None:
    hcm = issue_token(suite, Principal("Phòng Tin học HCM", "province_it", province="HCM"))
    answer = call(suite, hcm, method, f"/tickets/{hni_ticket['number']}{move}", json=body)
    message = assert_error_shape(answer, 403)
    assert hni_ticket["number"] in message
    assert ticket(suite, hni_ticket["id"])["status"] == "routed"
