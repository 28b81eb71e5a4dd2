"""What each message of the corpus becomes (SPEC §2): ticket, comment, ignored or dead letter."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.intake.domain.mail import parse_mail
from services.intake.domain.mail.our_message_ids import (
    our_message_id,
    ticket_number_in_our_message_id,
)
from services.intake.domain.mail.sender_trust import Participants
from services.intake.domain.mail_decision import (
    ThreadIndex,
    decide_raw,
    ids_to_look_up,
    numbers_to_look_up,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "mail"
OURS = "hotro.kbnn.example.vn"
INDEX = ThreadIndex(
    message_ids={"20260504080511.qp1@kbnn-hanoi.example.vn": "YC-2026-000123"},
    ticket_numbers={"YC-2026-000123", "YC-2026-000125", "YC-2026-000999"},
    closed={"YC-2026-000999"},
    our_domain=OURS,
    our_addresses={"hotrocntt@kbnn.example.vn"},
    # The corpus's replies come from the requester of the tickets they name.
    participants={
        n: Participants("nvhung@kbnn-hanoi.example.vn", frozenset())
        for n in ("YC-2026-000123", "YC-2026-000125")
    },
)

EXPECTED = {
    "8bit_body.eml": "ticket",
    "alternative_empty_plain.eml": "ticket",
    "auto_reply_auto_submitted.eml": "ignored",
    "base64_body.eml": "ticket",
    "bounce_delayed_dsn.eml": "ignored",
    "bounce_delivery_status.eml": "ignored",
    "bounce_mailer_daemon.eml": "ignored",
    "cp1258_combining.eml": "ticket",
    "html_only_with_script.eml": "ticket",
    "mailing_list.eml": "ignored",
    "malformed_garbage.eml": "dead_letter",
    "malformed_no_from.eml": "dead_letter",
    "mixed_pdf_png.eml": "ticket",
    "multipart_alternative.eml": "ticket",
    "nested_rfc822_forward.eml": "ticket",
    "out_of_office_subject.eml": "ignored",
    "precedence_bulk.eml": "ignored",
    "reply_in_reply_to.eml": "comment",
    "reply_subject_tag.eml": "comment",
    "rfc2047_subject_b.eml": "ticket",
    "rfc2047_subject_q.eml": "ticket",
    "utf8_qp_vietnamese.eml": "ticket",
}


def test_every_message_of_the_corpus_has_an_expected_outcome() -> None:
    names = {p.name for p in DATA.glob("*.eml")}
    assert set(EXPECTED) <= names
    assert names - set(EXPECTED) <= {"outlook_reply.eml", "outlook_vietnamese_reply.eml",
                                     "quoted_history_signature.eml", "unknown_charset.eml"}  # fmt: skip


@pytest.mark.parametrize(("name", "outcome"), sorted(EXPECTED.items()))
def test_corpus_message_outcome(name: str, outcome: str) -> None:
    decision = decide_raw((DATA / name).read_bytes(), INDEX)
    assert decision.outcome == outcome, decision.reason
    assert decision.reason
    assert decision.acknowledge is (outcome == "ticket")


def test_a_reply_to_our_notification_threads_by_in_reply_to() -> None:
    decision = decide_raw((DATA / "reply_in_reply_to.eml").read_bytes(), INDEX)
    assert (decision.ticket_number, decision.outcome) == ("YC-2026-000123", "comment")
    assert "in-reply-to" in decision.reason


def test_headers_win_over_a_subject_tag_that_points_elsewhere() -> None:
    raw = (
        (DATA / "reply_in_reply_to.eml")
        .read_bytes()
        .replace(b"Subject: Re: ", b"Subject: Re: [YC-2026-000125] ")
    )
    decision = decide_raw(raw, INDEX)
    assert decision.ticket_number == "YC-2026-000123"
    assert "[YC-2026-000125] ignored" in decision.reason


def test_a_reply_to_a_closed_ticket_opens_a_new_one() -> None:
    raw = (DATA / "reply_subject_tag.eml").read_bytes().replace(b"000123", b"000999")
    decision = decide_raw(raw, INDEX)
    assert decision.outcome == "ticket" and "closed" in decision.reason


def test_a_bounce_of_our_acknowledgement_names_the_ticket_and_the_address() -> None:
    decision = decide_raw((DATA / "bounce_delivery_status.eml").read_bytes(), INDEX)
    assert (decision.ticket_number, decision.undeliverable) == (
        "YC-2026-000123",
        "NVHung@kbnn-hanoi.example.vn",
    )
    delayed = decide_raw((DATA / "bounce_delayed_dsn.eml").read_bytes(), INDEX)
    assert delayed.ticket_number is None and delayed.outcome == "ignored"


def test_mail_from_our_own_address_is_never_taken_in() -> None:
    raw = b"From: hotrocntt@kbnn.example.vn\nSubject: x\nMessage-ID: <a@b>\n\nhello\n"
    assert decide_raw(raw, INDEX).reason == "sent by Hotro itself (mail loop)"


def test_the_adapter_is_told_which_ids_and_numbers_to_look_up() -> None:
    parsed = parse_mail((DATA / "bounce_mailer_daemon.eml").read_bytes())
    assert "ack.YC-2026-000125.1@hotro.kbnn.example.vn" in ids_to_look_up(parsed)
    assert "YC-2026-000125" in numbers_to_look_up(parsed, OURS)


def test_our_message_ids_carry_the_ticket_number_only_under_our_domain() -> None:
    mine = our_message_id("ack", "YC-2026-000001", "2", OURS)
    assert ticket_number_in_our_message_id(mine, OURS) == "YC-2026-000001"
    assert ticket_number_in_our_message_id("ack.YC-2026-000001.2@evil.example", OURS) is None
