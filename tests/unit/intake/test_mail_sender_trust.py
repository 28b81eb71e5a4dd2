"""Whose reply becomes a comment, and whose is held for an operator (issue 17: ticket numbers
are easy to guess, so a subject tag alone must not let a stranger write on a ticket)."""

from __future__ import annotations

from pathlib import Path

import pytest

from libs.catalog import load_catalog
from services.intake.domain.mail.sender_trust import (
    UNKNOWN_SENDER,
    Participants,
    participants_of,
    staff_addresses,
    standing_of,
)
from services.intake.domain.mail_decision import (
    ThreadIndex,
    decide_raw,
    participants_to_look_up,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "mail"
NUMBER = "YC-2026-000123"
REQUESTER = "nvhung@kbnn-hanoi.example.vn"
PEOPLE = participants_of(
    "NVHung@kbnn-hanoi.example.vn",
    [
        (REQUESTER, ["hotrocntt@kbnn.example.vn"], ["Truong.Phong@kbnn-hanoi.example.vn"]),
        ("hotrocntt@kbnn.example.vn", [REQUESTER], []),
    ],
)
STAFF = frozenset({"pth.hni@hotro.kbnn.local"})


def _index(participants: Participants | None = PEOPLE) -> ThreadIndex:
    return ThreadIndex(
        ticket_numbers={NUMBER},
        our_domain="hotro.kbnn.example.vn",
        our_addresses={"hotrocntt@kbnn.example.vn"},
        participants={NUMBER: participants} if participants else {},
        staff=STAFF,
    )


def _reply_from(sender: str) -> bytes:
    raw = (DATA / "reply_subject_tag.eml").read_bytes()
    return raw.replace(b"<nvhung@kbnn-hanoi.example.vn>", f"<{sender}>".encode(), 1)


def test_the_requester_a_cc_of_the_ticket_and_staff_may_comment() -> None:
    assert standing_of("NVHUNG@kbnn-hanoi.example.vn", PEOPLE, STAFF) == "requester"
    assert standing_of("truong.phong@kbnn-hanoi.example.vn", PEOPLE, STAFF) == "participant"
    assert standing_of("PTH.HNI@hotro.kbnn.local", PEOPLE, STAFF) == "staff"
    assert standing_of("PTH.HNI@hotro.kbnn.local", None, STAFF) == "staff"


def test_a_stranger_an_empty_address_and_a_ticket_without_participants_stand_nowhere() -> None:
    assert standing_of("ke.la@example.com", PEOPLE, STAFF) is None
    assert standing_of("", PEOPLE, STAFF) is None
    assert standing_of(REQUESTER, None, STAFF) is None  # nothing known: held, not let in


@pytest.mark.parametrize(
    ("sender", "outcome"),
    [
        (REQUESTER, "comment"),
        ("truong.phong@kbnn-hanoi.example.vn", "comment"),
        ("pth.hni@hotro.kbnn.local", "comment"),
        ("doan.so@example.com", "held"),
    ],
)
def test_a_reply_naming_a_ticket_is_a_comment_only_from_its_people(
    sender: str, outcome: str
) -> None:
    decision = decide_raw(_reply_from(sender), _index())
    assert (decision.outcome, decision.ticket_number) == (outcome, NUMBER), decision.reason
    assert not decision.acknowledge  # a held reply is never answered: no backscatter
    assert participants_to_look_up(decision) == NUMBER


def test_a_held_reply_says_why_and_that_an_operator_decides() -> None:
    decision = decide_raw(_reply_from("doan.so@example.com"), _index())
    assert decision.reason.startswith(f"{UNKNOWN_SENDER}: doan.so@example.com")
    assert NUMBER in decision.reason and "subject tag" in decision.reason


def test_without_the_participants_of_the_ticket_even_its_requester_is_held() -> None:
    """The adapter must look the participants up; forgetting to is not a way in."""
    assert decide_raw(_reply_from(REQUESTER), _index(participants=None)).outcome == "held"


def test_new_tickets_and_loops_are_not_a_matter_of_trust() -> None:
    stranger = _reply_from("doan.so@example.com").replace(b"000123", b"000777")
    decision = decide_raw(stranger, _index())
    assert decision.outcome == "ticket" and participants_to_look_up(decision) is None
    bounce = decide_raw((DATA / "bounce_mailer_daemon.eml").read_bytes(), _index())
    assert bounce.outcome == "ignored"


def test_the_catalog_names_the_desk_addresses_of_groups_offices_and_departments() -> None:
    catalog = load_catalog()
    staff = staff_addresses(catalog)
    assert "lead.tabmis@hotro.kbnn.local" in staff
    assert catalog.it_offices["PTH-HNI"].email.lower() in staff
    assert "phong.qtud@hotro.kbnn.local" in staff
    assert all(a == a.lower() and "@" in a for a in staff)
