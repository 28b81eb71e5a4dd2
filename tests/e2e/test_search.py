"""Issue 13, search: `q` finds people (name, e-mail), comments and resolution notes, matching
whole words without diacritics — not folded substrings."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from services.intake.adapters.tokens import Principal
from tests.support.desk import call, numbers
from tests.support.tickets import submit, ticket, wait_until
from tests.support.tokens import issue_token
from tools.suite import Suite


def _placed(suite: Suite, body: dict[str, Any]) -> dict[str, Any]:
    answer = submit(suite, body)
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    wait_until(lambda: ticket(suite, created["id"]).get("tier"), 90, "placement")
    return created


@pytest.fixture(scope="module")
def found(suite: Suite) -> dict[str, Any]:
    tag = f"s{uuid.uuid4().hex[:8]}"
    email = f"hoa.{tag}@kbnn.gov.vn"
    person = _placed(
        suite,
        {
            "requester": {"name": "Phùng Thị Huệ", "email": email, "unit_code": "KBNN-HNI"},
            "subject": f"Lỗi thanh toán TTSP {tag}",
            "description": "Chứng từ không chuyển đi được.",
        },
    )
    picture = _placed(
        suite,
        {
            "requester": {
                "name": "Lê Văn Tâm",
                "email": f"tam.{tag}@kbnn.gov.vn",
                "unit_code": "KBNN-HNI",
            },
            "subject": f"Gửi kèm ảnh chụp màn hình lỗi {tag}",
            "description": "Xem ảnh đính kèm.",
        },
    )
    admin = suite.admin_token
    notes = [
        ("comments", {"body": "Đã kiểm tra máy chủ Kestrel nội bộ", "visibility": "internal"}),
        ("comments", {"body": "Vui lòng khởi động lại Vanguard", "visibility": "public"}),
        ("resolve", {"cause": "configuration", "reason": "Cấu hình lại Zephyrine cho đơn vị"}),
    ]
    for path, body in notes:
        done = call(suite, admin, "POST", f"/tickets/{person['number']}/{path}", json=body)
        assert done.status_code in (200, 201), done.text
    wait_until(lambda: ticket(suite, person["id"])["status"] == "resolved", 30, "resolved")
    requester = issue_token(suite, Principal("Phùng Thị Huệ", "requester", email=email))
    return {
        "tag": tag,
        "email": email,
        "person": person["number"],
        "picture": picture["number"],
        "requester": requester,
    }


def _search(suite: Suite, token: str, q: str) -> list[str]:
    def settled() -> list[str] | None:
        return numbers(call(suite, token, "GET", "/tickets", params={"q": q})) or None

    try:
        return wait_until(settled, 10, f"q={q}")  # type: ignore[no-any-return]
    except AssertionError:
        return []


@pytest.mark.parametrize(
    "q",
    ["phung thi hue", "Phùng Huệ", "{email}", "KESTREL", "vanguard", "zephyrine", "{number}"],
)
def test_q_finds_the_requester_comments_and_the_resolution_note(
    suite: Suite, found: dict[str, Any], q: str
) -> None:
    query = q.format(email=found["email"], number=found["person"])
    assert _search(suite, suite.admin_token, query) == [found["person"]]


def test_words_match_whole_words_not_folded_substrings(suite: Suite, found: dict[str, Any]) -> None:
    hits = _search(suite, suite.admin_token, f"ảnh {found['tag']}")
    assert hits == [found["picture"]]  # "thanh toán" holds the letters "anh" but not the word
    assert _search(suite, suite.admin_token, f"anh {found['tag']}") == [found["picture"]]
    assert _search(suite, suite.admin_token, f"thanh {found['tag']}") == [found["person"]]


def test_a_requester_finds_public_words_but_never_an_internal_note(
    suite: Suite, found: dict[str, Any]
) -> None:
    token = found["requester"]
    assert _search(suite, token, "vanguard") == [found["person"]]
    assert _search(suite, token, "zephyrine") == [found["person"]]
    assert _search(suite, token, "kestrel") == []
