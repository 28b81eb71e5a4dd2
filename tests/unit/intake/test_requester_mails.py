"""Issue 13: the mails a requester expects, as the mailer writes them (no server).

Acknowledgement for every channel with an address (once per ticket: one dedupe key for the
ticket whichever event asks), the question of `/wait`, the resolution — of the ticket or of
the outage it was one report of — and dates in Vietnamese everywhere, never raw ISO.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from libs.events.envelope import Envelope
from libs.platform.letters import SIGNATURE
from services.escalation.domain.proposals import ProposalLine, digest_mail
from services.intake.adapters.mailer import Letter, _may_tell, letter_for
from services.intake.domain.inbound_mail import InboundMail, NotDismissable
from services.intake.domain.mail.notices import (
    OUTAGE_ACTOR,
    outage_note,
    resolution_mail_cause,
    resolved_body,
)
from services.intake.domain.mail_addresses import MailAddress
from services.intake.domain.ticket import Ticket

RECEIVED = datetime(2018, 6, 1, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội
ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _ticket(channel: str, email: str | None = "lan@kbnn.gov.vn") -> Ticket:
    return Ticket(
        id=uuid.uuid4(),
        number="YC-2018-000042",
        channel=channel,
        requester={"name": "Nguyễn Thị Lan", "email": email},
        subject="Không đăng nhập được TABMIS",
        description="Xin hỗ trợ.",
        received_at=RECEIVED,
        application_code=None,
        priority="P3",
        unit_kind=None,
        unit_province=None,
        submitted_by="web",
    )


def _event(ticket: Ticket, kind: str, version: int = 1, **data: Any) -> Envelope:
    return Envelope(
        id=f"{ticket.id}:{version}",
        source="intake",
        type=f"hotro.ticket.{kind}.v1",
        subject=str(ticket.id),
        time=RECEIVED,
        data=data,
        position=version,
    )


def _letter(ticket: Ticket, event: Envelope) -> Letter:
    assert _may_tell(event), event.type
    found = letter_for(event, ticket)
    assert found is not None
    assert not ISO.search(found.body), found.body
    assert found.body.rstrip().endswith(SIGNATURE[-1])
    return found


@pytest.mark.parametrize(("channel", "said"), [("web", "cổng hỗ trợ"), ("phone", "điện thoại")])
def test_web_and_phone_tickets_are_acknowledged_with_their_number(channel: str, said: str) -> None:
    ticket = _ticket(channel)
    ack = _letter(ticket, _event(ticket, "submitted", channel=channel))
    assert ack.subject.startswith("[YC-2018-000042] Đã tiếp nhận yêu cầu")
    assert "mã số YC-2018-000042" in ack.body and said in ack.body
    assert "09:00 ngày 01/06/2018" in ack.body
    assert ack.dedupe_key == f"ack:{ticket.id}"


def test_an_e_mail_ticket_is_acknowledged_under_the_same_key_once_per_ticket() -> None:
    ticket = _ticket("email")
    submitted = _event(ticket, "submitted", channel="email")
    assert not _may_tell(submitted)  # its acknowledgement threads to the message instead
    received = _event(
        ticket,
        "email_received",
        2,
        acknowledge=True,
        sender="lan@kbnn.gov.vn",
        subject="Không đăng nhập được TABMIS",
        message_id="m1@kbnn.gov.vn",
        received_at=RECEIVED.isoformat(),
    )
    ack = _letter(ticket, received)
    assert ack.dedupe_key == f"ack:{ticket.id}" and ack.headers["In-Reply-To"] == "<m1@kbnn.gov.vn>"


def test_monitoring_tickets_have_nobody_to_acknowledge() -> None:
    ticket = _ticket("monitoring", email=None)
    assert not _may_tell(_event(ticket, "submitted", channel="monitoring"))


def test_waiting_sends_the_requester_the_question() -> None:
    ticket = _ticket("web")
    asked = _letter(
        ticket,
        _event(
            ticket,
            "status_changed",
            3,
            status="waiting_requester",
            previous="in_progress",
            actor="Phòng Tin học Hà Nội",
            reason="Anh/chị gửi giúp ảnh chụp màn hình lỗi?",
            at=RECEIVED.isoformat(),
        ),
    )
    assert "Anh/chị gửi giúp ảnh chụp màn hình lỗi?" in asked.body
    assert "bổ sung thông tin" in asked.body and "09:00 ngày 01/06/2018" in asked.body
    assert asked.kind == "question" and asked.subject.startswith("[YC-2018-000042]")


def test_a_child_resolved_with_its_outage_is_told_the_outage_s_cause() -> None:
    ticket = _ticket("web")
    note = outage_note("YC-2018-000007", "infrastructure", "Đã khôi phục đường truyền")
    told = _letter(
        ticket,
        _event(
            ticket,
            "status_changed",
            4,
            status="resolved",
            previous="in_progress",
            actor=OUTAGE_ACTOR,
            cause="duplicate",
            reason=note,
            at=RECEIVED.isoformat(),
        ),
    )
    assert "sự cố chung YC-2018-000007" in told.body
    assert "Nguyên nhân sự cố: sự cố hạ tầng." in told.body
    assert "Đã khôi phục đường truyền" in told.body
    assert "trùng với một yêu cầu khác" not in told.body


def test_an_operator_s_duplicate_is_still_called_a_duplicate() -> None:
    assert resolution_mail_cause("duplicate", "Nhóm TABMIS") == "duplicate"
    body = resolved_body("YC-2018-000042", "Lan", "duplicate", "", RECEIVED)
    assert "trùng với một yêu cầu khác" in body and "lúc 09:00 ngày 01/06/2018" in body


def test_the_department_digest_writes_dates_in_vietnamese_with_the_one_signature() -> None:
    line = ProposalLine(str(uuid.uuid4()), "YC-2018-000042", "Đề xuất", "TABMIS", "HNI", RECEIVED)
    entry = {
        "name": "Cục CNTT",
        "count": 1,
        "proposals": [{**line._asdict(), "received_at": RECEIVED.isoformat()}],
    }
    _, body = digest_mail("2018-06", entry)
    assert "tiếp nhận 09:00 ngày 01/06/2018" in body and not ISO.search(body)
    assert body.startswith("Kính gửi Cục CNTT,") and body.rstrip().endswith(SIGNATURE[-1])


def test_an_address_is_marked_undeliverable_once_and_says_why() -> None:
    address = MailAddress.of("Lan@KBNN.gov.vn")
    assert address.refusal() is None
    assert address.mark_undeliverable("ack.x@hotro", "t1", "bounce", RECEIVED)
    assert not address.mark_undeliverable("ack.y@hotro", "t2", "bounce again", RECEIVED)
    refusal = address.refusal()
    assert refusal is not None and "lan@kbnn.gov.vn" in refusal and "undeliverable" in refusal
    later = RECEIVED + timedelta(hours=1)
    assert address.mark_deliverable("admin", "hộp thư đã sửa", later)
    assert address.refusal() is None
    # A mail is judged as things stood at its event: one told "not mailed" stays unmailed.
    assert address.refusal(RECEIVED + timedelta(minutes=5)) is not None
    assert address.refusal(RECEIVED - timedelta(minutes=5)) is None
    assert address.refusal(later) is None


def _dead_letter() -> InboundMail:
    return InboundMail(
        id=uuid.uuid4(),
        message_id=None,
        outcome="dead_letter",
        reason="unparseable",
        ticket_id=None,
        sender="",
        subject="",
        channel="http",
        raw_sha256="a" * 64,
        size=10,
        received_at=RECEIVED,
        at=RECEIVED,
    )


def test_a_dead_letter_is_dismissed_with_the_reason_and_only_once_taken_in_is_refused() -> None:
    mail = _dead_letter()
    mail.check_dismissable()
    mail.dismiss(reason="thư rác", actor="admin", at=RECEIVED)
    assert mail.outcome == "dismissed" and mail.reason == "dismissed by admin: thư rác"
    taken = _dead_letter()
    taken.replayed("ticket", "new ticket", "t1", "", "", "admin", RECEIVED)
    with pytest.raises(NotDismissable):
        taken.check_dismissable()


def test_a_correction_keeps_the_first_bytes() -> None:
    mail = _dead_letter()
    mail.correct("b" * 64, 20, "admin", RECEIVED)
    mail.correct("c" * 64, 30, "admin", RECEIVED)
    assert (mail.raw_sha256, mail.size, mail.original_sha256) == ("c" * 64, 30, "a" * 64)


def test_monitoring_and_reporting_mails_sign_with_the_same_signature() -> None:
    from services.monitoring.adapters import readiness_mail, status_render

    signature = "\n".join(SIGNATURE)
    confirm = status_render.render(
        "mail_confirm.txt", email="lan@kbnn.gov.vn", link="http://x/c", days=3, page="http://x"
    )
    alert = readiness_mail.render(
        "login_failed.txt",
        group_name="Nhóm TABMIS",
        text="Không đăng nhập được.",
        application_name="TABMIS",
        application="TABMIS",
        check_name="Đăng nhập",
        check_id="tabmis-login",
        at="06:40",
        day_label="Thứ Hai 01/06/2026",
        reason="sai mật khẩu",
    )
    for body in (confirm, alert):
        assert signature in body and "Phòng Hỗ trợ CNTT - Kho bạc Nhà nước" not in body
