"""Message-IDs whose bytes are not UTF-8 (issue 17: 30 of 2,000 mutated messages got a 500).

The stored id of a message is a uuid5 of its Message-ID; a Message-ID holding raw 8-bit bytes
reached it as surrogate escapes and uuid5 could not encode them. Ids are now read from their
bytes: the same bytes always give the same clean text, so both copies of a message get one id
and a reply naming it threads.
"""

from __future__ import annotations

import time

from libs.platform.eventstore import derived_id
from services.intake.domain.inbound_mail import mail_key
from services.intake.domain.mail import normalize_message_id, parse_mail
from services.intake.domain.mail.message_ids import MAX_MESSAGE_ID, message_ids
from services.intake.domain.mail_decision import ThreadIndex, decide


def _mail(message_id: bytes, *extra: bytes) -> bytes:
    head = [
        b"From: Lan <lan@kbnn.gov.vn>",
        "Subject: Lỗi".encode(),
        b"Message-ID: " + message_id,
        *extra,
    ]
    return b"\r\n".join([*head, b"", b"Xin h\xe1\xbb\x97 tr\xe1\xbb\xa3", b""])


def _stored_id(raw: bytes) -> str:
    parsed = parse_mail(raw)
    return str(derived_id("mail", mail_key(parsed.message_id, "sha")))


def test_a_message_id_with_bytes_that_are_not_utf8_gets_a_stable_storable_id() -> None:
    raw = _mail(b"<ab\xff\xfe.1@kbnn\xe9.example>")
    parsed = parse_mail(raw)
    assert parsed.message_id == "ab\\xff\\xfe.1@kbnn\\xe9.example"
    assert _stored_id(raw) == _stored_id(raw + b"another copy, other bytes\r\n")
    assert _stored_id(raw) != _stored_id(_mail(b"<ab\xff\xfd.1@kbnn\xe9.example>"))


def test_a_utf8_message_id_stays_as_written() -> None:
    assert parse_mail(_mail("<tiếng.việt@kbnn.vn>".encode())).message_id == "tiếng.việt@kbnn.vn"


def test_a_reply_naming_such_an_id_finds_its_ticket() -> None:
    original = parse_mail(_mail(b"<x\xc3@y\x80.example>"))
    assert original.message_id is not None
    reply = parse_mail(
        _mail(
            b"<reply@kbnn.gov.vn>",
            b"In-Reply-To: <x\xc3@y\x80.example>",
            b"References: <x\xc3@y\x80.example>",
        )
    )
    assert reply.in_reply_to == original.message_id == reply.references[0]
    index = ThreadIndex(
        message_ids={original.message_id: "YC-2026-000001"}, ticket_numbers={"YC-2026-000001"}
    )
    assert decide(reply, index).ticket_number == "YC-2026-000001"


def test_even_a_surrogate_that_is_no_escaped_byte_cannot_break_the_stored_id() -> None:
    assert normalize_message_id("a\ud800b@c").encode("utf-8")
    assert derived_id("mail", mail_key("a\udcffb@c", "sha"))  # the key hashes the bytes


def test_a_huge_message_id_is_cut_to_a_storable_length_and_found_in_linear_time() -> None:
    huge = b"<" + b"m" * 300_000 + b"@x.example>"
    started = time.perf_counter()
    parsed = parse_mail(_mail(huge[:-1]))  # no closing bracket: the slow case of old
    assert time.perf_counter() - started < 5
    assert parsed.message_id is not None and len(parsed.message_id) <= MAX_MESSAGE_ID
    assert parse_mail(_mail(huge)).message_id == parse_mail(_mail(huge)).message_id


def test_references_keep_the_newest_hundred() -> None:
    refs = " ".join(f"<r{i}@x.example>" for i in range(5000))
    parsed = parse_mail(_mail(b"<m@x>", f"References: {refs}".encode()))
    assert len(parsed.references) == 100 and parsed.references[-1] == "r4999@x.example"
    assert message_ids("<a@b> <a@b> c@d") == ["a@b"]
    assert message_ids("c@d, e@f") == ["c@d", "e@f"]


def test_text_a_codec_decodes_to_a_lone_surrogate_is_still_storable() -> None:
    raw = _mail(b"<u7@x>").replace(b"Subject: ", b"Subject: =?utf-7?q?+2D0-?= ")
    raw = raw.replace(b"\r\n\r\n", b"\r\nContent-Type: text/plain; charset=utf-7\r\n\r\n+2D0-")
    parsed = parse_mail(raw)
    assert (parsed.subject + parsed.text).encode("utf-8")
    assert "\ufffd" in parsed.subject
