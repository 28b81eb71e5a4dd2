"""Only the gateway's signed assertion opens the services behind it (SPEC §8, rule 10).

Each case reaches routing's or escalation's port directly, as any process on the internal
network could, and must get 401 — whatever role its headers claim.
"""

from __future__ import annotations

import time

import httpx
import pytest

from libs.platform.caller import ASSERTION_HEADER, Caller, new_internal_key, sign_call
from tests.support.tickets import submit, ticket, wait_until, web_ticket
from tools.suite import Suite

ADMIN = Caller("kẻ lạ", "admin")
RETRAIN = "/api/v1/routing/model/retrain"


def _direct(suite: Suite, service: str, method: str, path: str, **kwargs: object) -> httpx.Response:
    return httpx.request(method, f"{suite.url(service)}{path}", timeout=30, **kwargs)  # type: ignore[arg-type]


def _signed(
    suite: Suite, caller: Caller, method: str, target: str, body: bytes = b"", **kw: object
) -> dict[str, str]:
    key = kw.get("key") or suite.internal_key.encode()
    return {ASSERTION_HEADER: sign_call(caller, method, target, body, key, now=kw.get("now"))}  # type: ignore[arg-type]


def test_hand_made_admin_headers_do_not_retrain_the_model(suite: Suite) -> None:
    answer = _direct(
        suite, "routing", "POST", RETRAIN, headers={"X-Hotro-Role": "admin", "X-Hotro-Actor": "x"}
    )
    assert answer.status_code == 401
    assert answer.json()["detail"][0]["field"] == ASSERTION_HEADER


@pytest.mark.parametrize(
    ("why", "headers_for"),
    [
        (
            "forged key",
            lambda s: _signed(s, ADMIN, "POST", RETRAIN, key=new_internal_key().encode()),
        ),
        ("expired", lambda s: _signed(s, ADMIN, "POST", RETRAIN, now=time.time() - 300)),
        ("another path", lambda s: _signed(s, ADMIN, "GET", "/api/v1/routing/model")),
    ],
)
def test_a_bad_assertion_is_refused_with_401(suite: Suite, why: str, headers_for: object) -> None:
    answer = _direct(suite, "routing", "POST", RETRAIN, headers=headers_for(suite))  # type: ignore[operator]
    assert answer.status_code == 401, why


def test_escalation_refuses_a_ladder_move_without_the_gateway(suite: Suite) -> None:
    answer = _direct(
        suite,
        "escalation",
        "POST",
        "/api/v1/tickets/00000000-0000-0000-0000-000000000000/escalate",
        json={"reason": "tự leo thang"},
        headers={"X-Hotro-Role": "admin"},
    )
    assert answer.status_code == 401


def test_a_valid_assertion_is_accepted_once_and_not_for_another_body(suite: Suite) -> None:
    target = "/api/v1/known-errors"
    headers = _signed(suite, Caller("Điệp", "admin"), "GET", target)
    assert _direct(suite, "escalation", "GET", target, headers=headers).status_code == 200
    again = _direct(suite, "escalation", "GET", target, headers=headers)
    assert again.status_code == 401
    assert "already been used" in again.json()["detail"][0]["msg"]
    moved = "/api/v1/tickets/00000000-0000-0000-0000-000000000000/escalate"
    signed_for_one_body = _signed(suite, ADMIN, "POST", moved, b'{"reason": "a"}')
    other_body = _direct(
        suite, "escalation", "POST", moved, content=b'{"reason": "b"}', headers=signed_for_one_body
    )
    assert other_body.status_code == 401


def test_the_gateway_still_forwards_a_signed_ladder_move(suite: Suite) -> None:
    created = submit(suite, web_ticket("Không đăng nhập được TABMIS, báo lỗi ORA-12541")).json()
    wait_until(lambda: ticket(suite, created["id"]).get("tier") == "L1", 60, "the ticket at L1")
    answer = httpx.post(
        f"{suite.url('intake')}/api/v1/tickets/{created['id']}/escalate",
        json={"reason": "Cần nhóm TABMIS kiểm tra"},
        headers={"Authorization": f"Bearer {suite.admin_token}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    wait_until(lambda: ticket(suite, created["id"]).get("tier") == "L2", 60, "the ticket at L2")
