"""The morning round end to end, five processes, monitoring's clock shifted to just before 07:00
of a working day (HOTRO_CLOCK_OFFSET_S): its report is mailed before 07:45 and shown through
the gateway, a failed login mails the group lead at once (and the webhook hears of it), a
restart of monitoring sends no second report, and a round missed while monitoring was down
runs when it is back and says it is late."""

from __future__ import annotations

import email
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from email import policy
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from libs.calendar import load_business_calendar
from services.intake.adapters.tokens import Principal
from services.monitoring.domain.readiness_report import vietnamese_date
from tests.support.mail import admin
from tests.support.readiness_site import CREDENTIALS, Site, readiness_site
from tests.support.tickets import wait_until
from tests.support.tokens import issue_token
from tools.suite import ROOT, Suite

pytestmark = pytest.mark.e2e
VN = ZoneInfo("Asia/Ho_Chi_Minh")
API = "/api/v1"
CALENDAR = load_business_calendar(ROOT / "catalog")
REPORT = "Báo cáo sẵn sàng hệ thống"
LEAD_PAYMENT = "lead.payment@hotro.kbnn.local"


def working_day_after(day: date) -> date:
    day += timedelta(days=1)
    while not CALENDAR.is_working_day(day):
        day += timedelta(days=1)
    return day


#: Two working days of the future: the round's day, and the one monitoring is down for at 07:00.
DAY = working_day_after(datetime.now(VN).date() + timedelta(days=1))
NEXT_DAY = working_day_after(DAY)


def offset_to(moment: datetime) -> str:
    """HOTRO_CLOCK_OFFSET_S that makes monitoring's clock read `moment` now."""
    return f"{(moment - datetime.now(UTC)).total_seconds():.3f}"


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with readiness_site() as running:
        yield running


PORTAL = """  - id: portal-web
    application: PORTAL
    kind: http
    target: "{url}/slow-portal"
    name: "Cổng thông tin điện tử"
    morning: true
    expect: {{status: [200], body_contains: "Kho bạc Nhà nước"}}
"""


@pytest.fixture(scope="module")
def suite_env(site: Site, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    checks = tmp_path_factory.mktemp("morning-round") / "checks.yaml"
    checks.write_text(site.checks(PORTAL.format(url=site.url)), encoding="utf-8")
    return {
        "HOTRO_CHECKS_FILE": str(checks),
        # 06:59:30 of DAY when the suite starts: the round is due half a minute later.
        "HOTRO_CLOCK_OFFSET_S": offset_to(datetime.combine(DAY, time(6, 59, 30), tzinfo=VN)),
        "HOTRO_READINESS_ENABLED": "1",
        "HOTRO_READINESS_RETRIES": "1",
        "HOTRO_READINESS_RETRY_DELAY_S": "0.5",
        "HOTRO_NOTIFY_WEBHOOK_URL": f"{site.url}/sms",
        **CREDENTIALS,
    }


@dataclass
class Sent:
    file: str
    message: EmailMessage


def outbox(suite: Suite, subject: str = "", to: str = "") -> list[Sent]:
    folder = suite.log_dir / "outbox"
    found = []
    for path in sorted(folder.glob("*.eml")) if folder.exists() else []:
        message: Any = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if subject in str(message["Subject"]) and to in str(message["To"]):
            found.append(Sent(path.name, message))
    return found


def reports_of(suite: Suite, day: date) -> list[Sent]:
    return outbox(suite, f"{REPORT} sáng {vietnamese_date(day)}")


def readiness(
    suite: Suite, day: date | str, headers: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.get(
        f"{suite.url('intake')}{API}/readiness/{day}", headers=headers or admin(suite), timeout=30
    )


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(VN)


def test_the_seven_oclock_round_mails_its_report_before_a_quarter_to_eight(suite: Suite) -> None:
    (report,) = wait_until(lambda: reports_of(suite, DAY), 150, "the readiness report")
    subject = str(report.message["Subject"])
    assert subject.endswith("2/3 hệ thống sẵn sàng"), subject
    assert "truongphong.htcntt@hotro.kbnn.local" in str(report.message["To"])
    assert LEAD_PAYMENT in str(report.message["Cc"])
    html = report.message.get_body(("html",))
    assert html is not None
    content = html.get_content()
    assert "Không sẵn sàng" in content and "TTSP — đăng nhập thử" in content
    assert "Báo cáo trễ" not in content

    view = readiness(suite, DAY).json()
    assert view["date"] == DAY.isoformat() and view["status"] == "reported"
    assert view["late"] is False and view["trigger"] == "schedule"
    seven = datetime.combine(DAY, time(7, 0), tzinfo=VN)
    assert seven <= local(view["started_at"]) < seven + timedelta(minutes=5)
    assert local(view["completed_at"]) <= seven.replace(minute=30)
    assert local(view["sent_at"]) <= seven.replace(minute=45)
    by_id = {c["check_id"]: c for c in view["checks"]}
    assert {k: c["ok"] for k, c in by_id.items()} == {
        "tabmis-web": True,
        "tabmis-login": True,
        "ttsp-login": False,
        "portal-web": True,
    }
    assert by_id["portal-web"]["duration_ms"] >= 3000
    assert by_id["ttsp-login"]["reason"] and by_id["tabmis-web"]["reason"] is None
    assert {"application", "checked_at", "duration_ms"} <= set(by_id["tabmis-web"])


def test_a_failed_login_mails_the_group_lead_at_once_and_calls_the_webhook(
    suite: Suite, site: Site
) -> None:
    (alert,) = wait_until(lambda: outbox(suite, "KHẨN", LEAD_PAYMENT), 60, "the login alert")
    assert "TTSP" in str(alert.message["Subject"])
    (report,) = reports_of(suite, DAY)
    assert alert.file < report.file, "the lead hears before the round's report goes out"
    hook = wait_until(lambda: site.hooks, 30, "the webhook call")[0]
    assert (hook["type"], hook["check_id"], hook["lead_email"]) == (
        "hotro.readiness.login_failed.v1",
        "ttsp-login",
        LEAD_PAYMENT,
    )
    assert hook["date"] == DAY.isoformat() and "TTSP" in hook["message"]


def test_the_gateway_shows_rounds_and_checks_and_refuses_bad_requests(suite: Suite) -> None:
    missing = readiness(suite, "2001-01-02")
    assert missing.status_code == 404 and missing.json()["detail"][0]["field"] == "date"
    malformed = readiness(suite, "04-12-2026")
    assert malformed.status_code == 422 and malformed.json()["detail"][0]["field"] == "date"
    assert readiness(suite, "2026-02-30").status_code == 422

    lead = issue_token(suite, Principal("Trưởng nhóm TABMIS", "group_lead", group="TABMIS"))
    as_lead = {"Authorization": f"Bearer {lead}"}
    assert readiness(suite, DAY, as_lead).status_code == 200
    refused = httpx.post(f"{suite.url('intake')}{API}/readiness/run", headers=as_lead, timeout=30)
    assert refused.status_code == 403
    requester = issue_token(suite, Principal("Nguyễn Văn An", "requester", email="an@kbnn.gov.vn"))
    assert readiness(suite, DAY, {"Authorization": f"Bearer {requester}"}).status_code == 403

    checks = httpx.get(f"{suite.url('intake')}{API}/checks", headers=as_lead, timeout=30).json()
    assert {c["id"] for c in checks["data"]} == {
        "tabmis-web",
        "tabmis-login",
        "ttsp-login",
        "portal-web",
    }
    one = httpx.get(f"{suite.url('intake')}{API}/checks/ttsp-login", headers=as_lead, timeout=30)
    assert one.status_code == 200 and one.json()["recent_results"]


def test_a_restart_of_monitoring_sends_no_second_report(suite: Suite) -> None:
    before = readiness(suite, DAY).json()
    suite.stop("monitoring")
    suite.start("monitoring")
    suite.wait_ready(timeout_s=60, services=("monitoring",))
    after = wait_until(lambda: readiness(suite, DAY).json(), 30, "monitoring's answer")
    assert after["sent_at"] == before["sent_at"] and after["run"] == before["run"]
    assert len(reports_of(suite, DAY)) == 1


def test_a_round_missed_while_monitoring_was_down_runs_late_when_it_is_back(suite: Suite) -> None:
    suite.stop("monitoring")  # down at 07:00 of the next working day; back at 07:20
    back = datetime.combine(NEXT_DAY, time(7, 20), tzinfo=VN)
    suite.extra_env["HOTRO_CLOCK_OFFSET_S"] = offset_to(back)
    suite.start("monitoring")
    suite.wait_ready(timeout_s=60, services=("monitoring",))
    (report,) = wait_until(lambda: reports_of(suite, NEXT_DAY), 120, "the late report")
    assert str(report.message["Subject"]).endswith("(báo cáo trễ)")
    html = report.message.get_body(("html",))
    assert html is not None and "bắt đầu lúc 07:20 thay vì 07:00" in html.get_content()
    view = readiness(suite, NEXT_DAY).json()
    assert view["late"] is True and view["trigger"] == "catch_up"

    # An admin's repeated run re-checks everything but reports nothing new.
    run = httpx.post(
        f"{suite.url('intake')}{API}/readiness/run",
        params={"date": NEXT_DAY.isoformat()},
        headers=admin(suite),
        timeout=30,
    )
    assert run.status_code == 202 and run.json()["run"] == 2
    rerun = wait_until(
        lambda: (v := readiness(suite, NEXT_DAY).json())["completed_at"] and v["run"] == 2 and v,
        60,
        "the repeated run",
    )
    assert rerun["reported_run"] == 1 and rerun["sent_at"] == view["sent_at"]
    assert len(reports_of(suite, NEXT_DAY)) == 1 and len(reports_of(suite, DAY)) == 1
