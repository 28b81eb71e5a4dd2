"""Dead letters and the one size limit of every mail path (issue 13), end to end.

A dead letter is dismissed with a reason (admins only) or corrected and replayed through the
usual path (idempotent); a message over `HOTRO_MAX_MAIL_BYTES` is refused alike by the HTTP
mail gateway (413), SMTP (552) and — since IMAP cannot refuse — kept as a dead letter of its
headers. The limit is small here so the test moves little data; the default is 25 MiB.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from imapclient import IMAPClient

from services.intake.adapters.tokens import Principal
from tests.support.dovecot import ImapServer, dovecot_server
from tests.support.mail import admin, corpus, message, over_http, over_smtp
from tests.support.tickets import wait_until
from tests.support.tokens import issue_token
from tools.suite import Suite

API = "/api/v1"
LIMIT = 1_500_000


@pytest.fixture(scope="module")
def imap_server() -> Iterator[ImapServer]:
    with dovecot_server() as server:
        yield server


@pytest.fixture(scope="module")
def suite_env(imap_server: ImapServer) -> dict[str, str]:
    return {
        "HOTRO_IMAP_URL": imap_server.url,
        "HOTRO_IMAP_POLL_S": "0.3",
        "HOTRO_MAX_MAIL_BYTES": str(LIMIT),
    }


def _url(suite: Suite, path: str) -> str:
    return f"{suite.url('intake')}{API}{path}"


def _inbox(suite: Suite, outcome: str) -> list[dict[str, Any]]:
    response = httpx.get(
        _url(suite, "/inbound/messages"),
        params={"outcome": outcome, "limit": 200},
        headers=admin(suite),
    )
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["data"]
    return rows


def _listed(suite: Suite, outcome: str, mail_id: str) -> dict[str, Any] | None:
    return next((r for r in _inbox(suite, outcome) if r["mail_id"] == mail_id), None)


def _dead_letter(suite: Suite) -> dict[str, Any]:
    result = over_http(suite, corpus("malformed_garbage.eml") + uuid.uuid4().hex.encode())
    assert result["outcome"] == "dead_letter", result
    wait_until(lambda: _listed(suite, "dead_letter", result["mail_id"]), 30, "the dead letter")
    return result


def test_a_dead_letter_is_dismissed_with_a_reason_by_an_admin_only(suite: Suite) -> None:
    dead = _dead_letter(suite)
    path = _url(suite, f"/inbound/messages/{dead['mail_id']}/dismiss")
    agent = issue_token(suite, Principal("Nhóm TABMIS", "group_agent", group="TABMIS"))
    denied = httpx.post(
        path, json={"reason": "thư rác"}, headers={"Authorization": f"Bearer {agent}"}
    )
    assert denied.status_code == 403
    unexplained = httpx.post(path, json={}, headers=admin(suite))
    assert unexplained.status_code == 422 and unexplained.json()["detail"][0]["field"] == "reason"

    dismissed = httpx.post(path, json={"reason": "thư rác từ máy quét"}, headers=admin(suite))
    assert dismissed.status_code == 200, dismissed.text
    assert dismissed.json()["outcome"] == "dismissed"
    assert "thư rác từ máy quét" in dismissed.json()["reason"]
    row = wait_until(lambda: _listed(suite, "dismissed", dead["mail_id"]), 30, "dismissed")
    assert "thư rác từ máy quét" in row["reason"]
    assert _listed(suite, "dead_letter", dead["mail_id"]) is None
    # Again: nothing changes; a dismissed message is no longer replayable.
    again = httpx.post(path, json={"reason": "lần nữa"}, headers=admin(suite))
    assert again.status_code == 200 and again.json()["reason"] == dismissed.json()["reason"]
    replay = httpx.post(
        _url(suite, f"/inbound/messages/{dead['mail_id']}/replay"), headers=admin(suite)
    )
    assert replay.status_code == 409

    taken = over_http(
        suite, message("Hỏi về DVC", "Xin hỗ trợ.", f"{uuid.uuid4().hex}@kbnn.gov.vn")
    )
    refused = httpx.post(
        _url(suite, f"/inbound/messages/{taken['mail_id']}/dismiss"),
        json={"reason": "nhầm"},
        headers=admin(suite),
    )
    assert refused.status_code == 409 and refused.json()["error"] == "not_dismissable"


def test_a_corrected_dead_letter_is_taken_in_through_the_usual_path_once(suite: Suite) -> None:
    dead = _dead_letter(suite)
    tag = uuid.uuid4().hex[:8]
    fixed = message(f"Lỗi TTSP {tag}", "Không gửi được lệnh.", f"fixed-{tag}@kbnn.gov.vn")
    path = _url(suite, f"/inbound/messages/{dead['mail_id']}/correct")
    headers = {**admin(suite), "Content-Type": "message/rfc822"}
    first = httpx.post(path, content=fixed, headers=headers, timeout=30)
    assert first.status_code == 200, first.text
    assert first.json()["outcome"] == "ticket" and first.json()["number"]
    retried = httpx.post(path, content=fixed, headers=headers, timeout=30)
    assert retried.status_code == 200, retried.text
    assert retried.json()["number"] == first.json()["number"]

    def tickets() -> list[dict[str, Any]]:
        return httpx.get(
            _url(suite, "/tickets"), params={"q": f"TTSP {tag}"}, headers=admin(suite)
        ).json()["data"]

    found = wait_until(tickets, 30, "the ticket of the corrected message")
    assert [t["number"] for t in found] == [first.json()["number"]]
    raw = httpx.get(_url(suite, f"/inbound/messages/{dead['mail_id']}/raw"), headers=admin(suite))
    assert raw.content == fixed
    row = wait_until(lambda: _listed(suite, "ticket", dead["mail_id"]), 30, "the inbox row")
    assert row["ticket_id"] == first.json()["ticket_id"]
    # Another correction of a message that is no longer a dead letter is refused.
    other = message("Khác", "Khác.", f"other-{tag}@kbnn.gov.vn")
    assert httpx.post(path, content=other, headers=headers, timeout=30).status_code == 409


def _big(tag: str, size: int) -> bytes:
    head = message(f"Thư lớn {tag}", "Xin hỗ trợ, kèm dữ liệu.", f"big-{tag}-{size}@kbnn.gov.vn")
    line = b"x" * 76 + b"\r\n"
    return head + line * (size // len(line))


def test_one_size_limit_holds_on_http_smtp_and_imap(suite: Suite, imap_server: ImapServer) -> None:
    tag = uuid.uuid4().hex[:8]
    # Over 1 MiB (the old HTTP limit for anything not message/rfc822) and under the limit.
    fits = _big(tag, 1_200_000)
    taken = httpx.post(
        _url(suite, "/inbound/email"),
        content=fits,
        headers={**admin(suite), "Content-Type": "application/octet-stream"},
        timeout=60,
    )
    assert taken.status_code == 202, taken.text
    assert taken.json()["outcome"] == "ticket"

    too_big = _big(tag, LIMIT + 200_000)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(too_big), 64 * 1024):
            yield too_big[start : start + 64 * 1024]

    for content in (too_big, chunks()):  # with Content-Length, and streamed without
        refused = httpx.post(
            _url(suite, "/inbound/email"),
            content=content,
            headers={**admin(suite), "Content-Type": "message/rfc822"},
            timeout=60,
        )
        assert refused.status_code == 413, refused.text
        assert refused.json()["detail"][0]["field"] == "body"

    code, _ = over_smtp(suite, _big(f"{tag}-smtp", 1_200_000))
    assert code == 250
    code, reply = over_smtp(suite, _big(f"{tag}-smtp-big", LIMIT + 200_000))
    assert code == 552, reply

    client = IMAPClient(imap_server.host, port=imap_server.port, ssl=False)
    client.login(imap_server.user, imap_server.password)
    client.append("INBOX", _big(f"{tag}-imap", LIMIT + 200_000))
    client.logout()
    row = wait_until(
        lambda: next(
            (r for r in _inbox(suite, "dead_letter")
             if r["channel"] == "imap" and "too large" in r["reason"]),
            None,
        ),
        60,
        "the oversized IMAP message as a dead letter",
    )  # fmt: skip
    assert row["size"] > LIMIT and f"big-{tag}-imap" in (row["message_id"] or "")
    headers_only = httpx.get(
        _url(suite, f"/inbound/messages/{row['mail_id']}/raw"), headers=admin(suite)
    )
    assert headers_only.status_code == 200 and len(headers_only.content) < 10_000
    assert f"Thư lớn {tag}-imap".encode() in headers_only.content
