"""The analysts' projection agrees with the gateway's ticket view after every step.

Each step of the ladder (submit, assign, escalate to L2, L3, L4, return) and of the lifecycle
(waiting for the requester, resolved, reopened, closed) is taken through the gateway; once the
ticket view shows it, `reporting.v1_tickets` must show the same tier, owner, handler, status,
group, priority, cause and resolution time, and the step views must tell the same story as
the ticket's history.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import httpx
import psycopg
import pytest
from psycopg.rows import dict_row

from services.intake.adapters.tokens import Principal
from tests.support.agents import register_agent
from tests.support.org import l1_office
from tests.support.tickets import submit, ticket, wait_until, web_ticket
from tests.support.tokens import issue_token
from tools.suite import Suite

FIELDS = ("tier", "owner", "handler", "status", "group", "priority", "cause", "resolved_at")


@pytest.fixture(scope="module")
def tokens(suite: Suite) -> Iterator[dict[str, str]]:
    yield {
        "hni": issue_token(suite, Principal("Phòng Tin học Hà Nội", "province_it", province="HNI")),
        "tabmis": issue_token(suite, Principal("Nhóm TABMIS", "group_agent", group="TABMIS")),
        "specialist": issue_token(
            suite, Principal("Phòng QTUD TABMIS", "specialist", group="CNTT-QTUD")
        ),
    }


def _move(suite: Suite, token: str, ticket_id: str, move: str, **body: Any) -> None:
    response = httpx.post(
        f"{suite.url('intake')}/api/v1/tickets/{ticket_id}/{move}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text


def _rows(suite: Suite, query: str, ticket_id: str) -> list[dict[str, Any]]:
    with psycopg.connect(suite.database_url, row_factory=dict_row) as conn:
        return list(conn.execute(query, (ticket_id,)).fetchall())


def _history(view: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [h["data"] for h in view["history"] if h["type"] == f"hotro.ticket.{kind}.v1"]


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _as_viewed(view: dict[str, Any]) -> dict[str, Any]:
    """The ticket view's answer; its resolution time is the latest `resolved` in its history
    while the ticket stays resolved or closed (reopening takes it back)."""
    resolutions = [d["at"] for d in _history(view, "status_changed") if d["status"] == "resolved"]
    resolved = view["status"] in ("resolved", "closed") and resolutions
    return {
        **{f: view.get(f) for f in FIELDS if f != "resolved_at"},
        "resolved_at": _when(resolutions[-1]) if resolved else None,
    }


def _as_projected(suite: Suite, ticket_id: str) -> dict[str, Any] | None:
    rows = _rows(suite, "SELECT * FROM reporting.v1_tickets WHERE ticket_id = %s", ticket_id)
    if not rows:
        return None
    row = rows[0]
    return {**{f: row.get(f) for f in FIELDS}, "group": row["group_code"]}


def _agree(
    suite: Suite, ticket_id: str, settled: Callable[[dict[str, Any]], bool], step: str
) -> dict[str, Any]:
    """Wait for the view to show `step`, then for the projection to say the same."""
    view = wait_until(lambda: settled(v := ticket(suite, ticket_id)) and v, 60, f"the view: {step}")
    expected = _as_viewed(view)
    wait_until(
        lambda: _as_projected(suite, ticket_id) == expected,
        30,
        f"reporting.v1_tickets to agree with the view after {step}: {expected}",
    )
    return dict(view)


def _at_tier(tier: str) -> Callable[[dict[str, Any]], bool]:
    return lambda view: bool(view["tier"] == tier)


def _submit(suite: Suite, subject: str) -> tuple[str, dict[str, Any]]:
    created = submit(suite, web_ticket(subject, priority="P2"))
    assert created.status_code == 201, created.text
    ticket_id = created.json()["id"]
    view = _agree(suite, ticket_id, lambda v: bool(v.get("sla") and v.get("tier")), "submit")
    assert view["status"] == "routed", "a ticket nobody acted on yet is routed"
    return ticket_id, view


def test_the_projection_follows_the_ladder_up_to_l4_and_back(
    suite: Suite, tokens: dict[str, str]
) -> None:
    ticket_id, view = _submit(suite, "Lỗi kết sổ trên TABMIS phân hệ GL")
    assert (view["tier"], view["handler"]) == ("L1", l1_office("HNI"))

    register_agent(suite, "Lê Văn Tâm", view["handler"])  # assign names a real person
    _move(suite, tokens["hni"], ticket_id, "assign", assignee="Lê Văn Tâm")
    _agree(suite, ticket_id, lambda v: v["status"] == "in_progress", "assign")

    steps = [
        (tokens["hni"], "L2", "Tỉnh không xử lý được, cần nhóm TABMIS"),
        (tokens["tabmis"], "L3", "Cần Phòng Quản trị ứng dụng TABMIS"),
        (tokens["specialist"], "L4", "Lỗi sản phẩm, cần chuyên gia Oracle"),
    ]
    for token, tier, reason in steps:
        _move(suite, token, ticket_id, "escalate", reason=reason)
        _agree(suite, ticket_id, _at_tier(tier), f"escalate to {tier}")

    _move(suite, tokens["specialist"], ticket_id, "return", answer="Đã vá lỗi, chạy lại kết sổ.")
    view = _agree(suite, ticket_id, lambda v: bool(_history(v, "returned")), "return")
    office = l1_office("HNI")  # since 2025 the regional IT function (issue 14)
    assert (view["tier"], view["owner"], view["handler"]) == ("L1", office, office)

    moves = _history(view, "escalated") + _history(view, "returned")
    expected = [
        (m["from_tier"], m["tier"], m["handler"], m["actor"], m.get("reason") or m.get("answer"))
        for m in sorted(moves, key=lambda m: m["at"])
    ]
    projected = _rows(
        suite,
        "SELECT from_tier, to_tier, from_handler, to_handler, actor, reason"
        " FROM reporting.v1_escalations WHERE ticket_id = %s ORDER BY step",
        ticket_id,
    )
    assert [
        (r["from_tier"], r["to_tier"], r["to_handler"], r["actor"], r["reason"]) for r in projected
    ] == expected
    assert [r["from_handler"] for r in projected] == [office, "TABMIS", "CNTT-QTUD", "VD-ORACLE"]

    (sla,) = _rows(suite, "SELECT * FROM reporting.v1_sla WHERE ticket_id = %s", ticket_id)
    assert sla["response_due"] == _when(view["sla"]["response_due"])
    assert sla["resolution_due"] == _when(view["sla"]["resolution_due"])
    assert (sla["policy"], sla["priority"]) == (view["sla"]["policy"], "P2")
    assert sla["response_met"] is True and sla["resolution_met"] is None


def test_the_projection_follows_the_lifecycle_and_its_status_changes(
    suite: Suite, tokens: dict[str, str]
) -> None:
    ticket_id, _ = _submit(suite, "Không đăng nhập được TABMIS")

    _move(suite, tokens["hni"], ticket_id, "wait", reason="Đề nghị gửi ảnh chụp màn hình lỗi")
    _agree(suite, ticket_id, lambda v: v["status"] == "waiting_requester", "waiting_requester")

    _move(suite, tokens["hni"], ticket_id, "resolve", cause="user_error", reason="Hướng dẫn NSD")
    view = _agree(suite, ticket_id, lambda v: v["status"] == "resolved", "resolved")
    assert view["cause"] == "user_error"

    _move(suite, tokens["hni"], ticket_id, "reopen", reason="Người dùng vẫn chưa vào được")
    _agree(suite, ticket_id, lambda v: v["status"] == "reopened", "reopened")

    _move(suite, tokens["hni"], ticket_id, "resolve", cause="configuration", reason="Sửa cấu hình")
    _agree(suite, ticket_id, lambda v: v["cause"] == "configuration", "resolved again")
    _move(suite, tokens["hni"], ticket_id, "close")
    view = _agree(suite, ticket_id, lambda v: v["status"] == "closed", "closed")

    statuses = _rows(
        suite,
        "SELECT status, started_at, ended_at FROM reporting.v1_status_changes"
        " WHERE ticket_id = %s ORDER BY seq",
        ticket_id,
    )
    expected = ["new", "routed"] + [d["status"] for d in _history(view, "status_changed")]
    assert [s["status"] for s in statuses] == expected
    assert expected[2:] == ["waiting_requester", "resolved", "reopened", "resolved", "closed"]
    assert all(s["ended_at"] == n["started_at"] for s, n in itertools.pairwise(statuses))
    assert statuses[-1]["ended_at"] is None

    (row,) = _rows(suite, "SELECT * FROM reporting.v1_tickets WHERE ticket_id = %s", ticket_id)
    assert row["reopened"] == 1 and row["first_resolved_at"] < row["resolved_at"]
    assert row["first_contact_resolution"] is False  # reopened
    clocks = _rows(
        suite,
        "SELECT cycle, resolved_at FROM reporting.v1_sla WHERE ticket_id = %s ORDER BY cycle",
        ticket_id,
    )
    assert [c["cycle"] for c in clocks] == [1, 2], "reopening starts a new SLA clock"
    assert all(c["resolved_at"] is not None for c in clocks)
