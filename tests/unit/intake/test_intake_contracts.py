"""Every event intake stores reaches the other services as a valid contract (rule 4)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from libs.events.schemas import data_of, parse_data
from services.intake.adapters.store import to_contract
from services.intake.domain.inbound_mail import InboundMail
from tests.unit.intake.test_ticket_lifecycle import AT, new_ticket


def test_each_ticket_and_mail_event_maps_to_a_contract_that_validates() -> None:
    ticket = new_ticket()
    ticket.record_email("m1@x", "lan@kbnn.gov.vn", "Lan", "Lỗi", "text\n> quoted", None, AT,
                        ["hotro@kbnn.gov.vn"], [], None, [], "new ticket", True)  # fmt: skip
    ticket.add_attachment("a1", "bb.pdf", "application/pdf", 10, "ab" * 32, True, AT, "email", "")
    ticket.comment("PTH-HNI", "province_it", "public", "Anh thử lại", AT)
    ticket.wait_for_requester("PTH-HNI", AT)
    ticket.resolve("PTH-HNI", AT, "user_error", "hướng dẫn")
    ticket.mark_undeliverable("lan@kbnn.gov.vn", "ack.1@h", "550", AT)
    mail = InboundMail(
        id=uuid.uuid4(), message_id="m1@x", outcome="dead_letter", reason="no headers",
        ticket_id=None, sender="", subject="", channel="smtp", raw_sha256="ab" * 32, size=3,
        received_at=AT, at=datetime.now(UTC),
    )  # fmt: skip
    mail.replayed("ticket", "new ticket", str(ticket.id), "lan@kbnn.gov.vn", "Lỗi", "admin", AT)
    events = [*ticket.collect_events(), *mail.collect_events()]
    types = []
    for event in events:
        mapped = to_contract(event)
        assert mapped is not None, type(event).__name__
        key, contract = mapped
        assert key == str(event.originator_id)
        parse_data(type(contract).TYPE, data_of(contract))  # type: ignore[attr-defined]
        types.append(type(contract).TYPE)  # type: ignore[attr-defined]
    assert set(types) == {
        "hotro.ticket.submitted.v1", "hotro.ticket.email_received.v1",
        "hotro.ticket.attachment_added.v1", "hotro.ticket.commented.v1",
        "hotro.ticket.status_changed.v1", "hotro.ticket.requester_undeliverable.v1",
        "hotro.mail.taken_in.v1",
    }  # fmt: skip
