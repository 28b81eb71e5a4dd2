"""The burst, live (issue 15): reports of one outage in other words, from several units.

Five units report the same payment system within minutes, each in their own words (nothing
shared but the system's code); two of the reports are so unclear ("Lỗi TTSP") that only the
burst of other units ties them to the outage. A password reset and a printing fault of the
same system from two more units in the same minutes stay apart. Then routing's index, on a
real PostgreSQL, is checked for what the live linking rests on: the unit of each decision,
an index built before units were kept, and a rebuild from the log.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest

from libs.platform.eventstore import open_application
from services.routing.adapters.store import RoutingApplication, routing_id
from services.routing.adapters.ticket_index import TicketIndex
from services.routing.domain.decision import TicketRouting
from tests.support.tickets import submit, ticket, wait_until, web_ticket
from tools.suite import Suite

#: A Monday morning, 09:00 in Hà Nội: routing decides by the time the ticket was received.
MORNING = "2026-11-16T09:{minute:02d}:00+07:00"


def _report(suite: Suite, unit: str, minute: int, subject: str, description: str) -> str:
    body = web_ticket(
        subject,
        unit_code=unit,
        description=description,
        received_at=MORNING.format(minute=minute),
    )
    response = submit(suite, body, Authorization=f"Bearer {suite.admin_token}")
    assert response.status_code == 201, response.text
    ticket_id: str = response.json()["id"]
    # One at a time: each report finds the outage through routing's index, not its batch.
    _routed(suite, ticket_id)
    return ticket_id


def _routed(suite: Suite, ticket_id: str) -> dict[str, Any]:
    view: dict[str, Any] = wait_until(
        lambda: (v := ticket(suite, ticket_id)).get("group") and v, 120, "the ticket to be routed"
    )
    return view


def _link_reason(view: dict[str, Any]) -> str:
    linked = next(h for h in view["history"] if h["type"].endswith("linked.v1"))
    assert linked["data"]["automatic"] is True
    return " ".join(linked["data"]["reasons"])


def test_differently_worded_reports_from_several_units_are_one_outage(suite: Suite) -> None:
    first = _report(
        suite,
        "KBNN-KV-HNI",
        0,
        "TTSP không gửi được lệnh thanh toán sang ngân hàng",
        "Đã thử lại nhiều lần.",
    )
    hanging = _report(suite, "KBNN-KV-HCM", 4, "ttsp treo cứng", "cả phòng kế toán đều vậy")
    reset = _report(
        suite,
        "KBNN-KV-BGG",
        6,
        "Đề nghị cấp lại mật khẩu TTSP cho cán bộ mới",
        "Cán bộ mới chuyển công tác.",
    )
    unclear = _report(suite, "KBNN-KV-HPG", 7, "Lỗi TTSP", "Nhờ các anh xem giúp.")
    printing = _report(suite, "KBNN-KV-TNN", 8, "TTSP in bảng kê sai mẫu", "Mẫu in thiếu chữ ký.")
    http_503 = _report(
        suite, "KBNN-KV-HYN", 10, "TTSP báo HTTP 503 Service Unavailable", "Xin cảm ơn."
    )
    vague = _report(suite, "KBNN-KV-HDG", 12, "Chương trình TTSP có vấn đề", "Gọi điện lúc 9h12.")

    reports = (hanging, unclear, http_503, vague)
    views = {
        r: wait_until(
            lambda r=r: (v := ticket(suite, r)).get("parent") and v,
            60,
            "the report to be linked to the outage",
        )
        for r in reports
    }

    assert {view["parent"] for view in views.values()} == {first}
    assert ticket(suite, first)["parent"] is None
    # The unclear reports share no words with the outage's: only the other units tie them.
    assert "a burst: 2 other unit(s)" in _link_reason(views[unclear])
    assert "a burst: 3 other unit(s)" in _link_reason(views[vague])
    children = httpx.get(
        f"{suite.url('intake')}/api/v1/tickets",
        params={"parent": first},
        headers={"Authorization": f"Bearer {suite.admin_token}"},
        timeout=30,
    ).json()
    assert {c["id"] for c in children["data"]} == set(reports)
    # Another kind of problem in the same minutes is not the outage, burst or not.
    reset_view = ticket(suite, reset)
    assert (reset_view["type"], reset_view["parent"]) == ("service_request", None)
    printing_view = ticket(suite, printing)
    assert (printing_view["type"], printing_view["parent"]) == ("incident", None)


# -- routing's index on a real PostgreSQL: what the live burst rests on ---------------------

T0 = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)


@pytest.fixture
def routing_log(database_url: str) -> Iterator[tuple[RoutingApplication, TicketIndex, str]]:
    app = open_application(RoutingApplication, database_url, "routing")
    index = TicketIndex(database_url, "routing", app)
    index.ensure_tables()
    yield app, index, database_url
    index.close()


def _decision(ticket_id: str, minutes: int, unit: str | None) -> TicketRouting:
    return TicketRouting(
        id=routing_id(ticket_id),
        ticket_id=ticket_id,
        group="PAYMENT",
        type="incident",
        application="TTSP",
        picked_application=None,
        classification={"model_version": "rules-2", "confidence": 0.9, "source": "text_match"},
        first_handler={},
        received_at=T0 + timedelta(minutes=minutes),
        priority="P3",
        reasons=[],
        text="TTSP không gửi được lệnh",
        channel="web",
        unit=unit,
    )


def _outage_units(index: TicketIndex, minutes: int) -> dict[str, frozenset[str]]:
    at = T0 + timedelta(minutes=minutes)
    return {i.ticket_id: i.units for i in index.open_incidents("TTSP", at, timedelta(hours=1))}


def test_the_index_gives_each_open_incident_the_units_of_its_reports(
    routing_log: tuple[RoutingApplication, TicketIndex, str],
) -> None:
    app, index, database_url = routing_log
    first = _decision("A", 0, "KBNN-KV-HNI")
    children = [_decision("B", 3, "KBNN-KV-HCM"), _decision("C", 5, None)]
    for child in children:
        child.link_to(first, automatic=True, similarity=0.7, reasons=[], actor="routing", at=T0)
    app.save(first, *children)

    index.catch_up()
    assert _outage_units(index, 6) == {"A": frozenset({"KBNN-KV-HNI", "KBNN-KV-HCM"})}
    assert index.catch_up() == 0  # caught up: nothing is applied twice

    # The index is a projection of the log: rebuilt from it, it says the same.
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute('DELETE FROM "routing".ticket_index')
        conn.execute('UPDATE "routing".ticket_index_position SET position = 0')
    index.catch_up()
    assert _outage_units(index, 6) == {"A": frozenset({"KBNN-KV-HNI", "KBNN-KV-HCM"})}


def test_an_index_made_before_units_were_kept_gains_the_column_and_keeps_its_rows(
    database_url: str,
) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute('CREATE SCHEMA "routing"')
        conn.execute(
            'CREATE TABLE "routing".ticket_index (ticket_id text PRIMARY KEY,'
            " received_at timestamptz NOT NULL, application text, group_code text NOT NULL,"
            " type text NOT NULL, text text NOT NULL DEFAULT '', parent_id text,"
            " status text NOT NULL DEFAULT 'open', reclassified boolean NOT NULL DEFAULT false,"
            " channel text NOT NULL DEFAULT '')"
        )
        conn.execute(
            'INSERT INTO "routing".ticket_index (ticket_id, received_at, application,'
            " group_code, type, text) VALUES ('OLD', %s, 'TTSP', 'PAYMENT', 'incident', 'x')",
            (T0,),
        )
    app = open_application(RoutingApplication, database_url, "routing")
    index = TicketIndex(database_url, "routing", app)
    try:
        index.ensure_tables()
        index.ensure_tables()  # every start runs it again
        assert _outage_units(index, 1) == {"OLD": frozenset()}  # an old row: no burst from it
    finally:
        index.close()
