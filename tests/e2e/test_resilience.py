"""Killing a service or losing the broker's data mid-flow loses and duplicates nothing."""

from __future__ import annotations

from typing import Any

import psycopg

from tests.support.infra import Infra
from tests.support.tickets import submit, wait_until, web_ticket
from tools.suite import Suite

SUBJECTS = [
    "Không đăng nhập được TABMIS",
    "Lỗi lệnh chuyển Có trên TTSP",
    "Máy in không in được chứng từ",
    "Không gửi được thư điện tử",
    "Lỗi kết xuất báo cáo trên kho dữ liệu TABMIS",
]


def _submit_batch(suite: Suite, count: int, tag: str) -> list[str]:
    ids = []
    for i in range(count):
        body = web_ticket(f"{SUBJECTS[i % len(SUBJECTS)]} ({tag} {i})")
        response = submit(suite, body)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


def _read_models(suite: Suite) -> dict[str, Any]:
    """Everything a user or analyst can read, in a comparable form."""
    with psycopg.connect(suite.database_url) as conn:
        view = conn.execute(
            "SELECT id::text, number, status, group_code, application, tier, owner, handler,"
            " first_handler->>'policy_version' FROM intake.ticket_view ORDER BY id"
        ).fetchall()
        history = conn.execute(
            "SELECT ticket_id::text, type, count(*) FROM intake.ticket_history"
            " GROUP BY 1, 2 ORDER BY 1, 2"
        ).fetchall()
        report = conn.execute(
            "SELECT ticket_id::text, number, group_code, tier, owner FROM reporting.tickets"
            " ORDER BY ticket_id"
        ).fetchall()
    return {"view": view, "history": history, "report": report}


def _all_settled(suite: Suite, ids: list[str]) -> bool:
    models = _read_models(suite)
    done = {row[0] for row in models["view"] if row[5] is not None and row[1] is not None}
    reported = {row[0] for row in models["report"] if row[3] is not None and row[1] is not None}
    return set(ids) <= done and set(ids) <= reported


def _assert_each_decision_recorded_once(models: dict[str, Any], ids: list[str]) -> None:
    counts = {(ticket, kind): n for ticket, kind, n in models["history"]}
    for ticket_id in ids:
        for kind in ("submitted", "routed", "assigned"):
            assert counts.get((ticket_id, f"hotro.ticket.{kind}.v1")) == 1, (ticket_id, kind)


def test_killing_routing_mid_flow_loses_and_duplicates_nothing(suite: Suite) -> None:
    first = _submit_batch(suite, 10, "trước")
    suite.kill("routing")
    second = _submit_batch(suite, 10, "trong khi dừng")
    suite.start("routing")
    suite.wait_ready(services=("routing",))

    wait_until(lambda: _all_settled(suite, first + second), 120, "all tickets to settle")

    models = _read_models(suite)
    _assert_each_decision_recorded_once(models, first + second)
    assert len(models["report"]) == len(models["view"])


def test_restarting_the_broker_loses_and_duplicates_nothing(suite: Suite, infra: Infra) -> None:
    before_ids = _submit_batch(suite, 10, "trước khi khởi động lại")
    wait_until(lambda: _all_settled(suite, before_ids), 120, "first batch to settle")
    before = _read_models(suite)

    infra.restart_broker()
    after_ids = _submit_batch(suite, 10, "sau khi khởi động lại")
    wait_until(lambda: _all_settled(suite, after_ids), 180, "second batch to settle")

    after = _read_models(suite)
    _assert_each_decision_recorded_once(after, before_ids + after_ids)
    kept = [row for row in after["view"] if row[0] in {r[0] for r in before["view"]}]
    assert kept == before["view"], "tickets settled before the restart changed"
    assert len(after["report"]) == len(after["view"])
