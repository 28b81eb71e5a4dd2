"""Outage linking that uses the burst (issue 15): reports of one outage in different words.

Incident reports of the same application from different units within minutes are evidence of
an outage by themselves; the problem's kind still keeps a password reset, a printing or a
signing fault, a phishing mail or a fault that began earlier apart from it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from libs.catalog.model import DuplicatePolicy
from services.routing.domain.outages import (
    BURST_MINUTES,
    OpenIncident,
    Report,
    burst_evidence,
    compatible,
    parent_for,
    problem_of,
)

POLICY = DuplicatePolicy(window_minutes=60, min_similarity=0.5)
T0 = datetime(2026, 4, 6, 0, 0, tzinfo=UTC)
FIRST = "Lệnh thanh toán song phương đi Vietcombank không gửi được, đứng ở trạng thái chờ truyền"


def outage(units: frozenset[str] = frozenset({"KB-A", "KB-B"}), minutes: int = 5) -> OpenIncident:
    """An outage two units reported, the latest `minutes` after T0."""
    return OpenIncident("A", "TTSP", T0, T0 + timedelta(minutes=minutes), FIRST, units=units)


def report(
    text: str, unit: str | None = "KB-C", minutes: int = 8, type_: str = "incident"
) -> Report:
    return Report("N", "TTSP", type_, T0 + timedelta(minutes=minutes), text, unit)


UNCLEAR = "ĐT 9h45 KB Vị Thanh: song phương lỗi."


def test_an_unclear_report_from_another_unit_joins_the_burst_with_the_reason() -> None:
    match = parent_for(report(UNCLEAR), [outage()], POLICY)

    assert match is not None and match.parent_id == "A"
    assert "a burst: 2 other unit(s)" in match.reasons[0]


def test_the_same_unclear_words_without_a_burst_are_not_enough() -> None:
    assert parent_for(report(UNCLEAR, unit=None), [outage()], POLICY) is None
    lone = outage(units=frozenset({"KB-C"}))
    assert parent_for(report(UNCLEAR, unit="KB-C"), [lone], POLICY) is None


def test_the_burst_fades_when_the_outage_has_not_been_reported_for_a_while() -> None:
    quiet = outage(minutes=0)
    late = report(UNCLEAR, minutes=BURST_MINUTES + 1)

    assert burst_evidence(late, quiet) == 0
    assert burst_evidence(report(UNCLEAR, minutes=BURST_MINUTES), quiet) == 2


@pytest.mark.parametrize(
    ("text", "type_", "why"),
    [
        ("reset mk chương trình song phương giúp em", "service_request", "a request"),
        ("TTSP in bảng kê lệnh đến bị lỗi mẫu in", "incident", "a printing fault"),
        ("TTSP không ký được lệnh, báo chứng thư số hết hạn", "incident", "a signing fault"),
        ("Đối chiếu song phương với Agribank bị lệch 3 món", "incident", "wrong figures"),
        ("Nhận email giả mạo về TTSP, vài người đã bấm link", "incident", "phishing"),
        ("TTSP không gửi được lệnh đi, bị từ hôm qua", "incident", "it began before"),
    ],
)
def test_the_burst_never_links_another_kind_of_problem(text: str, type_: str, why: str) -> None:
    assert parent_for(report(text, type_=type_), [outage()], POLICY) is None, why


def test_monitorings_open_incident_is_the_preferred_parent_of_an_unclear_report() -> None:
    monitoring = OpenIncident(
        "M", "TTSP", T0, T0, "[Giám sát] TTSP: mất kết nối ngân hàng (timeout)", monitoring=True
    )
    users = outage()

    match = parent_for(report(UNCLEAR, unit=None), [users, monitoring], POLICY)

    assert match is not None and match.parent_id == "M"
    assert "monitoring confirmed the outage" in match.reasons[0]


def test_a_screen_that_will_not_open_because_the_system_is_down_is_the_outage() -> None:
    down = problem_of("Phân hệ quản lý chi không mở được, màn hình cứ quay rồi báo 503")
    broken_screen = problem_of("Không mở được màn hình tra cứu dự toán")

    assert down.kind == "outage"
    assert broken_screen.kind == "specific"


@pytest.mark.parametrize(
    "text",
    [
        "outgoing mail bounces since this morning",
        "the data warehouse reports have been hanging since 9:00",
        "Răng TCS không vô được rứa anh",
        "lệnh đi ngân hàng không đi, chưa nhận được phản hồi",
        "trang báo 503",
    ],
)
def test_outages_said_in_other_words_read_as_outages(text: str) -> None:
    assert problem_of(text).kind == "outage"


def test_unclear_is_compatible_with_anything_and_kinds_must_otherwise_agree() -> None:
    unclear, down = problem_of("TTSP có vấn đề"), problem_of("TTSP mất kết nối")
    printing, signing = problem_of("không in được, lỗi mẫu in"), problem_of("lỗi chữ ký số")

    assert compatible(unclear, down) and compatible(printing, unclear)
    assert not compatible(down, printing)
    assert not compatible(printing, signing)


def test_a_report_joining_an_outage_adds_its_unit_and_time() -> None:
    joined = outage(units=frozenset({"KB-A"})).reported_by("KB-C", T0 + timedelta(minutes=9))

    assert joined.units == {"KB-A", "KB-C"}
    assert joined.last_report_at == T0 + timedelta(minutes=9)
    assert outage().reported_by(None, T0).units == {"KB-A", "KB-B"}
