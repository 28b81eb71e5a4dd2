"""The morning round on real PostgreSQL against real local servers, with a clock the test moves:
07:00 runs it and mails one report, a failed login tells its lead at once (mail and webhook),
a restart, a repeated run or a resumed run never sends a second report, 07:20 is late."""

from __future__ import annotations

import asyncio
import email
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email import policy
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from psycopg_pool import AsyncConnectionPool

from libs.calendar import BusinessCalendar, load_business_calendar
from libs.catalog.checks_model import Estate
from libs.platform.caller import new_internal_key
from libs.platform.eventstore import envelope_mapper, open_application
from libs.platform.outgoing_mail import OutgoingMail
from services.monitoring.adapters.checker import Checker
from services.monitoring.adapters.notifier import WebhookNotifier
from services.monitoring.adapters.readiness_recipients import load_recipients
from services.monitoring.adapters.readiness_store import readiness_contract
from services.monitoring.adapters.recorder import Recorder
from services.monitoring.adapters.results import ResultStore
from services.monitoring.adapters.round_runner import MorningRound, RoundParts
from services.monitoring.adapters.round_scheduler import tick
from services.monitoring.adapters.store import MonitoringApplication
from services.monitoring.domain.morning_round import RetryPolicy, RoundTimes
from tests.service.monitoring_targets import pop3_like, tcp_server
from tests.support.infra import Infra
from tests.support.readiness_site import CREDENTIALS, Site, readiness_site
from tests.unit.monitoring.factories import estate_from, shipped_catalog
from tools.embedded import free_port
from tools.suite import ROOT

pytestmark = pytest.mark.service
SCHEMA = "monitoring"
VN = ZoneInfo("Asia/Ho_Chi_Minh")
TIMES = RoundTimes(tz=VN)


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with readiness_site() as running:
        yield running


@pytest.fixture
async def gateway_port() -> AsyncIterator[int]:
    async with tcp_server(pop3_like) as port:
        yield port


def estate_for(folder: Path, site: Site, tcp_port: int) -> Estate:
    more = f"""  - id: ttsp-gateway
    application: TTSP
    kind: tcp
    target: "127.0.0.1:{tcp_port}"
    name: "TTSP — cổng kết nối"
    morning: true
  - id: portal-web
    application: PORTAL
    kind: http
    target: "{site.url}/"
"""
    return estate_from(folder, site.checks(more))


@dataclass
class World:
    app: MonitoringApplication
    parts: RoundParts
    calendar: BusinessCalendar
    clock: Clock
    outbox: Path
    site: Site

    def restarted(self) -> MorningRound:
        """A new process's round: nothing in memory, everything from the event store."""
        return MorningRound(self.app, self.parts)

    def mails(self, to: str | None = None, subject: str = "") -> list[email.message.EmailMessage]:
        found = []
        for path in sorted(self.outbox.glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            if to is not None and to not in str(message["To"]):
                continue
            if subject in str(message["Subject"]):
                found.append(message)  # type: ignore[arg-type]
        return found


@pytest.fixture
async def world(
    database_url: str,
    site: Site,
    gateway_port: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[World]:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    app = await asyncio.to_thread(open_application, MonitoringApplication, database_url, SCHEMA)
    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
        database_url, min_size=1, max_size=4, open=False
    )
    await pool.open(wait=True)
    results = ResultStore(pool, SCHEMA)
    await results.ensure_tables()
    estate = estate_for(tmp_path, site, gateway_port)
    recorder = Recorder(app, results)
    await recorder.start(estate.checks)
    clock = Clock(datetime(2026, 12, 4, 6, 59, tzinfo=VN))  # a Friday
    mail = OutgoingMail(pool, SCHEMA, relay="", sink_dir=tmp_path / "outbox")
    await mail.ensure_table()
    catalog = shipped_catalog()
    parts = RoundParts(
        checks=estate.morning,
        catalog=catalog,
        check_once=Checker(estate.checks, recorder.record, clock, concurrency=4).check_once,
        times=TIMES,
        retry=RetryPolicy(retries=1, delay=timedelta(seconds=0.2)),
        recipients=load_recipients(ROOT / "catalog" / "readiness_recipients.yaml", catalog),
        mail=mail,
        webhook=WebhookNotifier(f"{site.url}/sms", backoff_s=0.05),
        clock=clock,
    )
    site.hooks.clear()
    calendar = load_business_calendar(ROOT / "catalog")
    try:
        yield World(app, parts, calendar, clock, tmp_path / "outbox", site)
    finally:
        await pool.close()
        app.close()


REPORT = "Báo cáo sẵn sàng hệ thống"
LEAD_PAYMENT = "lead.payment@hotro.kbnn.local"


async def test_seven_oclock_runs_the_round_reports_once_and_alerts_the_lead(world: World) -> None:
    round_ = world.restarted()
    assert await tick(round_, world.calendar, TIMES, world.clock) == "wait"
    assert await round_.load("2026-12-04") is None
    world.clock.now = datetime(2026, 12, 4, 7, 0, 1, tzinfo=VN)
    assert await tick(round_, world.calendar, TIMES, world.clock) == "start"
    await round_.background.drain()

    view = (await round_.load("2026-12-04")).public()  # type: ignore[union-attr]
    assert view["status"] == "reported" and view["late"] is False
    assert {c["check_id"]: c["ok"] for c in view["checks"]} == {
        "tabmis-web": True,
        "tabmis-login": True,
        "ttsp-login": False,
        "ttsp-gateway": True,
    }
    failed = next(c for c in view["checks"] if c["check_id"] == "ttsp-login")
    assert failed["attempts"] == 2 and "Đăng xuất" in failed["reason"]
    assert view["login_alerts"] == ["ttsp-login"]

    reports = world.mails(subject=REPORT)
    assert len(reports) == 1
    assert reports[0]["Subject"].endswith("Thứ Sáu, 04/12/2026: 1/2 hệ thống sẵn sàng")
    assert "truongphong.htcntt@hotro.kbnn.local" in reports[0]["To"]
    assert LEAD_PAYMENT in reports[0]["Cc"]
    alerts = world.mails(to=LEAD_PAYMENT, subject="KHẨN")
    assert len(alerts) == 1 and "TTSP" in alerts[0]["Subject"]
    assert [(h["check_id"], h["group"], h["lead_email"]) for h in world.site.hooks] == [
        ("ttsp-login", "PAYMENT", LEAD_PAYMENT)
    ]

    # The rest of the day, a restart, and a repeated run: never a second report.
    world.clock.now = datetime(2026, 12, 4, 9, 0, tzinfo=VN)
    assert await tick(round_, world.calendar, TIMES, world.clock) == "done"
    again = world.restarted()
    assert await tick(again, world.calendar, TIMES, world.clock) == "done"
    await again.run(date(2026, 12, 4), "manual", "admin", late=True)
    await again.background.drain()
    repeated = (await again.load("2026-12-04")).public()  # type: ignore[union-attr]
    assert repeated["run"] == 2 and repeated["reported_run"] == 1
    assert repeated["sent_at"] == view["sent_at"] and repeated["late"] is False
    assert len(world.mails(subject=REPORT)) == 1

    # The log publishes each run's results, the one report and the alert of each run.
    mapper = envelope_mapper(world.app, "hotro/monitoring", readiness_contract)
    notifications = await asyncio.to_thread(world.app.recorder.select_notifications, 1, 1000)
    types = [e.type for e in map(mapper, notifications) if e is not None]
    assert types.count("hotro.readiness.round_completed.v1") == 2
    assert types.count("hotro.readiness.report_sent.v1") == 1
    assert types.count("hotro.readiness.login_failed.v1") == 2


async def test_a_run_cut_off_by_a_crash_is_resumed_and_reported_once(world: World) -> None:
    monday = date(2026, 12, 7)
    world.clock.now = datetime(2026, 12, 7, 7, 0, tzinfo=VN)
    crashed = world.restarted()
    await crashed.begin(monday, "schedule", "scheduler", late=False)  # then the process died
    world.clock.now = datetime(2026, 12, 7, 7, 3, tzinfo=VN)
    back = world.restarted()
    assert await back.progress("2026-12-07") == "running"
    assert await tick(back, world.calendar, TIMES, world.clock) == "resume"
    view = (await back.load("2026-12-07")).public()  # type: ignore[union-attr]
    assert view["status"] == "reported" and view["run"] == 1 and len(view["checks"]) == 4
    assert view["late"] is False
    assert len(world.mails(subject=REPORT)) == 1


async def test_a_round_missed_at_seven_runs_when_the_service_is_back_and_says_it_is_late(
    world: World,
) -> None:
    world.clock.now = datetime(2026, 12, 8, 7, 20, tzinfo=VN)  # Tuesday, back at 07:20
    round_ = world.restarted()
    assert await tick(round_, world.calendar, TIMES, world.clock) == "start"
    view = (await round_.load("2026-12-08")).public()  # type: ignore[union-attr]
    assert view["late"] is True and view["trigger"] == "catch_up"
    (report,) = world.mails(subject=REPORT)
    assert report["Subject"].endswith("(báo cáo trễ)")
    html = report.get_body(("html",))
    assert html is not None and "bắt đầu lúc 07:20 thay vì 07:00" in html.get_content()
    await round_.background.drain()


async def test_no_round_on_a_sunday(world: World) -> None:
    world.clock.now = datetime(2026, 12, 6, 7, 0, tzinfo=VN)
    round_ = world.restarted()
    assert await tick(round_, world.calendar, TIMES, world.clock) == "wait"
    assert await round_.load("2026-12-06") is None and world.mails() == []


def test_monitoring_refuses_to_start_on_a_broken_recipients_file(
    database_url: str, infra: Infra, tmp_path: Path
) -> None:
    catalog = tmp_path / "catalog"
    shutil.copytree(ROOT / "catalog", catalog, ignore=shutil.ignore_patterns("training"))
    recipients = catalog / "readiness_recipients.yaml"
    recipients.write_text(
        recipients.read_text(encoding="utf-8").replace(
            "group_leads: all", "group_leads: [TABMISS]"
        ),
        encoding="utf-8",
    )
    env = dict(
        os.environ,
        HOTRO_CATALOG_DIR=str(catalog),
        PYTHONPATH=str(ROOT),
        DATABASE_URL=database_url,
        KAFKA_BOOTSTRAP_SERVERS=infra.bootstrap,
        HOTRO_INTERNAL_KEY=new_internal_key(),
        HOTRO_MONITORING_PORT=str(free_port()),
        HOTRO_CHECKER_ENABLED="0",
    )
    result = subprocess.run(
        [sys.executable, "-m", "services.monitoring.main"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 2, result.stderr
    assert "readiness_recipients.yaml:" in result.stderr and "group_leads[0]" in result.stderr
    assert "TABMISS" in result.stderr and "Traceback" not in result.stderr
