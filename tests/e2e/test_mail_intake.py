"""E-mail intake end to end (SPEC §2): SMTP, HTTP and IMAP channels into the five services.

The corpus of tests/data/mail/ is delivered over a real SMTP conversation and over the HTTP mail
gateway; the IMAP poller reads a real Dovecot server. What the pure decision says each message
is, the running suite must make of it — and acknowledge, thread, bounce and dead-letter it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from imapclient import IMAPClient

from services.intake.domain.mail_decision import ThreadIndex, decide_raw
from tests.support.dovecot import ImapServer, dovecot_server
from tests.support.mail import (
    CORPUS,
    admin,
    corpus,
    message,
    over_http,
    over_smtp,
    sent_about,
    sent_mail,
)
from tests.support.tickets import ticket, wait_until
from tools.suite import Suite

OUR_DOMAIN = "hotro.kbnn.gov.vn"
DONE = "Hotro-Processed"


@pytest.fixture(scope="module")
def imap_server() -> Iterator[ImapServer]:
    with dovecot_server() as server:
        yield server


@pytest.fixture(scope="module")
def suite_env(imap_server: ImapServer) -> dict[str, str]:
    return {"HOTRO_IMAP_URL": imap_server.url, "HOTRO_IMAP_POLL_S": "0.3"}


def _crlf(raw: bytes) -> bytes:
    return re.sub(rb"(?<!\r)\n", b"\r\n", raw)


def _in_view(suite: Suite, number: str) -> dict[str, Any] | None:
    rows = httpx.get(
        f"{suite.url('intake')}/api/v1/tickets", params={"q": number}, headers=admin(suite)
    ).json()["data"]
    return next((r for r in rows if r["number"] == number), None)


def _inbox(suite: Suite, outcome: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{suite.url('intake')}/api/v1/inbound/messages",
        params={"outcome": outcome, "limit": 200},
        headers=admin(suite),
    )
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["data"]
    return rows


def _new_mail_ticket(suite: Suite, subject: str, **sender: str) -> dict[str, Any]:
    raw = message(subject, "Xin hỗ trợ.", f"{uuid.uuid4().hex}@kbnn.gov.vn", **sender)
    result = over_http(suite, raw)
    assert result["outcome"] == "ticket", result
    wait_until(lambda: _in_view(suite, result["number"]), 30, "the ticket in the view")
    return result


def _ack_of(suite: Suite, number: str) -> Any:
    return wait_until(
        lambda: next(
            (m for m in sent_about(suite, number) if "tiếp nhận" in str(m["Subject"])), None
        ),
        30,
        f"the acknowledgement of {number}",
    )


def test_the_corpus_over_smtp_and_http_ends_as_the_decision_says(suite: Suite) -> None:
    index = ThreadIndex(our_domain=OUR_DOMAIN, our_addresses={"hotrocntt@kbnn.gov.vn"})
    results: dict[str, tuple[str, str | None]] = {}
    for i, path in enumerate(sorted(CORPUS.glob("*.eml"))):
        raw = path.read_bytes()
        expected = decide_raw(raw, index).outcome
        if i % 2:
            code, reply = over_smtp(suite, _crlf(raw))
            assert code == 250, reply
            # "2.0.0 <outcome> <number or mail id>"
            _, outcome, ref = reply.split(" ", 2)
            number = ref if ref.startswith("YC-") else None
        else:
            result = over_http(suite, raw)
            outcome, number = result["outcome"], result.get("number")
        assert outcome == expected, (path.name, outcome, expected)
        results[path.name] = (outcome, number)

    assert {o for o, _ in results.values()} == {"ticket", "ignored", "dead_letter"}
    tickets = {name: n for name, (o, n) in results.items() if o == "ticket"}
    assert all(tickets.values())
    for number in tickets.values():
        wait_until(lambda n=number: _in_view(suite, n), 30, f"{number} in the view")  # type: ignore[misc]
    # Only tickets are acknowledged, each once, threaded to the request, in Vietnamese.
    acks = wait_until(
        lambda: (
            (found := [m for m in sent_mail(suite) if "tiếp nhận" in str(m["Subject"])])
            and len(found) >= len(tickets)
            and found
        ),
        30,
        "the acknowledgements",
    )
    assert sorted(str(m["Subject"]).split("]")[0] + "]" for m in acks) == sorted(
        f"[{n}]" for n in tickets.values()
    )
    for ack in acks:
        assert ack["Auto-Submitted"] and ack["In-Reply-To"]
        assert re.fullmatch(
            rf"<ack\.YC-\d{{4}}-\d{{6}}\.\d+@{re.escape(OUR_DOMAIN)}>", ack["Message-ID"]
        )
    # Text arrives decoded, NFC, sanitised; attachments are stored and served back.
    cp1258 = ticket(suite, tickets["cp1258_combining.eml"])
    assert cp1258["subject"] == "Lỗi lệnh chuyển Có trên TTSP"
    html = ticket(suite, tickets["html_only_with_script.eml"])
    assert "<script" not in html["description"] and html["description"].strip()
    mixed = wait_until(
        lambda: (v := ticket(suite, tickets["mixed_pdf_png.eml"]))["attachments"] and v,
        30,
        "attachments in the view",
    )
    pdf = next(a for a in mixed["attachments"] if a["filename"] == "bien-ban.pdf")
    download = httpx.get(
        f"{suite.url('intake')}/api/v1/tickets/{mixed['id']}/attachments/{pdf['attachment_id']}",
        headers=admin(suite),
    )
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    assert download.headers["content-disposition"].startswith("attachment")
    quoted = ticket(suite, tickets["quoted_history_signature.eml"])
    assert "Vào Th 2" not in quoted["description"] and "Trân trọng" not in quoted["description"]
    kept = [h for h in quoted["history"] if h["type"] == "hotro.ticket.email_received.v1"]
    assert "Vào Th 2" in kept[0]["data"]["text"]
    # A Message-ID seen before is not taken in again, whatever the channel.
    again = over_http(suite, corpus("utf8_qp_vietnamese.eml"))
    assert again["outcome"] == "ignored" and "already taken in" in again["reason"]


def test_replies_thread_to_their_ticket_and_wake_it(suite: Suite) -> None:
    first = _new_mail_ticket(suite, "Không kết xuất được báo cáo TABMIS")
    other = _new_mail_ticket(suite, "Máy in không in được chứng từ")
    ack = _ack_of(suite, first["number"])
    waiting = httpx.post(
        f"{suite.url('intake')}/api/v1/tickets/{first['ticket_id']}/wait",
        json={"reason": "Đề nghị gửi ảnh chụp màn hình"},
        headers=admin(suite),
    )
    assert waiting.status_code == 200 and waiting.json()["status"] == "waiting_requester"

    # In-Reply-To names our acknowledgement; the subject tag points at the other ticket.
    reply = message(
        f"Re: [{other['number']}] ảnh chụp",
        "Em gửi ảnh chụp ạ.\r\n\r\n> Đề nghị gửi ảnh",
        f"{uuid.uuid4().hex}@kbnn.gov.vn",
        In_Reply_To=ack["Message-ID"],
    )
    code, answer = over_smtp(suite, reply)
    assert code == 250 and answer.split()[1] == "comment", answer
    assert first["number"] in answer
    view = wait_until(
        lambda: (v := ticket(suite, first["ticket_id"]))["status"] == "in_progress" and v,
        30,
        "the reply to wake the ticket",
    )
    comments = [h["data"] for h in view["history"] if h["type"] == "hotro.ticket.commented.v1"]
    assert (
        comments[-1]["body"] == "Em gửi ảnh chụp ạ." and comments[-1]["author_role"] == "requester"
    )
    assert over_smtp(suite, reply)[1].split()[1] == "ignored"  # the same Message-ID again

    # A reply by subject tag alone threads too, and is never acknowledged.
    tagged = over_http(
        suite,
        message(
            f"Re: [{other['number']}] bổ sung", "Máy HP 1020.", f"{uuid.uuid4().hex}@kbnn.gov.vn"
        ),
    )
    assert (tagged["outcome"], tagged["number"]) == ("comment", other["number"])
    assert (
        len([m for m in sent_about(suite, other["number"]) if "tiếp nhận" in str(m["Subject"])])
        == 1
    )


def test_loops_never_create_tickets_and_a_bounce_marks_the_address(suite: Suite) -> None:
    # An address of its own: a bounce stops mail to the address for the whole directory.
    address = "hoa.bounce@kbnn.gov.vn"
    created = _new_mail_ticket(suite, "Không gửi được thư điện tử", sender=f"Hoa <{address}>")
    ack = _ack_of(suite, created["number"])
    bounce = (
        corpus("bounce_delivery_status.eml")
        .replace(b"<ack.YC-2026-000123.1@hotro.kbnn.example.vn>", str(ack["Message-ID"]).encode())
        .replace(b"NVHung@kbnn-hanoi.example.vn", address.encode())
        .replace(b".DSN1@", b".DSN9@")
    )
    result = over_http(suite, bounce)
    assert (result["outcome"], result["number"]) == ("ignored", created["number"])
    view = wait_until(
        lambda: (v := ticket(suite, created["ticket_id"]))["undeliverable"] and v,
        30,
        "the undeliverable mark",
    )
    assert view["undeliverable"] == [address]
    for name in ("auto_reply_auto_submitted.eml", "out_of_office_subject.eml", "mailing_list.eml"):
        looped = corpus(name).replace(b"Message-ID: <", b"Message-ID: <again.")
        assert over_http(suite, looped)["outcome"] == "ignored", name
    # The desk's public answer is not mailed to an address known to bounce.
    before = len(sent_about(suite, created["number"]))
    httpx.post(
        f"{suite.url('intake')}/api/v1/tickets/{created['ticket_id']}/comments",
        json={"body": "Đã kiểm tra hộp thư.", "visibility": "public"},
        headers=admin(suite),
    ).raise_for_status()
    wait_until(
        lambda: any(
            h["type"] == "hotro.ticket.commented.v1"
            for h in ticket(suite, created["ticket_id"])["history"]
        ),
        30,
        "the comment",
    )
    assert len(sent_about(suite, created["number"])) == before


def test_a_dead_letter_is_kept_whole_inspectable_and_replayable(suite: Suite) -> None:
    garbage = corpus("malformed_garbage.eml") + uuid.uuid4().hex.encode()
    result = over_http(suite, garbage)
    assert result["outcome"] == "dead_letter" and result["reason"]
    row = wait_until(
        lambda: next(
            (r for r in _inbox(suite, "dead_letter") if r["mail_id"] == result["mail_id"]), None
        ),
        30,
        "the dead letter in the admin's list",
    )
    assert row["reason"] == result["reason"]
    base = f"{suite.url('intake')}/api/v1/inbound/messages/{result['mail_id']}"
    raw = httpx.get(f"{base}/raw", headers=admin(suite))
    assert raw.status_code == 200 and raw.content == garbage
    replayed = httpx.post(f"{base}/replay", headers=admin(suite))
    assert replayed.status_code == 200 and replayed.json()["outcome"] == "dead_letter"
    wait_until(
        lambda: (
            next(r for r in _inbox(suite, "dead_letter") if r["mail_id"] == result["mail_id"])[
                "replays"
            ]
            == 1
        ),
        30,
        "the replay counted",
    )
    ticket_mail = _new_mail_ticket(suite, "Lỗi đăng nhập DVC")
    refused = httpx.post(
        f"{suite.url('intake')}/api/v1/inbound/messages/{ticket_mail['mail_id']}/replay",
        headers=admin(suite),
    )
    assert refused.status_code == 409


def _imap(server: ImapServer) -> IMAPClient:
    client = IMAPClient(server.host, port=server.port, ssl=False)
    client.login(server.user, server.password)
    return client


def _count(server: ImapServer, folder: str) -> int:
    client = _imap(server)
    try:
        if not client.folder_exists(folder):
            return 0
        return int(client.select_folder(folder, readonly=True)[b"EXISTS"])
    finally:
        client.logout()


def test_the_imap_poller_takes_in_every_message_once_even_across_a_crash(
    suite: Suite, imap_server: ImapServer
) -> None:
    tag = uuid.uuid4().hex[:8]
    raws = [
        message(
            f"Lỗi TTSP qua IMAP {tag} {i}", "Không gửi được lệnh.", f"imap-{tag}-{i}@kbnn.gov.vn"
        )
        for i in range(12)
    ]
    stored = over_http(suite, raws[0])  # taken in before (a crash after storing, before moving)
    client = _imap(imap_server)
    for raw in raws:
        client.append("INBOX", raw)
    client.append("INBOX", corpus("malformed_garbage.eml") + tag.encode())
    client.logout()
    wait_until(lambda: _count(imap_server, "INBOX") < 13, 30, "the poller to start")
    suite.kill("intake")  # mid-poll: what was not yet moved stays in the inbox
    suite.start("intake")
    suite.wait_ready(timeout_s=60, services=("intake",))
    wait_until(lambda: _count(imap_server, "INBOX") == 0, 60, "the inbox to be emptied")
    assert _count(imap_server, DONE) >= 13

    def tickets_of_tag() -> list[dict[str, Any]]:
        return httpx.get(
            f"{suite.url('intake')}/api/v1/tickets",
            params={"q": f"IMAP {tag}", "limit": 50},
            headers=admin(suite),
        ).json()["data"]

    found = wait_until(lambda: len(tickets_of_tag()) >= 12 and tickets_of_tag(), 30, "12 tickets")
    assert len(found) == 12  # each message exactly once, the pre-stored one included
    assert stored["number"] in {t["number"] for t in found}
    assert {t["channel"] for t in found} == {"email"}
    assert any(r["channel"] == "imap" for r in _inbox(suite, "dead_letter"))


def _comments(suite: Suite, ticket_id: str) -> list[dict[str, Any]]:
    history = ticket(suite, ticket_id)["history"]
    return [h["data"] for h in history if h["type"] == "hotro.ticket.commented.v1"]


def test_a_reply_from_a_stranger_is_held_until_an_operator_releases_it(suite: Suite) -> None:
    """Issue 17: a guessed ticket number lets nobody write on the ticket."""
    tag = uuid.uuid4().hex[:8]
    cc = f"truong.phong.{tag}@kbnn.gov.vn"
    opened = over_http(
        suite, message(f"Lỗi TTSP {tag}", "Xin hỗ trợ.", f"open-{tag}@kbnn.gov.vn", Cc=cc)
    )
    number, ticket_id = opened["number"], opened["ticket_id"]
    wait_until(lambda: _in_view(suite, number), 30, "the ticket in the view")

    def reply(sender: str, n: int) -> dict[str, Any]:
        raw = message(f"Re: [{number}] bổ sung {n}", f"Nội dung {n}.", f"r{n}-{tag}@x", sender)
        return over_http(suite, raw)

    stranger = f"ke.la.{tag}@example.com"
    held = reply(stranger, 1)
    assert (held["outcome"], held["ticket_id"], held["number"]) == ("held", ticket_id, number)
    assert held["reason"].startswith("unknown_sender")
    listed = wait_until(
        lambda: next((r for r in _inbox(suite, "held") if r["mail_id"] == held["mail_id"]), None),
        30,
        "the held message in the operators' list",
    )
    assert listed["sender"] == stranger and listed["ticket_id"] == ticket_id
    assert reply("Lan <lan@kbnn.gov.vn>", 2)["outcome"] == "comment"  # the requester
    assert reply(cc, 3)["outcome"] == "comment"  # copied on the request
    bodies = wait_until(
        lambda: len(found := [c["body"] for c in _comments(suite, ticket_id)]) >= 2 and found,
        30,
        "the two comments",
    )
    assert bodies == ["Nội dung 2.", "Nội dung 3."]  # nothing of the stranger's

    base = f"{suite.url('intake')}/api/v1/inbound/messages"
    accepted = httpx.post(f"{base}/{held['mail_id']}/accept", headers=admin(suite))
    assert accepted.status_code == 200, accepted.text
    assert (accepted.json()["outcome"], accepted.json()["number"]) == ("comment", number)
    again = httpx.post(f"{base}/{held['mail_id']}/accept", headers=admin(suite))
    assert again.status_code == 409 and again.json()["error"] == "not_held"
    wait_until(
        lambda: "Nội dung 1." in [c["body"] for c in _comments(suite, ticket_id)],
        30,
        "the released comment",
    )
    assert reply(stranger, 4)["outcome"] == "comment"  # now part of the conversation

    other = reply(f"nguoi.khac.{tag}@example.com", 5)
    assert other["outcome"] == "held"
    opened_anew = httpx.post(f"{base}/{other['mail_id']}/as-ticket", headers=admin(suite))
    assert opened_anew.status_code == 200, opened_anew.text
    fresh = opened_anew.json()
    assert fresh["outcome"] == "ticket" and fresh["number"] not in (None, number)
    assert httpx.post(f"{base}/{other['mail_id']}/accept").status_code == 401


def test_a_late_delivery_outside_any_sane_time_is_refused_naming_the_field(suite: Suite) -> None:
    raw = message("Lỗi cũ", "Thư gửi chậm.", f"late-{uuid.uuid4().hex}@kbnn.gov.vn")
    url = f"{suite.url('intake')}/api/v1/inbound/email"
    headers = {**admin(suite), "Content-Type": "message/rfc822"}
    for when in ("9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"):
        refused = httpx.post(url, content=raw, params={"received_at": when}, headers=headers)
        assert refused.status_code == 422, (when, refused.text)
        assert refused.json()["detail"][0]["field"] == "received_at"
    late = over_http(suite, raw, received_at="2019-03-01T08:00:00+07:00")
    assert late["outcome"] == "ticket" and late["number"].startswith("YC-2019-")
