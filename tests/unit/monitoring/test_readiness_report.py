"""The readiness report's content and layout: systems, reasons, the summary, late, Vietnamese."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

from services.monitoring.adapters.readiness_mail import login_alert_message, report_message
from services.monitoring.adapters.readiness_recipients import Recipients
from services.monitoring.domain.morning_round import RoundTimes
from services.monitoring.domain.readiness_report import (
    CheckOutcome,
    compose_report,
    late_reason,
    missing,
    summary_line,
    systems_of,
    vietnamese_date,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
TIMES = RoundTimes(tz=VN)
SEVEN = datetime(2026, 12, 4, 7, 0, tzinfo=VN)
NAMES = {"TABMIS": "Hệ thống TABMIS", "TTSP": "Thanh toán song phương", "MAIL": "Thư điện tử"}


def outcome(check_id: str, application: str, ok: bool = True, **more: object) -> CheckOutcome:
    values: dict[str, object] = {
        "check_id": check_id,
        "application": application,
        "name": f"{application} — {check_id}",
        "kind": "http",
        "ok": ok,
        "degraded": False,
        "reason": "" if ok else "HTTP 503 (expected 200)",
        "checked_at": SEVEN + timedelta(seconds=3),
        "duration_ms": 1234,
        "attempts": 1 if ok else 3,
    }
    values.update(more)
    return CheckOutcome(**values)  # type: ignore[arg-type]


OUTCOMES = [
    outcome("tabmis-web", "TABMIS"),
    outcome("tabmis-login", "TABMIS", ok=False, kind="login", reason="mật khẩu không đúng"),
    outcome("ttsp-web", "TTSP", degraded=True, reason="slow: 3500 ms"),
    outcome("mail-smtp", "MAIL"),
]


def test_dates_are_written_the_vietnamese_way() -> None:
    assert vietnamese_date(date(2026, 12, 4)) == "Thứ Sáu, 04/12/2026"
    assert vietnamese_date(date(2026, 12, 6)) == "Chủ Nhật, 06/12/2026"
    assert vietnamese_date(date(2026, 1, 10)) == "Thứ Bảy, 10/01/2026"
    assert summary_line(12, 12) == "12/12 hệ thống sẵn sàng"


def test_a_system_is_ready_only_when_every_check_of_it_is() -> None:
    systems = systems_of(OUTCOMES, NAMES)
    assert [(s.application, s.name, s.ok) for s in systems] == [
        ("TABMIS", "Hệ thống TABMIS", False),
        ("TTSP", "Thanh toán song phương", True),
        ("MAIL", "Thư điện tử", True),
    ]
    assert systems[1].degraded and not systems[2].degraded
    cut_off = missing("qlts-web", "QLTS", "QLTS — trang chủ", "http")
    assert not systems_of([cut_off])[0].ok


def test_the_report_sums_up_and_mails_html_and_text() -> None:
    report = compose_report(
        date(2026, 12, 4),
        OUTCOMES,
        NAMES,
        started_at=SEVEN,
        completed_at=SEVEN + timedelta(minutes=2),
        late=False,
        why_late="",
        tz=VN,
    )
    assert (report.ready, report.total, report.summary) == (2, 3, "2/3 hệ thống sẵn sàng")
    assert report.subject == (
        "[Hotro] Báo cáo sẵn sàng hệ thống sáng Thứ Sáu, 04/12/2026: 2/3 hệ thống sẵn sàng"
    )
    recipients = Recipients(("Trưởng phòng <tp@hotro.kbnn.local>",), ("Lead <l@hotro.kbnn.local>",))
    raw = report_message(report, recipients).as_bytes()
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == report.subject
    assert "tp@hotro.kbnn.local" in parsed["To"] and "l@hotro.kbnn.local" in parsed["Cc"]
    html = parsed.get_body(("html",)).get_content()  # type: ignore[union-attr]
    text = parsed.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    for body in (html, text):
        assert "2/3 hệ thống sẵn sàng" in body and "Thứ Sáu, 04/12/2026" in body
        assert "mật khẩu không đúng" in body and "07:00:03" in body
        assert "Báo cáo trễ" not in body and "BÁO CÁO TRỄ" not in body
    assert "Không sẵn sàng" in html and "Chậm" in html and "thử 3 lần" in html
    assert "1.234 ms" in html


def test_a_late_report_says_so_and_why() -> None:
    day = date(2026, 12, 4)
    started = SEVEN + timedelta(minutes=20)
    why = late_reason(TIMES, day, started, started + timedelta(minutes=1))
    assert why.startswith("Vòng kiểm tra bắt đầu lúc 07:20 thay vì 07:00")
    report = compose_report(
        day,
        OUTCOMES,
        NAMES,
        started_at=started,
        completed_at=started,
        late=True,
        why_late=why,
        tz=VN,
    )
    assert report.subject.endswith("(báo cáo trễ)")
    html = report_message(report, Recipients(("a@b.vn",), ())).get_body(("html",))
    assert html is not None and "Báo cáo trễ." in html.get_content()
    slow = late_reason(TIMES, day, SEVEN, SEVEN + timedelta(minutes=35))
    assert slow == "Vòng kiểm tra hoàn thành lúc 07:35, sau hạn 07:30."


def test_markup_in_a_reason_is_escaped_in_the_html() -> None:
    bad = outcome("tabmis-web", "TABMIS", ok=False, reason="<script>alert(1)</script>")
    report = compose_report(
        date(2026, 12, 4), [bad], NAMES, started_at=SEVEN, completed_at=SEVEN, late=False,
        why_late="", tz=VN,
    )  # fmt: skip
    html = report_message(report, Recipients(("a@b.vn",), ())).get_body(("html",))
    assert html is not None
    assert "<script>" not in html.get_content() and "&lt;script&gt;" in html.get_content()


def test_the_login_alert_is_short_and_urgent() -> None:
    message = login_alert_message(
        "lead.payment@hotro.kbnn.local",
        "[Hotro] KHẨN: Đăng nhập thử TTSP thất bại",
        group_name="Trưởng nhóm Thanh toán",
        text="Đăng nhập thử TTSP thất bại lúc 07:00:04",
        application="TTSP",
        application_name="Thanh toán song phương",
        check_name="TTSP — đăng nhập thử",
        check_id="ttsp-login",
        at="07:00:04",
        day_label="Thứ Sáu, 04/12/2026",
        reason="mật khẩu không đúng",
    )
    assert message["Importance"] == "high"
    assert "Kính gửi Trưởng nhóm Thanh toán" in message.get_content()
