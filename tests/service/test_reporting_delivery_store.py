"""Scheduled delivery on a real PostgreSQL: each due report mailed once per period and
recipient, with its attachments in Vietnamese, and nothing again after a restart."""

from __future__ import annotations

import email
import email.policy
import io
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from openpyxl import load_workbook

from libs.calendar import load_business_calendar
from libs.catalog import load_catalog
from libs.events import schemas as c
from libs.platform.outgoing_mail import OutgoingMail
from services.reporting.adapters.delivery import ReportDelivery
from services.reporting.adapters.report_queries import ReportQueries
from services.reporting.adapters.report_recipients import Recipient, load_report_recipients
from services.reporting.api.report_service import ReportService
from services.reporting.domain.periods import LOCAL_TZ
from tests.service.test_reporting_projections import (
    SCHEMA,
    Reporting,
    event,
    new_ticket_id,
    reporting,
    routed,
)

pytestmark = pytest.mark.service

ROOT = Path(__file__).resolve().parents[2]
CALENDAR = load_business_calendar(ROOT / "catalog")
#: Monday 5 January 2026, 07:31: the first working day of the year (1–2 January are off),
#: so last week's, December's and the fourth quarter's reports are all due.
NOW = datetime(2026, 1, 5, 7, 31, tzinfo=LOCAL_TZ)
RECIPIENTS = [
    Recipient("Trưởng phòng Hỗ trợ CNTT", "truongphong@kbnn.test",
              frozenset({"weekly", "monthly", "quarterly"})),
    Recipient("Phòng Tin học Hà Nội", "pth.hni@kbnn.test", frozenset({"monthly"}), "HNI"),
]  # fmt: skip


async def december_user_error(model: Reporting) -> None:
    ticket_id = new_ticket_id()
    received = datetime(2025, 12, 15, 9, 0, tzinfo=LOCAL_TZ)
    submitted = c.TicketSubmitted(
        ticket_id=ticket_id, number="YC-2025-000777", channel="phone",
        requester=c.Requester(name="Trần Thị Mai", unit_code="KBNN-HNI-BAVI"),
        subject="Không in được giấy báo có", description="…", received_at=received,
        application_code="TABMIS", unit_kind="kbnn_district", unit_province="HNI",
    )  # fmt: skip
    resolved = c.TicketStatusChanged(
        ticket_id=ticket_id, status="resolved", previous="in_progress", actor="PTH-HNI",
        at=received + timedelta(hours=2), cause="user_error",
    )  # fmt: skip
    await model.feed(event("intake", submitted), routed(ticket_id), event("intake", resolved))


def delivery(model: Reporting, outbox: Path, now: datetime = NOW) -> ReportDelivery:
    queries = ReportQueries(model.pool, SCHEMA)
    return ReportDelivery(
        pool=model.pool,
        schema=SCHEMA,
        reports=ReportService(queries, CALENDAR, clock=lambda: now),
        queries=queries,
        mail=OutgoingMail(model.pool, SCHEMA, relay="", sink_dir=outbox),
        recipients=RECIPIENTS,
        is_working_day=CALENDAR.is_working_day,
        clock=lambda: now,
    )


def sent(outbox: Path) -> list[EmailMessage]:
    messages = []
    for path in sorted(outbox.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        messages.append(message)
    return messages


async def test_each_due_report_goes_once_to_each_recipient_even_after_a_restart(
    database_url: str, tmp_path: Path
) -> None:
    async with reporting(database_url) as model:
        await december_user_error(model)
        first = delivery(model, tmp_path, now=NOW - timedelta(days=3))
        await first.ensure_tables()  # switched on on Friday 2 January
        assert await first.deliver_due() == 0  # nothing falls due before it was switched on

        assert await delivery(model, tmp_path).deliver_due() == 4
        messages = sent(tmp_path)
        subjects = sorted(str(m["Subject"]) for m in messages)
        assert subjects == [
            "Báo cáo hỗ trợ CNTT quý 2025-Q4",
            "Báo cáo hỗ trợ CNTT tháng 2025-12",
            "Báo cáo hỗ trợ CNTT tháng 2025-12 - tỉnh HNI",
            "Báo cáo hỗ trợ CNTT tuần 2026-W01",
        ]

        # a restart: a new process, the same database — nothing goes twice
        restarted = delivery(model, tmp_path, now=NOW + timedelta(hours=3))
        await restarted.ensure_tables()
        assert await restarted.deliver_due() == 0
        assert len(sent(tmp_path)) == 4


async def test_a_province_gets_its_report_and_its_user_error_list(
    database_url: str, tmp_path: Path
) -> None:
    async with reporting(database_url) as model:
        await december_user_error(model)
        job = delivery(model, tmp_path, now=NOW - timedelta(days=3))
        await job.ensure_tables()
        await delivery(model, tmp_path).deliver_due()
        (province,) = [m for m in sent(tmp_path) if "pth.hni@kbnn.test" in str(m["To"])]
        body = province.get_body(("plain",))
        assert body is not None
        text = body.get_content()
        assert "Kính gửi Phòng Tin học Hà Nội" in text
        assert "Kỳ báo cáo: từ 01/12/2025 đến 31/12/2025." in text
        assert "YC-2025-000777 (15/12/2025 09:00, KBNN-HNI-BAVI, TABMIS)" in text
        names = {part.get_filename(): part for part in province.iter_attachments()}
        assert set(names) == {
            "bao-cao-2025-12-HNI.xlsx", "bao-cao-2025-12-HNI.html",
            "loi-nguoi-dung-2025-12-HNI.csv",
        }  # fmt: skip
        listing = names["loi-nguoi-dung-2025-12-HNI.csv"].get_content()
        assert "YC-2025-000777" in listing and "Không in được giấy báo có" in listing
        book = load_workbook(io.BytesIO(names["bao-cao-2025-12-HNI.xlsx"].get_content()))
        assert book["Lỗi người dùng theo tỉnh"]["B2"].value == 1
        assert "<svg" in names["bao-cao-2025-12-HNI.html"].get_content()


def test_the_shipped_recipients_file_is_valid() -> None:
    recipients = load_report_recipients(ROOT / "catalog" / "report_recipients.yaml", load_catalog())
    assert any(r.province is None and "weekly" in r.kinds for r in recipients)
    assert any(r.province is not None for r in recipients)
