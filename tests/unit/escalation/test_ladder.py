"""The ladder's decisions on the shipped catalog, with no server and an explicit clock."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from libs.calendar.business import Calendar
from libs.catalog import Catalog, load_catalog
from services.escalation.domain import decisions
from services.escalation.domain.decisions import SlaSetup
from services.escalation.domain.escalation import TicketEscalation
from services.escalation.domain.known_errors import (
    KnownError,
    KnownErrorIndex,
    KnownErrorMove,
    file_known_error,
    responsible_department,
)
from services.escalation.domain.ladder import Actor, LadderError, NotYours, check_may_act, next_step
from services.escalation.domain.proposals import (
    ProposalLine,
    digest_by_department,
    digest_mail,
    previous_month,
)
from services.escalation.domain.sla_policy import SlaCatalog

VN = ZoneInfo("Asia/Ho_Chi_Minh")
# Tuesday 3 March 2026, 08:00 in Hà Nội: an ordinary working morning.
MORNING = datetime(2026, 3, 3, 8, 0, tzinfo=VN)
HNI = Actor("Phòng Tin học Hà Nội", "province_it", province="HNI")
HCM = Actor("Phòng Tin học TP.HCM", "province_it", province="HCM")
TABMIS = Actor("Nhóm TABMIS", "group_agent", group="TABMIS")
SPECIALIST = Actor("Phòng QTUD", "specialist")


@pytest.fixture(scope="module")
def org() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def setup(catalog: SlaCatalog, calendars: dict[str, Calendar]) -> SlaSetup:
    return SlaSetup(catalog, calendars)


def _placed(
    setup: SlaSetup,
    kind: str = "province",
    office: str = "PTH-HNI",
    priority: str = "P2",
    received_at: datetime = MORNING,
) -> TicketEscalation:
    return decisions.place_routed_ticket(
        uuid.uuid4(),
        str(uuid.uuid4()),
        kind,
        office,
        "TABMIS",
        "TABMIS",
        priority,
        "incident",
        received_at,
        received_at,
        setup,
    )


@pytest.mark.parametrize(
    ("tier", "cause", "expected"),
    [
        ("L1", None, ("L2", "TABMIS")),
        ("ITO", None, ("L2", "TABMIS")),
        ("L2", None, ("L3", "CNTT-QTUD")),
        ("L2", "infrastructure", ("L3", "CNTT-HTTT")),
        ("L2", "data", ("L3", "CNTT-CSDL")),
        ("L3", None, ("L4", "VD-ORACLE")),
    ],
)
def test_each_step_up_goes_where_the_catalog_says(
    org: Catalog, tier: str, cause: str | None, expected: tuple[str, str]
) -> None:
    assert next_step(tier, "TABMIS", "TABMIS", org, cause) == expected


def test_nothing_is_past_l4(org: Catalog) -> None:
    with pytest.raises(LadderError, match="L4"):
        next_step("L4", "TABMIS", "TABMIS", org)


@pytest.mark.parametrize(
    ("actor", "owner", "handler", "tier", "allowed"),
    [
        (HNI, "PTH-HNI", "PTH-HNI", "L1", True),
        (HCM, "PTH-HNI", "PTH-HNI", "L1", False),
        (HNI, "PTH-HNI", "TABMIS", "L2", True),  # the owner follows up
        (TABMIS, "PTH-HNI", "TABMIS", "L2", True),
        (
            Actor("Nhóm Thanh toán", "group_agent", group="PAYMENT"),
            "PTH-HNI",
            "TABMIS",
            "L2",
            False,
        ),
        (SPECIALIST, "PTH-HNI", "CNTT-QTUD", "L3", True),
        (SPECIALIST, "PTH-HNI", "PTH-HNI", "L1", False),
        (Actor("Phân tích", "analyst"), "PTH-HNI", "PTH-HNI", "L1", False),
        (Actor("admin", "admin"), "PTH-HNI", "PTH-HNI", "L1", True),
    ],
)
def test_who_may_act_on_a_ticket(
    org: Catalog, actor: Actor, owner: str, handler: str, tier: str, allowed: bool
) -> None:
    if allowed:
        check_may_act(actor, owner, handler, tier, org)
    else:
        with pytest.raises(NotYours):
            check_may_act(actor, owner, handler, tier, org)


def test_escalating_keeps_the_owner_and_returning_brings_it_home(
    org: Catalog, setup: SlaSetup
) -> None:
    ticket = _placed(setup)
    later = MORNING + timedelta(hours=1)
    decisions.escalate(ticket, "cần nhóm TABMIS", HNI, later, org)
    decisions.escalate(ticket, "cần phòng QTUD", TABMIS, later, org)
    assert (ticket.tier, ticket.owner, ticket.handler) == ("L3", "PTH-HNI", "CNTT-QTUD")

    decisions.return_to_owner(ticket, "đã sửa cấu hình", SPECIALIST, later, org)

    assert (ticket.tier, ticket.owner, ticket.handler) == ("L1", "PTH-HNI", "PTH-HNI")
    assert ticket.path == ["L1", "L2", "L3", "L1"]
    with pytest.raises(LadderError, match="already with its owner"):
        decisions.return_to_owner(ticket, "x", HNI, later, org)


def test_a_resolved_ticket_cannot_move(org: Catalog, setup: SlaSetup) -> None:
    ticket = _placed(setup)
    decisions.on_status(ticket, "resolved", "in_progress", "fulfilled", MORNING, setup)
    with pytest.raises(LadderError, match="resolved"):
        decisions.escalate(ticket, "why", HNI, MORNING, org)


def test_taking_the_ticket_is_its_first_response(org: Catalog, setup: SlaSetup) -> None:
    ticket = _placed(setup)
    decisions.take(ticket, "Lê Văn Tâm", HNI, MORNING + timedelta(minutes=5), org, setup)
    assert ticket.assignee == "Lê Văn Tâm"
    assert ticket.sla_summary is not None and ticket.sla_summary["responded"] is True
    assert decisions.due_breaches(ticket, MORNING + timedelta(days=30), setup) == [
        ("resolution", decisions.clock_of(ticket, setup).resolution_due)  # type: ignore[union-attr]
    ]


def test_waiting_for_the_requester_pauses_the_clock(setup: SlaSetup) -> None:
    ticket = _placed(setup)
    due = ticket.sla_summary["resolution_due"]  # type: ignore[index]
    decisions.on_status(
        ticket, "waiting_requester", "in_progress", None, MORNING + timedelta(hours=1), setup
    )
    assert ticket.sla_summary["paused"] is True  # type: ignore[index]
    decisions.on_status(
        ticket, "in_progress", "waiting_requester", None, MORNING + timedelta(hours=3), setup
    )
    resumed = ticket.sla_summary["resolution_due"]  # type: ignore[index]
    assert datetime.fromisoformat(resumed) - datetime.fromisoformat(due) >= timedelta(hours=2)


def test_a_breach_is_recorded_once_and_escalates_one_step(org: Catalog, setup: SlaSetup) -> None:
    ticket = _placed(setup, priority="P1")
    late = MORNING + timedelta(minutes=30)  # response (15 min) missed, resolution (4 h) not

    assert decisions.record_breaches(ticket, late, org, setup) == ["response"]
    assert decisions.record_breaches(ticket, late, org, setup) == []
    assert (ticket.tier, ticket.handler, ticket.owner) == ("L2", "TABMIS", "PTH-HNI")

    much_later = MORNING + timedelta(days=2)
    assert decisions.record_breaches(ticket, much_later, org, setup) == ["resolution"]
    assert ticket.tier == "L3"
    assert decisions.record_breaches(ticket, much_later, org, setup) == []


def test_the_ito_queue_counts_nights_and_holidays(setup: SlaSetup) -> None:
    # Tết 2024: the treasury is closed, the outsourced vendor is not.
    tet = datetime(2024, 2, 10, 22, 0, tzinfo=VN)
    ito = _placed(setup, kind="ito", office="ITO", priority="P3", received_at=tet)
    treasury = _placed(setup, priority="P3", received_at=tet)
    assert ito.tier == "ITO"
    assert ito.sla_summary["resolution_due"] < treasury.sla_summary["resolution_due"]  # type: ignore[index]
    assert datetime.fromisoformat(treasury.sla_summary["response_due"]) > datetime(  # type: ignore[index]
        2024, 2, 14, tzinfo=VN
    )


def test_software_bugs_open_then_join_one_known_error(org: Catalog) -> None:
    index = KnownErrorIndex(id=uuid.uuid4(), application="TABMIS", department="CNTT-QTUD")
    first = file_known_error(
        index, None, uuid.uuid4(), "t-1", "TABMIS", "CNTT-QTUD", "Lỗi kết sổ", MORNING
    )
    joined = file_known_error(
        index, first, uuid.uuid4(), "t-2", "TABMIS", "CNTT-QTUD", "Lỗi kết sổ", MORNING
    )
    assert joined is first and first.tickets == ["t-1", "t-2"]
    assert first.number == "KE-2026-TABMIS-001"

    first.move_to("fix_in_progress", "đang sửa", "Phòng QTUD", MORNING)
    first.move_to("released", "bản vá 2.1", "Phòng QTUD", MORNING)
    with pytest.raises(KnownErrorMove):
        first.move_to("fix_in_progress", "", "x", MORNING)

    after = file_known_error(
        index, first, uuid.uuid4(), "t-3", "TABMIS", "CNTT-QTUD", "Lỗi mới", MORNING
    )
    assert isinstance(after, KnownError) and after is not first
    assert after.number == "KE-2026-TABMIS-002"


def test_the_department_that_handled_it_at_l3_is_responsible(org: Catalog) -> None:
    assert responsible_department("TABMIS", ["PTH-HNI", "TABMIS", "CNTT-CSDL"], org) == "CNTT-CSDL"
    assert responsible_department("TABMIS", ["PTH-HNI"], org) == "CNTT-QTUD"


def test_proposals_are_gathered_per_department_in_vietnamese(org: Catalog) -> None:
    lines = [
        ProposalLine("a", "YC-2026-000001", "Đề xuất thêm báo cáo", "TABMIS", "HNI", MORNING),
        ProposalLine("b", "YC-2026-000002", "Góp ý giao diện", "TABMIS", "HCM", MORNING),
        ProposalLine("c", "YC-2026-000003", "Kiến nghị quy trình", None, None, MORNING),
    ]
    digest = digest_by_department(lines, org)
    assert {(d["department"], d["count"]) for d in digest} == {
        ("CNTT-QTUD", 2),
        ("SERVICE_DESK", 1),
    }
    subject, body = digest_mail("2026-03", digest[0])
    assert subject == "[Hotro] Tổng hợp góp ý, đề xuất tháng 3/2026"
    assert "YC-2026-000001" in body and "Kính gửi" in body


def test_reclassifying_moves_what_the_old_group_held_to_the_new_one(setup: SlaSetup) -> None:
    central = _placed(setup, kind="central", office="TABMIS")
    decisions.regroup(central, "PAYMENT", "TTSP", "Service Desk", MORNING)
    assert (central.group, central.owner, central.handler) == ("PAYMENT", "PAYMENT", "PAYMENT")

    province = _placed(setup)
    decisions.regroup(province, "PAYMENT", "TTSP", "Service Desk", MORNING)
    assert (province.group, province.owner, province.handler) == ("PAYMENT", "PTH-HNI", "PTH-HNI")


@pytest.mark.parametrize(
    ("now", "month"),
    [
        (datetime(2026, 12, 1, 0, 30, tzinfo=VN), "2026-11"),
        (datetime(2026, 11, 30, 17, 30, tzinfo=ZoneInfo("UTC")), "2026-11"),  # 00:30 on 1 Dec in VN
        (datetime(2027, 1, 15, 9, 0, tzinfo=VN), "2026-12"),
    ],
)
def test_the_monthly_digest_covers_the_month_before_in_hanoi_time(
    now: datetime, month: str
) -> None:
    assert previous_month(now) == month


def test_a_ticket_received_long_before_it_reached_hotro_never_breaches(
    org: Catalog, setup: SlaSetup
) -> None:
    """Issue 16: an old `received_at` (an import) breached at once and escalated itself."""
    received = MORNING - timedelta(days=400)
    arrived = MORNING
    history = decisions.place_routed_ticket(
        uuid.uuid4(), str(uuid.uuid4()), "province", "PTH-HNI", "TABMIS", "TABMIS", "P1",
        "incident", received, arrived, setup, arrived_at=arrived,
    )  # fmt: skip
    late_call = decisions.place_routed_ticket(
        uuid.uuid4(), str(uuid.uuid4()), "province", "PTH-HNI", "TABMIS", "TABMIS", "P1",
        "incident", arrived - timedelta(hours=3), arrived, setup, arrived_at=arrived,
    )  # fmt: skip

    assert history.sla is None
    assert decisions.record_breaches(history, arrived + timedelta(days=30), org, setup) == []
    assert history.tier == "L1"
    # Logged three hours late, a call keeps its clock from when it was received.
    assert late_call.sla is not None
    assert decisions.record_breaches(late_call, arrived, org, setup) != []
    assert decisions.is_history(
        arrived - timedelta(hours=setup.catalog.history_after_hours, seconds=1), arrived,
        setup.catalog,
    )  # fmt: skip
