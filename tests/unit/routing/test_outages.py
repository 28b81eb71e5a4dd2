"""One outage, many reports: which new report is linked to which open incident (SPEC §3.4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from libs.catalog.model import DuplicatePolicy
from services.routing.domain.outages import (
    OpenIncident,
    Report,
    parent_for,
    problem_of,
    similarity,
)

POLICY = DuplicatePolicy(window_minutes=60, min_similarity=0.5)
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
OUTAGE = OpenIncident("A", "TABMIS", T0, T0, "Không vào được TABMIS, báo lỗi kết nối")


def report(
    text: str, minutes: int = 5, application: str = "TABMIS", type_: str = "incident"
) -> Report:
    return Report("B", application, type_, T0 + timedelta(minutes=minutes), text)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("ko vao dc tabmis, bao timeout", "outage"),
        ("TABMIS báo ORA-12541: TNS:no listener", "outage"),
        ("dvctt loi 502 Bad Gateway", "outage"),
        ("TTSP không gửi được lệnh, lệnh treo ở trạng thái chờ", "outage"),
        ("Báo ORA-28000 account is locked", "specific"),
        ("Số dư sổ cái bị lệch", "specific"),
        ("Không in được bảng lương, lỗi mẫu biểu", "specific"),
        ("Lỗi ORA-00942 table or view does not exist", "specific"),
        ("TABMIS có vấn đề", "unknown"),
    ],
)
def test_a_report_reads_as_an_outage_a_specific_fault_or_unclear(text: str, kind: str) -> None:
    assert problem_of(text).kind == kind


def test_two_outage_reports_are_similar_and_an_outage_and_a_fault_are_not() -> None:
    outage = problem_of("không truy cập được, HTTP 503")
    another = problem_of("ko dang nhap dc, bao timeout")
    figures = problem_of("báo cáo sai số liệu")

    assert similarity(outage, another)[0] >= 0.6
    assert similarity(outage, figures)[0] == 0.0


def test_another_report_of_the_outage_is_linked_with_its_reasons() -> None:
    match = parent_for(report("tabmis ko dang nhap dc, timeout"), [OUTAGE], POLICY)

    assert match is not None and match.parent_id == "A"
    assert "same application TABMIS" in match.reasons[0]
    assert "5 min after" in match.reasons[0]


@pytest.mark.parametrize(
    ("new", "why"),
    [
        (report("Nhờ reset mật khẩu TABMIS", type_="service_request"), "a request"),
        (report("Báo cáo B9 sai số liệu"), "a different problem"),
        (report("Không vào được TTSP, lỗi kết nối", application="TTSP"), "another application"),
        (report("Không vào được TABMIS, lỗi kết nối", application=None), "no application"),  # type: ignore[arg-type]
        (report("Không vào được TABMIS từ hôm qua"), "it began before"),
        (report("Không vào được TABMIS", minutes=61), "too late"),
        (report("Không vào được TABMIS", minutes=-3), "before the outage"),
    ],
)
def test_what_is_not_another_report_of_the_outage(new: Report, why: str) -> None:
    assert parent_for(new, [OUTAGE], POLICY) is None, why


def test_the_window_runs_from_the_outages_latest_report() -> None:
    still_reported = OpenIncident("A", "TABMIS", T0, T0 + timedelta(minutes=50), OUTAGE.text)

    match = parent_for(report("TABMIS không vào được", minutes=100), [still_reported], POLICY)

    assert match is not None and match.parent_id == "A"


def test_the_most_similar_open_incident_wins() -> None:
    figures = OpenIncident("F", "TABMIS", T0, T0, "Số dư sổ cái bị lệch so với báo cáo")

    match = parent_for(report("sổ cái lệch số dư"), [OUTAGE, figures], POLICY)

    assert match is not None and match.parent_id == "F"
