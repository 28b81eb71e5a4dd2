"""The mails a requester expects (issue 13), through the five running services and the real
outbox: an acknowledgement for every channel with an address, exactly once per ticket; the
question of `/wait`; `start` as the first response; a bounce that stops mail to the address
on every ticket, which the API says.
"""

from __future__ import annotations

import re
import uuid
from email.message import Message
from typing import Any

import httpx

from tests.support.mail import admin, corpus, over_http, sent_about
from tests.support.tickets import submit, ticket, wait_until, web_ticket
from tools.suite import Suite

API = "/api/v1"
VIETNAMESE_TIME = re.compile(r"\d{2}:\d{2} ngày \d{2}/\d{2}/\d{4}")
ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _post(suite: Suite, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.post(
        f"{suite.url('intake')}{API}{path}", headers=admin(suite), timeout=30, **kwargs
    )


def _address(tag: str) -> str:
    return f"mai.{tag}@kbnn.gov.vn"


def _web(suite: Suite, address: str, subject: str, **headers: str) -> dict[str, Any]:
    body = web_ticket(subject)
    body["requester"] = {**body["requester"], "name": "Đỗ Thị Mai", "email": address}
    response = submit(suite, body, **headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _acks(suite: Suite, number: str) -> list[Message]:
    return [m for m in sent_about(suite, number) if "Đã tiếp nhận" in str(m["Subject"])]


def _ack(suite: Suite, number: str) -> Message:
    found: list[Message] = wait_until(lambda: _acks(suite, number), 60, f"the ack of {number}")
    return found[0]


def _text(message: Message) -> str:
    return str(message.get_content())  # type: ignore[attr-defined]


def test_every_channel_with_an_address_is_acknowledged_once_with_its_number(
    suite: Suite,
) -> None:
    tag = uuid.uuid4().hex[:8]
    key = f"ack-{tag}"
    web = _web(suite, _address(tag), f"Không in được chứng từ {tag}", **{"Idempotency-Key": key})
    again = _web(suite, _address(tag), f"Không in được chứng từ {tag}", **{"Idempotency-Key": key})
    assert again["id"] == web["id"]
    call = _post(
        suite,
        "/phone-calls",
        json={
            "caller": {"name": "Vũ Văn Hải", "email": f"hai.{tag}@kbnn.gov.vn",
                       "unit_code": "KBNN-HNI"},
            "callback_number": "024 3826 1234",
            "subject": f"Quên mật khẩu TABMIS {tag}",
            "notes": "Gọi lúc 8h.",
        },
    )  # fmt: skip
    assert call.status_code == 201, call.text
    phone = call.json()

    for created, to, said in ((web, _address(tag), "cổng hỗ trợ"),
                              (phone, f"hai.{tag}@kbnn.gov.vn", "điện thoại")):  # fmt: skip
        ack = _ack(suite, created["number"])
        text = _text(ack)
        assert str(ack["To"]) == to and ack["Auto-Submitted"]
        assert f"mã số {created['number']}" in text and said in text
        assert VIETNAMESE_TIME.search(text) and not ISO.search(text), text
        assert text.startswith("Kính gửi anh/chị") and "Trân trọng," in text

    # A restarted intake re-reads nothing it has mailed: still one acknowledgement each.
    suite.stop("intake")
    suite.start("intake")
    suite.wait_ready(timeout_s=90, services=("intake",))
    later = _web(suite, _address(tag), f"Màn hình xanh {tag}")
    _ack(suite, later["number"])
    assert len(_acks(suite, web["number"])) == 1
    assert len(_acks(suite, phone["number"])) == 1


def _sla(suite: Suite, ticket_id: str) -> dict[str, Any]:
    return dict(ticket(suite, ticket_id).get("sla") or {})


def test_waiting_asks_the_requester_and_start_is_the_first_response(suite: Suite) -> None:
    tag = uuid.uuid4().hex[:8]
    created = _web(suite, _address(tag), f"Không đăng nhập được TABMIS {tag}")
    wait_until(lambda: _sla(suite, created["id"]).get("resolution_due"), 60, "the SLA clock")
    assert _sla(suite, created["id"])["responded"] is False

    started = _post(suite, f"/tickets/{created['number']}/start")
    assert started.status_code == 200, started.text
    responded = wait_until(
        lambda: (s := _sla(suite, created["id"])).get("responded") and s, 30, "the first response"
    )
    assert responded["responded_at"]

    question = f"Anh/chị gửi giúp ảnh chụp màn hình lỗi {tag}?"
    waiting = _post(suite, f"/tickets/{created['number']}/wait", json={"reason": question})
    assert waiting.status_code == 200, waiting.text
    paused = wait_until(lambda: (s := _sla(suite, created["id"]))["paused"] and s, 30, "paused")
    # While paused the due time is kept, with the time left; the response is already met.
    assert paused["resolution_due"] and paused["resolution_left_s"] > 0
    assert paused["response_left_s"] is None and paused["responded_at"]

    asked = wait_until(
        lambda: [m for m in sent_about(suite, created["number"]) if question in _text(m)],
        60,
        "the question mailed to the requester",
    )
    text = _text(asked[0])
    assert str(asked[0]["To"]) == _address(tag) and "bổ sung thông tin" in text
    assert VIETNAMESE_TIME.search(text) and not ISO.search(text)


def _bounce_of(ack: Message, address: str) -> bytes:
    return (
        corpus("bounce_delivery_status.eml")
        .replace(b"<ack.YC-2026-000123.1@hotro.kbnn.example.vn>", str(ack["Message-ID"]).encode())
        .replace(b"NVHung@kbnn-hanoi.example.vn", address.encode())
        .replace(b".DSN1@", f".DSN-{uuid.uuid4().hex[:8]}@".encode())
    )


def _replies(suite: Suite, number: str, marker: str) -> list[Message]:
    return [m for m in sent_about(suite, number) if marker in _text(m)]


def test_a_bounce_stops_mail_to_the_address_on_every_ticket_and_the_api_says_so(
    suite: Suite,
) -> None:
    tag = uuid.uuid4().hex[:8]
    address = _address(tag)
    first = _web(suite, address, f"Lỗi kết nối TTSP {tag}")
    second = _web(suite, address, f"Không xem được báo cáo {tag}")
    _ack(suite, second["number"])
    bounced = over_http(suite, _bounce_of(_ack(suite, first["number"]), address))
    assert (bounced["outcome"], bounced["number"]) == ("ignored", first["number"])

    standing = httpx.get(
        f"{suite.url('intake')}{API}/inbound/addresses/{address.upper()}", headers=admin(suite)
    )
    assert standing.status_code == 200, standing.text
    assert standing.json()["undeliverable"] is True
    assert standing.json()["ticket_id"] == first["id"]

    # The second ticket never bounced: its requester's address did, so nothing is mailed.
    refused_marker = f"trả lời {tag} một"
    refused = _post(
        suite,
        f"/tickets/{second['number']}/comments",
        json={"body": refused_marker, "visibility": "public"},
    )
    assert refused.status_code == 201, refused.text
    assert refused.json()["mailed"] is False
    assert address in refused.json()["mail_refused"]
    note = _post(
        suite,
        f"/tickets/{second['number']}/comments",
        json={"body": "ghi chú nội bộ", "visibility": "internal"},
    )
    assert note.json()["mailed"] is None

    cleared = _post(
        suite, f"/inbound/addresses/{address}/deliverable", json={"reason": "hộp thư đã sửa"}
    )
    assert cleared.status_code == 200 and cleared.json()["undeliverable"] is False
    sent_marker = f"trả lời {tag} hai"
    sent = _post(
        suite,
        f"/tickets/{second['number']}/comments",
        json={"body": sent_marker, "visibility": "public"},
    )
    assert sent.json()["mailed"] is True and sent.json()["mail_refused"] is None
    # One ticket's events are mailed in order: once the second reply is out, the first was
    # decided, and it stays unmailed (as its answer said) though the address works again.
    wait_until(lambda: _replies(suite, second["number"], sent_marker), 60, "the second reply")
    assert _replies(suite, second["number"], refused_marker) == []
