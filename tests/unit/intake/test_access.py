"""Who may read and act on which ticket (SPEC §8), role by role."""

from __future__ import annotations

import pytest

from services.intake.domain.access import (
    Forbidden,
    Principal,
    TicketScope,
    can_read,
    check_may,
    check_role,
    covers_province,
    sees_internal_notes,
)

HNI_TABMIS = TicketScope(province="HNI", group="TABMIS", requester_email="lan@kbnn.gov.vn")

CALLERS = {
    "admin": Principal("root", "admin"),
    "integration": Principal("mail gateway", "integration"),
    "hni": Principal("PTH-HNI", "province_it", province="HNI"),
    "hcm": Principal("PTH-HCM", "province_it", province="HCM"),
    "tabmis": Principal("Nhóm TABMIS", "group_agent", group="TABMIS"),
    "payment": Principal("Nhóm TT", "group_lead", group="PAYMENT"),
    "desk": Principal("Service Desk", "group_agent", group="SERVICE_DESK"),
    "specialist": Principal("QTUD", "specialist"),
    "analyst": Principal("Phân tích", "analyst"),
    "lan": Principal("Lan", "requester", email="LAN@kbnn.gov.vn"),
    "binh": Principal("Bình", "requester", email="binh@kbnn.gov.vn"),
}


@pytest.mark.parametrize(
    ("caller", "reads"),
    [("admin", True), ("integration", True), ("hni", True), ("hcm", False), ("tabmis", True),
     ("payment", True), ("specialist", True), ("analyst", True), ("lan", True), ("binh", False)],
)  # fmt: skip
def test_who_reads_a_hanoi_tabmis_ticket(caller: str, reads: bool) -> None:
    assert can_read(CALLERS[caller], HNI_TABMIS) is reads


@pytest.mark.parametrize(
    ("caller", "action", "allowed"),
    [
        ("hni", "resolve", True), ("hcm", "resolve", False), ("tabmis", "wait", True),
        ("payment", "wait", False), ("desk", "close", True), ("specialist", "comment_internal", True),
        ("specialist", "resolve", False), ("analyst", "comment_public", False),
        ("analyst", "resolve", False), ("lan", "comment_public", True), ("lan", "reopen", True),
        ("lan", "comment_internal", False), ("lan", "resolve", False), ("binh", "comment_public", False),
        ("integration", "resolve", True), ("admin", "close", True),
    ],
)  # fmt: skip
def test_who_may_act_on_a_hanoi_tabmis_ticket(caller: str, action: str, allowed: bool) -> None:
    if allowed:
        check_may(CALLERS[caller], action, HNI_TABMIS)
    else:
        with pytest.raises(Forbidden):
            check_may(CALLERS[caller], action, HNI_TABMIS)


def test_only_requesters_miss_internal_notes() -> None:
    assert not sees_internal_notes(CALLERS["lan"])
    assert all(sees_internal_notes(c) for k, c in CALLERS.items() if k not in ("lan", "binh"))


def test_an_analyst_never_writes_and_the_message_says_so_in_both_languages() -> None:
    with pytest.raises(Forbidden, match=r"chỉ được xem.*read-only"):
        check_may(CALLERS["analyst"], "comment_public", HNI_TABMIS)
    with pytest.raises(Forbidden):
        check_role(CALLERS["analyst"], frozenset({"admin"}), "issue tokens")


def test_a_successor_province_reads_and_acts_on_what_the_province_it_absorbed_filed() -> None:
    """Issue 14: Hà Giang merged into Tuyên Quang on 1 July 2025; its old tickets carry HGG."""
    tuyen_quang = Principal("Phòng Tin học Tuyên Quang", "province_it", province="TQG",
                            absorbed=frozenset({"HGG"}))  # fmt: skip
    old_ha_giang = TicketScope(province="HGG", group="TABMIS", requester_email=None)
    lao_cai = TicketScope(province="LCI", group="TABMIS", requester_email=None)

    assert can_read(tuyen_quang, old_ha_giang) and covers_province(tuyen_quang, "TQG")
    check_may(tuyen_quang, "escalate", old_ha_giang)
    assert not can_read(tuyen_quang, lao_cai)
    with pytest.raises(Forbidden):
        check_may(tuyen_quang, "escalate", lao_cai)
