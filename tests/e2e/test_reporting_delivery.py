"""Scheduled delivery through the running suite (issue 10): reporting's clock reads an hour
before 07:30 on Monday 5 January 2026 when it first starts — the first working day of the
year, so last week's, December's and the fourth quarter's reports all fall due at once — and
is then moved to half a minute before it (a restart with another HOTRO_CLOCK_OFFSET_S). Each
report goes out once per recipient, also after reporting restarts again."""

from __future__ import annotations

import email
import email.policy
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.support.tickets import wait_until
from tools.suite import Suite

VN = ZoneInfo("Asia/Ho_Chi_Minh")
DUE = datetime(2026, 1, 5, 7, 30, tzinfo=VN)
#: When reporting first starts (and records that delivery is on), its clock reads 06:30.
FIRST_LEAD_S = 3600
#: After the suite is up, reporting restarts with its clock this far before 07:30.
LEAD_S = 30
RECIPIENTS = """\
report_recipients:
  central:
    - {name: "Trưởng phòng Hỗ trợ CNTT", email: truongphong@kbnn.test,
       reports: [weekly, monthly, quarterly]}
  provinces:
    - {province: HNI, name: "Phòng Tin học Hà Nội", email: pth.hni@kbnn.test, reports: [monthly]}
"""
EXPECTED = Counter(
    {
        ("Báo cáo hỗ trợ CNTT tuần 2026-W01", "truongphong@kbnn.test"): 1,
        ("Báo cáo hỗ trợ CNTT tháng 2025-12", "truongphong@kbnn.test"): 1,
        ("Báo cáo hỗ trợ CNTT quý 2025-Q4", "truongphong@kbnn.test"): 1,
        ("Báo cáo hỗ trợ CNTT tháng 2025-12 - tỉnh HNI", "pth.hni@kbnn.test"): 1,
    }
)


@pytest.fixture(scope="module")
def suite_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    folder = tmp_path_factory.mktemp("recipients")
    (folder / "report_recipients.yaml").write_text(RECIPIENTS, encoding="utf-8")
    yield {
        "HOTRO_CLOCK_OFFSET_S": offset_before_due(FIRST_LEAD_S),
        "HOTRO_REPORT_RECIPIENTS_FILE": str(folder / "report_recipients.yaml"),
        "HOTRO_REPORT_DELIVERY_INTERVAL_S": "1",
    }


def offset_before_due(seconds: float) -> str:
    """HOTRO_CLOCK_OFFSET_S that makes reporting's clock read `seconds` before 07:30 now."""
    return f"{(DUE - datetime.now(UTC)).total_seconds() - seconds:.3f}"


def restart_reporting(suite: Suite) -> None:
    suite.stop("reporting")
    suite.start("reporting")
    suite.wait_ready(timeout_s=120, services=("reporting",))


def reports_sent(suite: Suite) -> Counter[tuple[str, str]]:
    folder: Path = suite.log_dir / "outbox"
    found: Counter[tuple[str, str]] = Counter()
    for path in sorted(folder.glob("*.eml")) if folder.exists() else []:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        subject = str(message["Subject"])
        if subject.startswith("Báo cáo hỗ trợ CNTT"):
            address = str(message["To"]).split("<")[-1].rstrip(">")
            found[(subject, address)] += 1
    return found


def test_each_report_goes_once_per_recipient_even_when_reporting_restarts(suite: Suite) -> None:
    time.sleep(3)  # a few rounds of the schedule at 06:30: nothing is due yet
    assert reports_sent(suite) == Counter()
    suite.extra_env["HOTRO_CLOCK_OFFSET_S"] = offset_before_due(LEAD_S)
    restart_reporting(suite)
    wait_until(lambda: reports_sent(suite) == EXPECTED, LEAD_S + 120, "the reports at 07:30")

    restart_reporting(suite)
    time.sleep(5)  # five rounds of the schedule at HOTRO_REPORT_DELIVERY_INTERVAL_S=1
    assert reports_sent(suite) == EXPECTED


def test_the_report_mail_is_vietnamese_with_its_attachments(suite: Suite) -> None:
    wait_until(lambda: reports_sent(suite) == EXPECTED, 60, "the reports")
    folder: Path = suite.log_dir / "outbox"
    (province,) = [
        m
        for m in (
            email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in folder.glob("*.eml")
        )
        if "tỉnh HNI" in str(m["Subject"])
    ]
    assert isinstance(province, EmailMessage)
    body = province.get_body(("plain",))
    assert body is not None and "Kỳ báo cáo: từ 01/12/2025 đến 31/12/2025." in body.get_content()
    names = sorted(str(a.get_filename()) for a in province.iter_attachments())
    assert names == [
        "bao-cao-2025-12-HNI.html", "bao-cao-2025-12-HNI.xlsx", "loi-nguoi-dung-2025-12-HNI.csv",
    ]  # fmt: skip
