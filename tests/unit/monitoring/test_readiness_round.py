"""One day's round as an aggregate: runs, results, one report — whatever is replayed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.monitoring.adapters.readiness_store import readiness_contract, round_id_of
from services.monitoring.domain.readiness_round import (
    AlreadyReported,
    NoOpenRun,
    ReadinessRound,
    RunInProgress,
)

T = datetime(2026, 12, 4, 0, 0, tzinfo=UTC)  # 07:00 in Hà Nội


def result(check_id: str, ok: bool) -> dict[str, object]:
    return {
        "check_id": check_id,
        "application": "TABMIS",
        "name": check_id,
        "kind": "http",
        "ok": ok,
        "degraded": False,
        "reason": None if ok else "HTTP 503",
        "checked_at": T.isoformat(),
        "duration_ms": 40,
        "attempts": 1,
    }


def completed_round() -> ReadinessRound:
    day = "2026-12-04"
    agg = ReadinessRound(id=round_id_of(day), day=day)
    agg.start_run(run=1, at=T, trigger="schedule", by="scheduler", late=False, checks=["a", "b"])
    agg.record_check(run=1, result=result("a", True))
    agg.record_check(run=1, result=result("b", False))
    agg.complete(
        run=1, day=day, trigger="schedule", started_at=T, at=T + timedelta(minutes=1),
        late=False, checks=[result("a", True), result("b", False)], systems_total=1,
        systems_ready=0,
    )  # fmt: skip
    return agg


def test_a_day_is_reported_once_and_never_again() -> None:
    agg = completed_round()
    assert agg.progress == "completed"
    agg.report_sent(
        run=1, day=agg.day, at=T + timedelta(minutes=2), late=False, recipients=["a@b.vn"],
        message_id="<m@x>", systems_total=1, systems_ready=0,
    )  # fmt: skip
    assert agg.progress == "reported"
    with pytest.raises(AlreadyReported):
        agg.report_sent(
            run=1, day=agg.day, at=T, late=False, recipients=[], message_id="", systems_total=1,
            systems_ready=0,
        )  # fmt: skip


def test_a_repeated_run_rechecks_but_keeps_the_report() -> None:
    agg = completed_round()
    agg.report_sent(
        run=1, day=agg.day, at=T + timedelta(minutes=2), late=False, recipients=["a@b.vn"],
        message_id="<m@x>", systems_total=1, systems_ready=0,
    )  # fmt: skip
    agg.start_run(run=2, at=T + timedelta(hours=2), trigger="manual", by="admin", late=True,
                  checks=["a", "b"])  # fmt: skip
    with pytest.raises(RunInProgress):
        agg.start_run(run=3, at=T, trigger="manual", by="admin", late=True, checks=[])
    agg.record_check(run=2, result=result("b", True))
    view = agg.public()
    assert view["status"] == "reported" and view["run"] == 2 and view["reported_run"] == 1
    assert view["sent_at"] == (T + timedelta(minutes=2)).isoformat() and view["late"] is False
    assert [c["check_id"] for c in view["checks"]] == ["b"]
    with pytest.raises(NoOpenRun):
        agg.record_check(run=1, result=result("a", True))


def test_the_published_contracts_carry_the_day_and_every_result() -> None:
    agg = completed_round()
    events = agg.collect_events()
    contracts = [c for c in map(readiness_contract, events) if c is not None]
    assert len(contracts) == 1
    key, completed = contracts[0]
    assert key == "readiness:2026-12-04"
    assert completed.date == "2026-12-04"  # type: ignore[attr-defined]
    assert [(c.check_id, c.ok) for c in completed.checks] == [("a", True), ("b", False)]  # type: ignore[attr-defined]
    assert completed.completed_at == T + timedelta(minutes=1)  # type: ignore[attr-defined]
