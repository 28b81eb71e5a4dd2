"""The Ticket aggregate's lifecycle (SPEC §8): allowed moves, refused ones, and replies."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from services.intake.domain.lifecycle import TRANSITIONS, TransitionRefused, UnknownCause
from services.intake.domain.ticket import Ticket, TicketClosed

AT = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)


def new_ticket() -> Ticket:
    return Ticket(
        id=uuid.uuid4(),
        number="YC-2026-000001",
        channel="email",
        requester={
            "name": "Lan",
            "email": "Lan@kbnn.gov.vn",
            "phone": None,
            "unit_code": "KBNN-HNI",
            "unit": None,
        },
        subject="Không đăng nhập được TABMIS",
        description="ORA-12541",
        received_at=AT,
        application_code=None,
        priority="P3",
        unit_kind="kbnn_province",
        unit_province="HNI",
        submitted_by="public",
    )


def statuses(ticket: Ticket) -> list[str]:
    return [e.status for e in ticket.collect_events() if type(e).__name__ == "StatusChanged"]


def test_the_whole_happy_path_records_one_status_event_per_move() -> None:
    ticket = new_ticket()
    ticket.start("PTH-HNI", AT)
    ticket.wait_for_requester("PTH-HNI", AT, "cần ảnh chụp màn hình")
    ticket.resume("PTH-HNI", AT)
    ticket.resolve("PTH-HNI", AT, "user_error", "hướng dẫn lại")
    ticket.reopen("Lan", AT)
    ticket.resolve("PTH-HNI", AT, "fulfilled")
    ticket.close("PTH-HNI", AT)
    assert statuses(ticket) == [
        "in_progress", "waiting_requester", "in_progress", "resolved", "reopened", "resolved",
        "closed",
    ]  # fmt: skip
    assert ticket.cause == "fulfilled"


@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_every_action_refused_from_closed_names_status_in_vietnamese_and_english(
    action: str,
) -> None:
    ticket = new_ticket()
    ticket.resolve("x", AT, "duplicate")
    ticket.close("x", AT)
    with pytest.raises(TransitionRefused) as refused:
        getattr(ticket, {"wait": "wait_for_requester"}.get(action, action))(
            *(("x", AT, "data") if action == "resolve" else ("x", AT))
        )
    assert "đã đóng" in str(refused.value) and "closed" in str(refused.value)


def test_closing_an_open_ticket_is_refused_and_records_nothing() -> None:
    ticket = new_ticket()
    ticket.collect_events()
    with pytest.raises(TransitionRefused):
        ticket.close("x", AT)
    assert ticket.collect_events() == [] and ticket.status == "new"


def test_an_unknown_cause_is_refused() -> None:
    with pytest.raises(UnknownCause):
        new_ticket().resolve("x", AT, "bad_luck")


def test_a_requester_reply_wakes_a_ticket_waiting_for_them() -> None:
    ticket = new_ticket()
    ticket.wait_for_requester("PTH-HNI", AT)
    ticket.comment("lan@kbnn.gov.vn", "requester", "public", "Ảnh đây ạ", AT, "email", "m1@x")
    assert ticket.status == "in_progress"
    assert ticket.has_message("m1@x")


def test_a_requester_reply_reopens_a_resolved_ticket_but_a_copied_contact_does_not() -> None:
    ticket = new_ticket()
    ticket.resolve("PTH-HNI", AT, "configuration")
    ticket.comment("boss@kbnn.gov.vn", "contact", "public", "Cảm ơn", AT, "email")
    assert ticket.status == "resolved"
    ticket.comment("lan@kbnn.gov.vn", "requester", "public", "Vẫn lỗi", AT, "email")
    assert ticket.status == "reopened"


def test_the_desks_first_public_answer_starts_work_but_an_internal_note_does_not() -> None:
    ticket = new_ticket()
    ticket.comment("PTH-HNI", "province_it", "internal", "xem log", AT)
    assert ticket.status == "new"
    ticket.comment("PTH-HNI", "province_it", "public", "Anh thử lại", AT)
    assert ticket.status == "in_progress"


def test_a_closed_ticket_takes_no_comment() -> None:
    ticket = new_ticket()
    ticket.resolve("x", AT, "fulfilled")
    ticket.close("x", AT)
    with pytest.raises(TicketClosed):
        ticket.comment("lan@kbnn.gov.vn", "requester", "public", "?", AT)


def test_an_address_is_marked_undeliverable_once() -> None:
    ticket = new_ticket()
    assert ticket.mark_undeliverable("LAN@kbnn.gov.vn", "ack.1@h", "550", AT)
    assert not ticket.mark_undeliverable("lan@kbnn.gov.vn", "ack.2@h", "550", AT)
    assert ticket.undeliverable == ["lan@kbnn.gov.vn"]
