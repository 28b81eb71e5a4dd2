"""The gateway's assertion: bound to one request, short-lived, used once, unforgeable."""

from __future__ import annotations

import time

import pytest

from libs.platform.caller import (
    Caller,
    ReplayGuard,
    UnauthenticatedCall,
    new_internal_key,
    sign_call,
    verify_call,
)

KEY = new_internal_key().encode()
ALICE = Caller("Nguyễn Thị Lan", "province_it", "HNI", None)
TARGET = "/api/v1/tickets/abc/escalate?x=1"
BODY = b'{"reason": "c\xc3\xa1ch kh\xc3\xa1c"}'


def _verify(token: str, **changes: object) -> Caller:
    request = {"method": "POST", "target": TARGET, "body": BODY, "key": KEY}
    request.update(changes)
    return verify_call(
        token,
        str(request["method"]),
        str(request["target"]),
        request["body"],  # type: ignore[arg-type]
        request["key"],  # type: ignore[arg-type]
        ReplayGuard(),
        now=changes.get("now"),  # type: ignore[arg-type]
    )


def test_the_signed_caller_comes_back_with_its_vietnamese_name_role_and_province() -> None:
    token = sign_call(ALICE, "POST", TARGET, BODY, KEY)
    assert _verify(token) == ALICE


def test_a_request_without_an_assertion_is_refused() -> None:
    with pytest.raises(UnauthenticatedCall, match="missing"):
        _verify("")


def test_an_assertion_signed_with_another_key_is_refused() -> None:
    token = sign_call(ALICE, "POST", TARGET, BODY, new_internal_key().encode())
    with pytest.raises(UnauthenticatedCall, match="invalid"):
        _verify(token)


def test_an_assertion_cannot_be_replayed_for_another_path_query_or_method() -> None:
    token = sign_call(ALICE, "POST", TARGET, BODY, KEY)
    for changed in (
        {"target": "/api/v1/routing/model/retrain"},
        {"target": "/api/v1/tickets/abc/escalate?x=2"},
        {"method": "DELETE"},
    ):
        with pytest.raises(UnauthenticatedCall, match="another request"):
            _verify(token, **changed)


def test_an_assertion_cannot_carry_another_body() -> None:
    token = sign_call(ALICE, "POST", TARGET, BODY, KEY)
    with pytest.raises(UnauthenticatedCall, match="another body"):
        _verify(token, body=b'{"reason": "x"}')


def test_an_expired_assertion_is_refused() -> None:
    token = sign_call(ALICE, "POST", TARGET, BODY, KEY, now=time.time() - 120)
    with pytest.raises(UnauthenticatedCall, match="expired"):
        _verify(token)


def test_an_assertion_is_accepted_once() -> None:
    token = sign_call(ALICE, "POST", TARGET, BODY, KEY)
    guard = ReplayGuard()
    verify_call(token, "POST", TARGET, BODY, KEY, guard)
    with pytest.raises(UnauthenticatedCall, match="already been used"):
        verify_call(token, "POST", TARGET, BODY, KEY, guard)


def test_a_tampered_role_breaks_the_signature() -> None:
    token = sign_call(ALICE, "POST", TARGET, BODY, KEY)
    header, payload, signature = token.split(".")
    import base64
    import json

    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(UnauthenticatedCall, match="invalid"):
        _verify(f"{header}.{forged}.{signature}")
