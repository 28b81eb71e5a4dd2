"""The console's pure rules: one-time codes (expiry, attempts, send limit), the API's errors in
Vietnamese, and each ticket-page form turned into its API call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.intake.domain.access import Principal, TicketScope
from services.intake.web.codes import (
    MAX_ATTEMPTS,
    MAX_SENDS,
    SEND_WINDOW,
    CodeRow,
    hash_code,
    may_send,
    verdict,
)
from services.intake.web.forms import ACTIONS, may_show, request_for
from services.intake.web.messages import vietnamese
from services.intake.web.portal import submission_body

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def _row(**changes: object) -> CodeRow:
    fields: dict[str, object] = {
        "salt": "s",
        "code_hash": hash_code("s", "123456"),
        "expires_at": NOW + timedelta(minutes=10),
        "attempts": 0,
        "window_start": NOW,
        "sends": 1,
    }
    fields.update(changes)
    return CodeRow(**fields)  # type: ignore[arg-type]


def test_a_code_is_right_once_wrong_expired_or_used_up() -> None:
    assert verdict(_row(), "123456", NOW) == "ok"
    assert verdict(_row(), " 123456 ", NOW) == "ok"
    assert verdict(_row(), "123457", NOW) == "wrong"
    assert verdict(_row(), "123456", NOW + timedelta(minutes=10)) == "expired"
    assert verdict(_row(attempts=MAX_ATTEMPTS), "123456", NOW) == "exhausted"
    assert verdict(None, "123456", NOW) == "none"


def test_an_address_gets_a_few_codes_an_hour() -> None:
    assert may_send(None, NOW)
    assert may_send(_row(sends=MAX_SENDS - 1), NOW)
    assert not may_send(_row(sends=MAX_SENDS), NOW + timedelta(minutes=59))
    assert may_send(_row(sends=MAX_SENDS), NOW + SEND_WINDOW)


def test_the_apis_messages_are_shown_in_vietnamese() -> None:
    refused = {"msg": "Yêu cầu YC-1 đang ở trạng thái 'mới', không thể mở lại. / Cannot reopen"}
    assert vietnamese(refused, 409) == "Yêu cầu YC-1 đang ở trạng thái 'mới', không thể mở lại."
    missing = {"msg": "Field required", "type": "missing"}
    assert vietnamese(missing, 422) == "Vui lòng nhập trường này. (Field required)"
    assert vietnamese({"msg": "the escalation service did not answer"}, 503).startswith(
        "Dịch vụ phía sau tạm thời không trả lời"
    )


def test_each_form_becomes_its_api_call() -> None:
    call = request_for(ACTIONS["escalate"], "t-1", {"reason": "cần nhóm", "cause": ""})
    assert (call.method, call.path, call.json) == (
        "POST",
        "/tickets/t-1/escalate",
        {"reason": "cần nhóm", "cause": None},
    )
    reclassify = request_for(ACTIONS["reclassify"], "t-1", {"group": "", "type": "incident"})
    assert reclassify.json == {"type": "incident"}, "a blank select changes nothing"
    unlink = request_for(ACTIONS["unlink"], "t-1", {"reason": "khác sự cố"})
    assert (unlink.method, unlink.params, unlink.json) == ("DELETE", {"reason": "khác sự cố"}, None)


def test_forms_are_offered_only_where_the_api_would_let_the_person_act() -> None:
    hni = TicketScope("HNI", "TABMIS", "lan@kbnn.gov.vn")
    officer = Principal("pth", "province_it", province="HNI")
    assert may_show(officer, ACTIONS["resolve"], hni)
    assert not may_show(Principal("pth", "province_it", province="HCM"), ACTIONS["resolve"], hni)
    assert not may_show(Principal("a", "analyst"), ACTIONS["comment"], hni)
    specialist = Principal("s", "specialist")
    assert may_show(specialist, ACTIONS["comment"], hni)
    assert not may_show(specialist, ACTIONS["close"], hni)


def test_the_portal_form_leaves_blanks_to_the_api() -> None:
    body = submission_body({"subject": "Lỗi", "description": "", "application_code": ""})
    assert body == {"channel": "web", "requester": {}, "subject": "Lỗi", "description": ""}
    declared = submission_body(
        {
            "subject": "x",
            "unit_name": "UBND xã A",
            "unit_kind": "budget_unit",
            "unit_province": "HNI",
        }
    )
    assert declared["requester"]["unit"] == {
        "kind": "budget_unit",
        "province": "HNI",
        "name": "UBND xã A",
    }
