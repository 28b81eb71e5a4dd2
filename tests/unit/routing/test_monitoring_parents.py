"""Monitoring's incident is the natural parent of an outage cluster (SPEC §5): preferred over
users' first reports, open for reports as long as the outage lasts, never a child itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from libs.catalog.model import DuplicatePolicy
from services.routing.domain.outages import (
    OpenIncident,
    Report,
    is_parentless_channel,
    parent_for,
)

POLICY = DuplicatePolicy(window_minutes=60, min_similarity=0.5)
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
MONITORING = OpenIncident(
    "M", "TABMIS", T0, T0,
    "[Giám sát] TABMIS không truy cập được: TABMIS — trang đăng nhập\nLỗi: HTTP 503.",
    monitoring=True,
)  # fmt: skip
USERS_FIRST = OpenIncident(
    "U", "TABMIS", T0 + timedelta(minutes=1), T0 + timedelta(minutes=1),
    "Không vào được TABMIS, báo lỗi kết nối",
)  # fmt: skip


def report(text: str, minutes: int = 5, type_: str = "incident") -> Report:
    return Report("B", "TABMIS", type_, T0 + timedelta(minutes=minutes), text)


def test_a_users_outage_report_joins_monitorings_incident_before_another_users() -> None:
    match = parent_for(
        report("Không vào được TABMIS, báo lỗi kết nối"), [USERS_FIRST, MONITORING], POLICY
    )
    assert match is not None and match.parent_id == "M"
    assert "monitoring's incident" in match.reasons[0]


def test_monitorings_incident_takes_reports_while_open_past_the_window() -> None:
    late = report("TABMIS vẫn không truy cập được, timeout", minutes=180)
    match = parent_for(late, [MONITORING], POLICY)
    assert match is not None and match.parent_id == "M"
    assert parent_for(late, [USERS_FIRST], POLICY) is None  # a user's report keeps its window


def test_a_different_problem_in_the_same_hour_stays_unlinked() -> None:
    assert (
        parent_for(report("Quên mật khẩu TABMIS, tài khoản bị khóa"), [MONITORING], POLICY) is None
    )
    assert (
        parent_for(
            report("Đề nghị cấp quyền TABMIS", type_="service_request"), [MONITORING], POLICY
        )
        is None
    )


def test_a_report_from_before_monitoring_opened_its_incident_is_not_its_child() -> None:
    early = Report("B", "TABMIS", "incident", T0 - timedelta(minutes=2), "Không vào được TABMIS")
    assert parent_for(early, [MONITORING], POLICY) is None


def test_monitoring_tickets_are_never_children() -> None:
    assert is_parentless_channel("monitoring")
    assert not is_parentless_channel("web") and not is_parentless_channel(None)
