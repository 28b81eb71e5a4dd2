"""The desk's decisions on a ticket (issue 13), pure: the impact × urgency matrix, who may
state a priority, corrections, merge rules, canned replies and who `assign` may name."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from libs.calendar.loader import CalendarConfigError
from libs.catalog import load_catalog
from services.intake.adapters.desk_catalog import load_canned_replies, load_priority_matrix
from services.intake.domain.agents import AgentRefused, check_agent, pick_assignee
from services.intake.domain.canned_replies import (
    CannedReplies,
    CannedReplyRefused,
    render,
)
from services.intake.domain.priority import (
    PriorityRefused,
    check_priority_change,
    submission_priority,
)
from services.intake.domain.ticket import MergeRefused, Ticket, TicketClosed

AT = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)
MATRIX = load_priority_matrix()
CATALOG = load_catalog()


def _ticket(province: str = "HNI", channel: str = "web", number: int = 1) -> Ticket:
    return Ticket(
        id=uuid.uuid4(), number=f"YC-2026-{number:06d}", channel=channel,
        requester={"name": "Nguyễn Thị Lan", "email": "lan@kbnn.gov.vn", "phone": None,
                   "unit_code": f"KBNN-{province}", "unit": None},
        subject="Không đăng nhập được TABMIS", description="ORA-12541", received_at=AT,
        application_code=None, priority="P3", unit_kind="kbnn_province", unit_province=province,
        submitted_by="public",
    )  # fmt: skip


def _events(ticket: Ticket) -> list[str]:
    return [type(e).__name__ for e in ticket.collect_events()]


# --- the matrix --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("impact", "urgency", "priority"),
    [("high", "high", "P1"), ("high", "medium", "P2"), ("medium", "medium", "P3"),
     ("medium", "high", "P2"), ("low", "low", "P4"), ("low", "high", "P3")],
)  # fmt: skip
def test_the_shipped_matrix_gives_itils_priorities(
    impact: str, urgency: str, priority: str
) -> None:
    assert MATRIX.priority_for(impact, urgency) == priority


def test_an_anonymous_p1_is_only_high_urgency_and_never_a_p1() -> None:
    assert submission_priority(None, "P1", None, None, MATRIX)[:2] == ("P2", "high")
    # Even on a critical application the public's report stops at the ceiling.
    priority, urgency, basis = submission_priority("requester", "P1", None, "TABMIS", MATRIX)
    assert (priority, urgency) == ("P2", "high") and "at most P2" in basis


def test_without_a_word_a_web_ticket_is_medium_by_medium() -> None:
    assert submission_priority(None, None, None, None, MATRIX)[0] == "P3"
    assert submission_priority(None, None, "low", "PORTAL", MATRIX)[0] == "P4"


def test_the_desk_and_monitoring_state_their_priority() -> None:
    assert submission_priority("integration", "P1", None, None, MATRIX)[:3:2] == ("P1", "stated")
    assert submission_priority("province_it", "P4", None, "TABMIS", MATRIX)[0] == "P4"
    assert submission_priority("province_it", None, "high", "TABMIS", MATRIX)[0] == "P1"


def test_an_unknown_urgency_is_refused_naming_the_field() -> None:
    with pytest.raises(PriorityRefused) as refused:
        submission_priority(None, None, "gấp", None, MATRIX)
    assert refused.value.field == "urgency"


def test_a_matrix_with_a_missing_pair_is_refused_with_its_file_and_line(tmp_path: Path) -> None:
    text = (Path(__file__).parents[3] / "catalog" / "priority.yaml").read_text(encoding="utf-8")
    (tmp_path / "priority.yaml").write_text(
        text.replace("low: {high: P3, medium: P4, low: P4}", "low: {high: P3}"), encoding="utf-8"
    )
    with pytest.raises(CalendarConfigError) as error:
        load_priority_matrix(tmp_path)
    assert "priority.yaml" in str(error.value) and "matrix" in str(error.value)


def test_a_priority_change_needs_a_known_priority_and_a_reason() -> None:
    with pytest.raises(PriorityRefused) as refused:
        check_priority_change("P1", "   ")
    assert refused.value.field == "reason"
    with pytest.raises(PriorityRefused):
        check_priority_change("P0", "ngừng toàn tỉnh")


# --- the ticket --------------------------------------------------------------------------


def test_a_priority_change_is_one_event_and_a_repeat_is_none() -> None:
    ticket = _ticket()
    ticket.collect_events()
    assert ticket.change_priority("P1", "Cả tỉnh không vào được", "Quản trị", AT) is True
    assert ticket.change_priority("P1", "lần nữa", "Quản trị", AT) is False
    assert _events(ticket) == ["PriorityChanged"] and ticket.priority == "P1"


def test_a_correction_records_only_what_differs_with_its_previous_value() -> None:
    ticket = _ticket()
    ticket.collect_events()
    changes = {"subject": "Không đăng nhập được TABMIS phân hệ GL", "unit_province": "HNI"}
    assert ticket.correct(changes, "gõ nhầm", "Quản trị", AT) is True
    [event] = ticket.collect_events()
    assert event.changes == {"subject": changes["subject"]}  # type: ignore[attr-defined]
    assert event.previous == {"subject": "Không đăng nhập được TABMIS"}  # type: ignore[attr-defined]
    assert ticket.correct(changes, "lần nữa", "Quản trị", AT) is False


def test_a_merge_closes_one_into_the_other_and_both_remember() -> None:
    merged, survivor = _ticket(number=1), _ticket(number=2)
    merged.collect_events(), survivor.collect_events()
    assert merged.merge_into(survivor, "cùng một yêu cầu", "Quản trị", AT) is True
    assert _events(merged) == ["Merged", "StatusChanged"] and merged.status == "closed"
    assert _events(survivor) == ["MergeReceived"] and survivor.merged == [str(merged.id)]
    assert merged.merge_into(survivor, "lần nữa", "Quản trị", AT) is False  # a retry
    with pytest.raises(TicketClosed):
        merged.comment("Lan", "requester", "public", "còn đó không?", AT)


@pytest.mark.parametrize(
    ("case", "why"),
    [("itself", "chính nó"), ("closed", "đã đóng"), ("province", "tỉnh khác"),
     ("monitoring", "giám sát"), ("elsewhere", "đã được gộp")],
)  # fmt: skip
def test_merges_that_make_no_sense_are_refused(case: str, why: str) -> None:
    merged = _ticket(channel="monitoring" if case == "monitoring" else "web", number=1)
    survivor = _ticket(province="HCM" if case == "province" else "HNI", number=2)
    if case == "closed":
        survivor.resolve("x", AT, "fulfilled"), survivor.close("x", AT)
    if case == "elsewhere":
        merged.merge_into(_ticket(number=3), "trùng", "x", AT)
    with pytest.raises(MergeRefused, match=why):
        merged.merge_into(merged if case == "itself" else survivor, "trùng", "x", AT)


# --- canned replies ----------------------------------------------------------------------


def test_a_canned_reply_is_rendered_from_the_ticket_and_the_operators_values() -> None:
    reply = load_canned_replies().find("tabmis-mo-ky")
    assert reply is not None
    values = {"ticket_number": "YC-2026-000007", "application": "TABMIS", "requester_name": "Lan"}
    text = render(reply, values, {"period": "11/2026"})
    assert "Kỳ kế toán 11/2026 trên TABMIS" in text and "YC-2026-000007" in text
    with pytest.raises(CannedReplyRefused) as missing:
        render(reply, values, {})
    assert missing.value.field == "values.period"
    with pytest.raises(CannedReplyRefused) as unknown:
        render(reply, values, {"period": "11/2026", "requester_name": "Người khác"})
    assert unknown.value.field == "values.requester_name"


def test_a_template_naming_an_unknown_placeholder_is_refused_at_load() -> None:
    reply: dict[str, Any] = {"id": "x", "groups": ["*"], "title": "X", "body": "Chào {ten}"}
    with pytest.raises(ValueError, match="unknown placeholders"):
        CannedReplies.model_validate({"replies": [reply]})


# --- the agent directory -----------------------------------------------------------------


def test_assign_names_an_active_person_where_the_ticket_is() -> None:
    tam = check_agent("Lê Văn  Tâm", "Tam@kbnn.gov.vn", "pth-hni", [], "province_it", CATALOG)
    gone = check_agent("Trần Văn Cũ", "cu@kbnn.gov.vn", "PTH-HNI", [], "province_it", CATALOG)
    gone = type(gone)(**{**gone.__dict__, "active": False})
    group = check_agent("Phạm Thu", "thu@kbnn.gov.vn", "SERVICE_DESK", ["TABMIS"],
                        "group_agent", CATALOG)  # fmt: skip
    people = [tam, gone, group]
    assert pick_assignee("le van tam", "PTH-HNI", people).name == "Lê Văn Tâm"
    assert pick_assignee("tam@kbnn.gov.vn", "PTH-HNI", people) == tam
    assert pick_assignee("Phạm Thu", "TABMIS", people) == group
    for given, handler, why in [
        ("   ", "PTH-HNI", "Name the person"), ("Ai Đó", "PTH-HNI", "No person"),
        ("Trần Văn Cũ", "PTH-HNI", "deactivated"), ("Lê Văn Tâm", "TABMIS", "does not work"),
    ]:  # fmt: skip
        with pytest.raises(AgentRefused, match=why) as refused:
            pick_assignee(given, handler, people)
        assert refused.value.field == "assignee"


def test_a_person_needs_a_known_office_and_groups() -> None:
    with pytest.raises(AgentRefused) as refused:
        check_agent("A", "a@kbnn.gov.vn", "PTH-XYZ", [], "province_it", CATALOG)
    assert refused.value.field == "office"
    with pytest.raises(AgentRefused) as refused:
        check_agent("A", "a@kbnn.gov.vn", "TABMIS", ["KHONG"], "group_agent", CATALOG)
    assert refused.value.field == "groups"
