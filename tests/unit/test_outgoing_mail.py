"""Outgoing mail keeps Vietnamese subjects intact through encoding and folding."""

from __future__ import annotations

import email
import email.policy

from libs.platform.outgoing_mail import new_message


def test_a_long_vietnamese_subject_survives_the_round_trip() -> None:
    subject = "[YC-2026-000002] Đã tiếp nhận yêu cầu: Lỗi lệnh chuyển Có trên TTSP khi gửi lệnh"
    message = new_message("an@kbnn.gov.vn", subject, "Kính gửi anh/chị,")

    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)

    assert parsed["Subject"] == subject
    assert parsed.get_content().strip() == "Kính gửi anh/chị,"
    assert parsed["Auto-Submitted"] == "auto-generated"
