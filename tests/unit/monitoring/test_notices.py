"""A notice's lifecycle (announcement and maintenance flows) and who may publish one."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.monitoring.adapters.notices_store import view_of
from services.monitoring.domain.notices import (
    ANNOUNCEMENT,
    MAINTENANCE,
    InvalidTransition,
    Notice,
    check_opening,
    check_window,
    may_publish,
    may_publish_some,
)

T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
OWNERS = {"TABMIS": "TABMIS", "TTSP": "PAYMENT", "MAIL": "WORKSTATION"}


def a_notice(kind: str = ANNOUNCEMENT, status: str = "investigating") -> Notice:
    return Notice(
        id=uuid.uuid4(),
        kind=kind,
        title="TABMIS không đăng nhập được",
        applications=["TABMIS"],
        description="Người dùng không đăng nhập được TABMIS từ 08:10.",
        guidance="Tạm thời lập chứng từ giấy.",
        status=status,
        expected_fix_at=T0 + timedelta(hours=2),
        starts_at=T0 if kind == MAINTENANCE else None,
        ends_at=T0 + timedelta(hours=4) if kind == MAINTENANCE else None,
        actor="sd-lead",
        at=T0,
    )


def move(notice: Notice, status: str, minutes: int = 10, **changes: object) -> None:
    notice.post_update(
        status=status,
        message=f"→ {status}",
        actor="sd-agent",
        at=T0 + timedelta(minutes=minutes),
        **changes,  # type: ignore[arg-type]
    )


def test_an_announcement_walks_to_resolved_and_keeps_every_update() -> None:
    notice = a_notice()
    for i, status in enumerate(("identified", "monitoring", "resolved"), start=1):
        move(notice, status, minutes=10 * i)
    assert notice.status == "resolved" and not notice.is_open
    assert [u.status for u in notice.timeline()] == [
        "investigating",
        "identified",
        "monitoring",
        "resolved",
    ]
    assert notice.finished_at == T0 + timedelta(minutes=30)
    assert len(notice.collect_events()) == 4


def test_an_update_may_keep_the_status_or_step_back_from_monitoring() -> None:
    notice = a_notice(status="monitoring")
    move(notice, "monitoring")
    move(notice, "identified")
    assert notice.status == "identified"


@pytest.mark.parametrize(
    ("start", "to"),
    [("identified", "investigating"), ("monitoring", "investigating")],
)
def test_an_announcement_does_not_go_back_to_investigating(start: str, to: str) -> None:
    notice = a_notice(status=start)
    with pytest.raises(InvalidTransition):
        move(notice, to)


def test_a_resolved_announcement_is_final_and_nothing_is_recorded() -> None:
    notice = a_notice()
    move(notice, "resolved")
    notice.collect_events()
    with pytest.raises(InvalidTransition, match="final"):
        move(notice, "monitoring")
    assert notice.collect_events() == []
    assert notice.status == "resolved"


def test_a_maintenance_runs_scheduled_in_progress_completed() -> None:
    notice = a_notice(MAINTENANCE, "scheduled")
    move(notice, "in_progress", minutes=1)
    assert notice.started_at == T0 + timedelta(minutes=1)
    move(notice, "completed", minutes=90)
    assert (notice.status, notice.finished_at) == ("completed", T0 + timedelta(minutes=90))


@pytest.mark.parametrize(
    ("start", "to"),
    [("scheduled", "completed"), ("in_progress", "scheduled"), ("in_progress", "cancelled")],
)
def test_a_maintenance_refuses_moves_outside_its_flow(start: str, to: str) -> None:
    notice = a_notice(MAINTENANCE, start)
    with pytest.raises(InvalidTransition):
        move(notice, to)


def test_a_scheduled_maintenance_can_be_moved_but_not_once_started() -> None:
    notice = a_notice(MAINTENANCE, "scheduled")
    later = T0 + timedelta(days=1)
    move(notice, "scheduled", starts_at=later, ends_at=later + timedelta(hours=2))
    assert notice.starts_at == later
    with pytest.raises(InvalidTransition):
        move(notice, "scheduled", ends_at=T0 - timedelta(hours=1))
    move(notice, "in_progress")
    with pytest.raises(InvalidTransition, match="scheduled"):
        move(notice, "in_progress", ends_at=later + timedelta(hours=5))


def test_announcements_and_maintenance_open_with_their_own_statuses() -> None:
    check_opening(ANNOUNCEMENT, "identified")
    check_opening(MAINTENANCE, "in_progress")
    with pytest.raises(InvalidTransition):
        check_opening(ANNOUNCEMENT, "resolved")
    with pytest.raises(InvalidTransition):
        check_opening(MAINTENANCE, "completed")
    assert check_window(T0, T0) == "ends_at must be after starts_at"
    assert check_window(T0, T0 + timedelta(hours=1)) is None


@pytest.mark.parametrize(
    ("role", "group", "apps", "allowed"),
    [
        ("admin", None, ["TTSP"], True),
        ("group_agent", "SERVICE_DESK", ["TTSP"], True),
        ("group_lead", "TECHNICAL", ["TABMIS", "MAIL"], True),
        ("group_lead", "TABMIS", ["TABMIS"], True),
        ("group_lead", "TABMIS", ["TABMIS", "TTSP"], False),
        ("group_agent", "TABMIS", ["TABMIS"], False),
        ("province_it", None, ["TABMIS"], False),
        ("specialist", None, ["TABMIS"], False),
        ("analyst", None, ["TABMIS"], False),
        ("integration", None, ["TABMIS"], False),
        ("requester", None, ["TABMIS"], False),
        ("public", None, ["TABMIS"], False),
    ],
)
def test_who_may_publish(role: str, group: str | None, apps: list[str], allowed: bool) -> None:
    assert may_publish(role, group, apps, OWNERS) is allowed


@pytest.mark.parametrize(
    ("role", "group", "allowed"),
    [
        ("admin", None, True),
        ("group_lead", "PAYMENT", True),
        ("group_agent", "TECHNICAL", True),
        ("group_agent", "PAYMENT", False),
        ("province_it", None, False),
        ("public", None, False),
    ],
)
def test_who_may_publish_anything_at_all(role: str, group: str | None, allowed: bool) -> None:
    assert may_publish_some(role, group) is allowed


def test_the_view_carries_every_field_the_page_needs() -> None:
    notice = a_notice()
    move(notice, "identified", expected_fix_at=T0 + timedelta(hours=3))
    view = view_of(notice)
    assert view["status"] == "identified"
    assert view["expected_fix_at"] == (T0 + timedelta(hours=3)).isoformat()
    assert [u["status"] for u in view["updates"]] == ["investigating", "identified"]
    assert view["version"] == 2
