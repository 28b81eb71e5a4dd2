"""Our subjects quote the requester's, which may hold anything a fuzzed message can carry."""

from __future__ import annotations

from libs.platform.outgoing_mail import new_message
from services.intake.domain.mail.ack import ack_subject
from services.intake.domain.mail.notices import ticket_subject


def test_a_broken_encoded_word_in_a_subject_cannot_break_the_acknowledgement() -> None:
    """Seen in the fuzz: the email package re-read "=?UTF-8?B?TO¥" and could not write it."""
    for subject in ("c=?UTF-8?B?TO¥={= x", "=?utf-8?q?=C3=A0?= ok", "a\r\nBcc: x@evil"):
        for ours in (
            ack_subject("YC-2026-000001", subject),
            ticket_subject("YC-2026-000001", subject),
        ):
            written = new_message("lan@kbnn.gov.vn", ours, "Nội dung").as_bytes()
            assert written.startswith(b"From:") and b"\nBcc:" not in written
            assert "=?" not in ours and ours.startswith("[YC-2026-000001] ")
