"""Limits of the running gateway (issue 17): a chunked body over the size limit gets 413, the
failed-token lockout locks an address and never a token, every unauthenticated route has a
per-address budget a made-up token cannot escape, and SMTP senders get a temporary 451."""

from __future__ import annotations

import smtplib
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.mail import message, over_smtp
from tests.support.tickets import web_ticket
from tools.suite import Suite

API = "/api/v1"
UPLOAD_LIMIT = 2 * 1024 * 1024


@pytest.fixture(scope="module")
def suite_env() -> dict[str, str]:
    return {
        "HOTRO_AUTH_MAX_FAILURES": "5",
        "HOTRO_AUTH_LOCKOUT_S": "120",
        "HOTRO_RATE_PUBLIC": "30/10",
        "HOTRO_RATE_SUBSCRIBE": "6/3",
        "HOTRO_RATE_SMTP_SENDER": "6/4",
        "HOTRO_MAX_UPLOAD_BYTES": str(UPLOAD_LIMIT),
        # Every mail path's one limit (25 MiB by default), small here to keep the test quick.
        "HOTRO_MAX_MAIL_BYTES": str(UPLOAD_LIMIT),
    }


def _client(address: str) -> httpx.Client:
    """Requests from another loopback address: the gateway sees a different client."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=30)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _chunks(data: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def _issue(suite: Suite) -> str:
    body = {"name": "Phòng Tin học Hà Nội", "role": "province_it", "province": "HNI"}
    response = httpx.post(
        f"{suite.url('intake')}{API}/tokens", json=body, headers=_bearer(suite.admin_token)
    )
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    return token


def test_a_chunked_body_over_the_size_limit_gets_413_like_one_with_a_length(
    suite: Suite,
) -> None:
    big = b'{"subject": "' + b"a" * (1024 * 1024 + 100) + b'"}'
    headers = {**_bearer(suite.admin_token), "Content-Type": "application/json"}
    url = f"{suite.url('intake')}{API}/tickets"
    with httpx.Client(timeout=30) as client:
        sized = client.post(url, content=big, headers=headers)
        chunked = client.post(url, content=_chunks(big), headers=headers)
        mail = client.post(
            f"{suite.url('intake')}{API}/inbound/email",
            content=_chunks(b"Subject: x\r\n\r\n" + b"b" * (UPLOAD_LIMIT + 1)),
            headers={**_bearer(suite.admin_token), "Content-Type": "message/rfc822"},
        )
        after = client.post(url, json=web_ticket("Sau khi bị từ chối"), headers=headers)
    assert chunked.request.headers["Transfer-Encoding"] == "chunked"
    assert (sized.status_code, chunked.status_code, mail.status_code) == (413, 413, 413)
    for refused in (sized, chunked, mail):
        body = refused.json()
        assert body["error"] == "too_large" and body["detail"][0]["field"] == "body"
    assert after.status_code == 201, after.text


def test_failed_tokens_lock_out_the_address_and_never_the_token(suite: Suite) -> None:
    victim = _issue(suite)
    url = f"{suite.url('intake')}{API}/tickets"
    with _client("127.0.0.11") as attacker:
        guesses = [victim[:8] + "x" * 35] + [uuid.uuid4().hex for _ in range(4)]
        codes = [attacker.get(url, headers=_bearer(g)).status_code for g in guesses]
        locked = attacker.get(url, headers=_bearer("one-more-guess"))
        with_valid = attacker.get(url, headers=_bearer(victim))
    assert codes == [401] * 5
    assert locked.status_code == 429 and locked.json()["error"] == "locked_out"
    assert 100 <= int(locked.headers["Retry-After"]) <= 120
    assert with_valid.status_code == 429  # no oracle: a locked address learns nothing
    with _client("127.0.0.12") as owner:
        assert owner.get(url, headers=_bearer(victim)).status_code == 200
    assert httpx.get(url, headers=_bearer(suite.admin_token)).status_code == 200


def test_unauthenticated_routes_have_a_per_address_budget_a_made_up_token_cannot_escape(
    suite: Suite,
) -> None:
    base = suite.url("intake")
    with _client("127.0.0.13") as client:
        codes = [client.get(f"{base}{API}/openapi.json").status_code for _ in range(12)]
        limited = client.get(f"{base}{API}/openapi.json")
        disguised = client.get(f"{base}{API}/openapi.json", headers=_bearer("made-up"))
        missing = client.get(f"{base}{API}/tickets")  # a route that needs a token
        valid = client.get(f"{base}{API}/tickets", headers=_bearer(suite.admin_token))
    assert codes[:10] == [200] * 10 and 429 in codes
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert limited.json()["error"] == "rate_limited"
    assert (disguised.status_code, missing.status_code) == (429, 429)
    assert valid.status_code == 200  # a valid token is never held back by the public budget
    with _client("127.0.0.14") as other:
        assert other.get(f"{base}{API}/openapi.json").status_code == 200
        assert other.get(f"{base}/healthz").status_code == 200


def test_the_status_subscription_has_its_own_smaller_budget(suite: Suite) -> None:
    url = f"{suite.url('intake')}{API}/status/subscriptions"
    with _client("127.0.0.15") as client:
        codes = [client.post(url, json={"email": "a@kbnn.gov.vn"}).status_code for _ in range(4)]
        public = client.get(f"{suite.url('intake')}{API}/openapi.json")
    assert 429 not in codes[:3] and codes[3] == 429
    assert public.status_code == 200  # the other rule's budget is untouched


def _mail_from(suite: Suite, sender: str, *options: str) -> tuple[int, str]:
    with smtplib.SMTP("127.0.0.1", suite.ports["smtp"], timeout=30) as smtp:
        smtp.ehlo()
        code, reply = smtp.mail(sender, list(options))
    return code, reply.decode()


def test_an_smtp_sender_over_its_rate_gets_a_temporary_failure_and_others_do_not(
    suite: Suite,
) -> None:
    sender = "loop@kbnn.gov.vn"
    replies: list[Any] = []
    for i in range(4):
        raw = message(f"Máy in lỗi {i}", "Máy in không in được.", f"{uuid.uuid4()}@kbnn.gov.vn")
        replies.append(over_smtp(suite, raw, sender=sender))
    assert [code for code, _ in replies] == [250] * 4
    assert all(reply.split()[1] == "ticket" for _, reply in replies)
    code, reply = _mail_from(suite, sender.upper())
    assert code == 451 and reply.startswith("4.7.1")
    assert "vui long gui lai sau" in reply and "Too many messages from this sender" in reply
    code, reply = _mail_from(suite, sender, "SMTPUTF8")  # a client that reads UTF-8 replies
    assert code == 451 and "vui lòng gửi lại sau" in reply
    raw = message("Máy in lỗi", "Máy in không in được.", f"{uuid.uuid4()}@kbnn.gov.vn")
    code, answer = over_smtp(suite, raw, sender="someone.else@kbnn.gov.vn")
    assert code == 250 and answer.split()[1] == "ticket"
