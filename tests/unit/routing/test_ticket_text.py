"""What the classifier reads of a ticket: no signature, no contact lines."""

from __future__ import annotations

from services.routing.domain.ticket_text import problem_text, without_signature


def test_the_closing_formula_and_what_follows_are_dropped() -> None:
    body = "TTSP không gửi được lệnh.\nTrân trọng!\nNguyễn Văn A\nEmail: a@vst.gov.vn"

    assert without_signature(body) == "TTSP không gửi được lệnh."


def test_contact_lines_and_addresses_are_dropped_but_mail_problems_stay() -> None:
    body = "mail ko gui dc ra ngoai\nĐT: 0243 3367 1234\nEmail thông báo vẫn nhận được"

    assert without_signature(body) == "mail ko gui dc ra ngoai\nEmail thông báo vẫn nhận được"


def test_the_subject_comes_first() -> None:
    assert problem_text(" Lỗi TABMIS ", "Cảm ơn anh chị!\nX") == "Lỗi TABMIS"
