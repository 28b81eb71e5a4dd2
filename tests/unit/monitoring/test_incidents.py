"""Incident decisions (SPEC §5): one incident per outage, attach, resolve with the duration,
reopen within the quiet period, WAN districts with too few working channels, alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from services.monitoring.domain.incidents import (
    OPEN,
    RESOLVED,
    Alert,
    CheckDown,
    District,
    Incident,
    Policy,
    Recovery,
    alert_failure,
    check_failure,
    district_failure,
    line_id,
    line_key,
)

T0 = datetime(2026, 12, 1, 1, 5, 12, tzinfo=UTC)  # 08:05:12 in Hà Nội
POLICY = Policy(reopen_within=timedelta(minutes=30), wan_min_working=2)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def a_line(key: str = line_key("check", "tabmis-web")) -> Incident:
    return Incident(
        id=line_id(key),
        key=key,
        source="check",
        application="TABMIS",
        check_id="tabmis-web",
        fingerprint=None,
    )


def down(at: datetime, reason: str = "HTTP 503", priority: str = "P1") -> Any:
    return check_failure(
        CheckDown(
            check_id="tabmis-web",
            application="TABMIS",
            name="TABMIS — trang đăng nhập",
            target="https://tabmis.kbnn.vn/",
            since=at,
            at=at + timedelta(seconds=60),
            reason=reason,
            priority=priority,
            failures=2,
        )
    )


def event_names(incident: Incident) -> list[str]:
    return [type(e).__name__ for e in incident.collect_events()]


def test_a_target_that_goes_down_opens_one_incident_with_its_priority() -> None:
    line = a_line()
    assert line.hear_failure(down(T0), POLICY) == "opened"
    assert line.status == OPEN and line.priority == "P1" and line.down_since == T0
    assert line.incident_id is not None
    assert "TABMIS" in line.subject and "08:05:12 ngày 01/12/2026" in line.description
    assert event_names(line) == ["Registered", "Opened"]


def test_the_same_failure_told_again_attaches_nothing() -> None:
    line = a_line()
    line.hear_failure(down(T0), POLICY)
    line.collect_events()
    assert line.hear_failure(down(T0 + minutes(5)), POLICY) is None
    assert event_names(line) == []


def test_a_later_failure_with_news_attaches_to_the_open_incident() -> None:
    line = a_line()
    line.hear_failure(down(T0), POLICY)
    first = line.incident_id
    assert line.hear_failure(down(T0 + minutes(5), reason="timeout"), POLICY) == "updated"
    assert line.incident_id == first and line.reason == "timeout"


def test_recovery_resolves_with_the_outage_duration() -> None:
    line = a_line()
    line.hear_failure(down(T0), POLICY)
    assert line.hear_recovery(Recovery(since=T0 + minutes(42), at=T0 + minutes(43))) == "resolved"
    events = line.collect_events()
    resolved: Any = events[-1]
    assert line.status == RESOLVED
    assert resolved.recovered_at == T0 + minutes(42)
    assert resolved.outage_seconds == 42 * 60 and resolved.outage_minutes == 42.0


def test_recovery_with_nothing_open_or_older_than_the_failure_changes_nothing() -> None:
    line = a_line()
    assert line.hear_recovery(Recovery(since=T0, at=T0)) is None
    line.hear_failure(down(T0), POLICY)
    assert line.hear_recovery(Recovery(since=T0 - minutes(1), at=T0)) is None
    assert line.status == OPEN


def test_a_failure_within_the_quiet_period_reopens_the_same_incident() -> None:
    line = a_line()
    line.hear_failure(down(T0), POLICY)
    first = line.incident_id
    line.hear_recovery(Recovery(since=T0 + minutes(10), at=T0 + minutes(11)))
    assert line.hear_failure(down(T0 + minutes(25)), POLICY) == "reopened"
    assert line.incident_id == first and line.status == OPEN and line.down_since == T0
    line.hear_recovery(Recovery(since=T0 + minutes(30), at=T0 + minutes(31)))
    resolved: Any = line.collect_events()[-1]
    # Both down periods count (10 + 5 minutes), not the quiet time between them.
    assert resolved.outage_minutes == 15.0


def test_a_failure_after_the_quiet_period_opens_a_new_incident() -> None:
    line = a_line()
    line.hear_failure(down(T0), POLICY)
    first = line.incident_id
    line.hear_recovery(Recovery(since=T0 + minutes(10), at=T0 + minutes(11)))
    assert line.hear_failure(down(T0 + minutes(41)), POLICY) == "opened"
    assert line.incident_id != first and line.down_since == T0 + minutes(41)


def test_a_failure_from_before_the_recovery_told_late_changes_nothing() -> None:
    line = a_line()
    line.hear_failure(down(T0), POLICY)
    line.hear_recovery(Recovery(since=T0 + minutes(10), at=T0 + minutes(11)))
    assert line.hear_failure(down(T0), POLICY) is None
    assert line.status == RESOLVED


def test_the_aggregate_rebuilt_from_its_events_is_the_same() -> None:
    line = a_line()
    line.hear_failure(down(T0), POLICY)
    line.hear_recovery(Recovery(since=T0 + minutes(3), at=T0 + minutes(4)))
    events = line.collect_events()
    copy: Any = None
    for e in events:
        copy = e.mutate(copy)
    assert (copy.status, copy.incident_id, copy.recovered_at) == (
        RESOLVED,
        line.incident_id,
        T0 + minutes(3),
    )


# -- WAN districts --------------------------------------------------------------------------

BENCAT = District(
    code="KBNN-BDG-BENCAT",
    name="KBNN Bến Cát",
    province="BDG",
    province_name="Bình Dương",
    channels=("wan-bdg-bencat-1", "wan-bdg-bencat-2"),
)
INFO = {
    "wan-bdg-bencat-1": {
        "name": "Kênh truyền 1 KBNN Bến Cát (VNPT)",
        "carrier": "VNPT",
        "carrier_contact": "Trung tâm Điều hành thông tin VNPT",
        "carrier_phone": "1800 1260",
        "reason": "connection refused",
    },
    "wan-bdg-bencat-2": {
        "name": "Kênh truyền 2 KBNN Bến Cát (FPT)",
        "carrier": "FPT",
        "carrier_contact": "Trung tâm Chăm sóc khách hàng doanh nghiệp FPT Telecom",
        "carrier_phone": "1900 6600",
        "reason": "timeout",
    },
}


def a_district() -> Incident:
    key = line_key("wan", BENCAT.code)
    return Incident(
        id=line_id(key), key=key, source="wan", application=None, check_id=None, fingerprint=None
    )


def note(line: Incident, channel: str, state: str, at: datetime) -> None:
    line.note_channel(channel, state, at, INFO[channel])


def test_a_district_with_one_channel_down_has_fewer_than_two_working_it_is_an_incident() -> None:
    line = a_district()
    note(line, "wan-bdg-bencat-1", "down", T0)
    failure = district_failure(BENCAT, line.channels, POLICY, T0, "P2")
    assert failure is not None and failure.priority == "P2"
    assert "chỉ còn 1/2 kênh truyền" in failure.description
    assert "KBNN Bến Cát" in failure.description and "Bình Dương" in failure.description
    assert "Kênh truyền 1 KBNN Bến Cát (VNPT)" in failure.description
    assert "Trung tâm Điều hành thông tin VNPT" in failure.description
    assert "1800 1260" in failure.description
    assert "FPT" not in failure.description  # the working channel is not named


def test_both_channels_down_is_p1_and_attaches_to_the_district_incident() -> None:
    line = a_district()
    note(line, "wan-bdg-bencat-1", "down", T0)
    first = district_failure(BENCAT, line.channels, POLICY, T0, "P2")
    assert first is not None and line.hear_failure(first, POLICY) == "opened"
    note(line, "wan-bdg-bencat-2", "down", T0 + minutes(2))
    both = district_failure(BENCAT, line.channels, POLICY, T0 + minutes(2), "P2")
    assert both is not None and both.priority == "P1" and both.since == T0
    assert "1900 6600" in both.description and "chỉ còn 0/2" in both.description
    assert line.hear_failure(both, POLICY) == "updated"
    assert line.priority == "P1"


def test_a_district_is_resolved_when_enough_channels_work_again() -> None:
    line = a_district()
    note(line, "wan-bdg-bencat-1", "down", T0)
    note(line, "wan-bdg-bencat-2", "down", T0)
    failure = district_failure(BENCAT, line.channels, POLICY, T0, "P2")
    assert failure is not None
    line.hear_failure(failure, POLICY)
    note(line, "wan-bdg-bencat-2", "up", T0 + minutes(5))
    still = district_failure(BENCAT, line.channels, POLICY, T0 + minutes(5), "P2")
    assert still is not None and still.priority == "P2"  # one channel back: still too few
    note(line, "wan-bdg-bencat-1", "up", T0 + minutes(9))
    assert district_failure(BENCAT, line.channels, POLICY, T0 + minutes(9), "P2") is None


def test_with_a_threshold_of_one_working_channel_one_down_is_no_incident() -> None:
    lenient = Policy(wan_min_working=1)
    line = a_district()
    note(line, "wan-bdg-bencat-1", "down", T0)
    assert district_failure(BENCAT, line.channels, lenient, T0, "P2") is None
    note(line, "wan-bdg-bencat-2", "down", T0)
    failure = district_failure(BENCAT, line.channels, lenient, T0, "P2")
    assert failure is not None and failure.priority == "P1"


def test_a_channel_state_noted_twice_is_no_news() -> None:
    line = a_district()
    assert line.note_channel("wan-bdg-bencat-1", "down", T0, INFO["wan-bdg-bencat-1"])
    assert not line.note_channel("wan-bdg-bencat-1", "down", T0, INFO["wan-bdg-bencat-1"])


# -- Alertmanager ---------------------------------------------------------------------------


def an_alert(**changes: Any) -> Alert:
    values: dict[str, Any] = {
        "fingerprint": "c3a1f0e2b4d5a6b7",
        "status": "firing",
        "name": "TabmisDbDown",
        "application": "TABMIS",
        "priority": "P1",
        "starts_at": T0,
        "ends_at": None,
        "summary": "Oracle listener không phản hồi",
        "description": "CPU 93%",
        "labels": {"alertname": "TabmisDbDown", "application": "TABMIS"},
    }
    values.update(changes)
    return Alert(**values)


def test_a_repeated_alert_changes_nothing_even_when_its_text_changes() -> None:
    key = line_key("alertmanager", "c3a1f0e2b4d5a6b7")
    line = Incident(
        id=line_id(key), key=key, source="alertmanager", application="TABMIS", check_id=None,
        fingerprint="c3a1f0e2b4d5a6b7",
    )  # fmt: skip
    assert line.hear_failure(alert_failure(an_alert(), T0), POLICY) == "opened"
    repeat = alert_failure(an_alert(description="CPU 95%"), T0 + minutes(5))
    assert line.hear_failure(repeat, POLICY) is None
    assert line.hear_recovery(Recovery(since=T0 + minutes(20), at=T0 + minutes(21))) == "resolved"
    assert line.hear_recovery(Recovery(since=T0 + minutes(20), at=T0 + minutes(30))) is None
    # The firing message re-sent after the resolution (same startsAt) is old news.
    assert line.hear_failure(alert_failure(an_alert(), T0 + minutes(31)), POLICY) is None
