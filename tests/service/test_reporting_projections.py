"""Reporting's projections on a real PostgreSQL, fed the events the three services publish.

Data is built from the contracts of libs/events/schemas.py, so a projection is tested on the
shape the services really send; each source keeps its own log positions.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest
from psycopg_pool import AsyncConnectionPool

from libs.events import schemas as c
from libs.events.envelope import Envelope
from libs.events.sinks import ProjectionSink
from services.reporting.adapters import projections

SCHEMA = "reporting"
T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # a Monday, 15:00 in Hà Nội
_positions: dict[str, int] = {}


def event(source: str, contract: msgspec.Struct, minutes: float = 0) -> Envelope:
    _positions[source] = _positions.get(source, 0) + 1
    data = c.data_of(contract)
    return Envelope(
        id=str(uuid.uuid4()),
        source=f"hotro/{source}",
        type=type(contract).TYPE,  # type: ignore[attr-defined]
        subject=data.get("ticket_id") or "",
        time=T0 + timedelta(minutes=minutes),
        data=data,
        position=_positions[source],
    )


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def submitted(ticket_id: str, number: str, **more: Any) -> Envelope:
    return event(
        "intake",
        c.TicketSubmitted(
            ticket_id=ticket_id,
            number=number,
            channel="web",
            requester=c.Requester(name="Nguyễn Thị Lan", unit_code="KBNN-HNI"),
            subject="Lỗi kết sổ TABMIS",
            description="Xin hỗ trợ",
            received_at=T0,
            application_code="TABMIS",
            priority="P2",
            unit_kind="kbnn_province",
            unit_province="HNI",
            **more,
        ),
    )


def routed(ticket_id: str, minutes: float = 0.1) -> Envelope:
    return event(
        "routing",
        c.TicketRouted(
            ticket_id=ticket_id,
            group="TABMIS",
            type="incident",
            application="TABMIS",
            picked_application="TABMIS",
            classification=c.Classification(model_version="m1", confidence=0.9, source="rules"),
            first_handler=c.FirstHandler(
                kind="province", tier="L1", office="PTH-HNI", policy_version="phase-3"
            ),
            received_at=T0,
            priority="P2",
        ),
        minutes,
    )


def assigned(ticket_id: str) -> Envelope:
    return event(
        "escalation",
        c.TicketAssigned(
            ticket_id=ticket_id,
            tier="L1",
            owner="PTH-HNI",
            handler="PTH-HNI",
            group="TABMIS",
            assigned_at=at(0.2),
        ),
        0.2,
    )


def escalated(ticket_id: str, frm: str, to: str, handler: str, minutes: float) -> Envelope:
    return event(
        "escalation",
        c.TicketEscalated(
            ticket_id=ticket_id,
            from_tier=frm,
            tier=to,
            owner="PTH-HNI",
            handler=handler,
            reason=f"cần {handler}",
            actor="Lê Văn Tâm",
            at=at(minutes),
        ),
        minutes,
    )


def returned(ticket_id: str, minutes: float) -> Envelope:
    return event(
        "escalation",
        c.TicketReturned(
            ticket_id=ticket_id,
            from_tier="L4",
            tier="L1",
            owner="PTH-HNI",
            handler="PTH-HNI",
            answer="Đã vá lỗi",
            actor="Chuyên gia",
            at=at(minutes),
        ),
        minutes,
    )


def status(ticket_id: str, new: str, previous: str, minutes: float, **more: Any) -> Envelope:
    contract = c.TicketStatusChanged(
        ticket_id=ticket_id, status=new, previous=previous, actor="PTH-HNI", at=at(minutes), **more
    )
    return event("intake", contract, minutes)


def sla(ticket_id: str, minutes: float, **state: Any) -> Envelope:
    values: dict[str, Any] = {
        "policy": "standard",
        "priority": "P2",
        "response_due": at(60),
        "resolution_due": at(8 * 60),
        "paused": False,
        "breached": [],
        "responded": False,
        "resolved": False,
    }
    values.update(state)
    return event("escalation", c.SlaUpdated(ticket_id=ticket_id, at=at(minutes), **values), minutes)


def new_ticket_id() -> str:
    return str(uuid.uuid4())


class Reporting:
    """Reporting's schema on a fresh database, fed envelopes the way its consumer feeds them."""

    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self.pool = pool
        self.sink = ProjectionSink(
            name=projections.NAME,
            pool=pool,
            schema=SCHEMA,
            project=projections.projector(SCHEMA),
        )
        self.dead: list[BaseException] = []

    async def feed(self, *envelopes: Envelope) -> None:
        async def dead_letter(envelope: Envelope, error: BaseException) -> None:
            self.dead.append(error)

        for envelope in envelopes:
            await self.sink.apply(envelope.source, [envelope], dead_letter)
        assert not self.dead, self.dead

    async def rows(self, query: str, *params: Any) -> list[dict[str, Any]]:
        from psycopg.rows import dict_row

        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(query, params)
            return list(await cur.fetchall())


@asynccontextmanager
async def reporting(database_url: str) -> AsyncIterator[Reporting]:
    async with AsyncConnectionPool(database_url, open=False) as pool:
        model = Reporting(pool)
        await model.sink.ensure_tables()
        await projections.ensure_schema(pool, SCHEMA)
        yield model


pytestmark = pytest.mark.service

LADDER = (("L1", "L2", "TABMIS"), ("L2", "L3", "CNTT-QTUD"), ("L3", "L4", "VD-ORACLE"))


def ladder_walk(ticket_id: str, number: str) -> list[Envelope]:
    """Submitted, routed, placed, taken, up to L4 and returned: the README's worked example."""
    events = [submitted(ticket_id, number), routed(ticket_id), assigned(ticket_id)]
    events += [escalated(ticket_id, f, t, h, 10 + i) for i, (f, t, h) in enumerate(LADDER)]
    events.append(returned(ticket_id, 20))
    return events


async def _ticket(model: Reporting, ticket_id: str) -> dict[str, Any]:
    rows = await model.rows("SELECT * FROM reporting.v1_tickets WHERE ticket_id = %s", ticket_id)
    assert len(rows) == 1
    return rows[0]


async def test_a_returned_ticket_is_back_at_l1_with_its_province_and_still_routed(
    database_url: str,
) -> None:
    async with reporting(database_url) as model:
        ticket_id = new_ticket_id()
        await model.feed(*ladder_walk(ticket_id, "YC-2026-000001"))
        row = await _ticket(model, ticket_id)
        assert (row["tier"], row["owner"], row["handler"]) == ("L1", "PTH-HNI", "PTH-HNI")
        assert row["status"] == "routed"
        assert (row["escalations"], row["returns"], row["max_tier"]) == (3, 1, "L4")
        assert row["first_handler_office"] == "PTH-HNI" and row["first_tier"] == "L1"

        steps = await model.rows(
            "SELECT kind, from_tier, to_tier, from_handler, to_handler, actor, reason"
            " FROM reporting.v1_escalations WHERE ticket_id = %s ORDER BY step",
            ticket_id,
        )
        assert [(s["kind"], s["from_tier"], s["to_tier"]) for s in steps] == [
            ("escalated", "L1", "L2"),
            ("escalated", "L2", "L3"),
            ("escalated", "L3", "L4"),
            ("returned", "L4", "L1"),
        ]
        assert [s["from_handler"] for s in steps] == ["PTH-HNI", "TABMIS", "CNTT-QTUD", "VD-ORACLE"]
        assert steps[-1]["to_handler"] == "PTH-HNI" and steps[-1]["reason"] == "Đã vá lỗi"
        assert steps[0]["actor"] == "Lê Văn Tâm" and steps[0]["reason"] == "cần TABMIS"


async def test_the_ticket_row_is_the_same_whichever_topic_arrives_first(database_url: str) -> None:
    async with reporting(database_url) as model:
        in_order, reversed_sources = new_ticket_id(), new_ticket_id()
        lifecycle = [
            status(in_order, "in_progress", "new", 5),
            status(in_order, "resolved", "in_progress", 30, cause="software_bug"),
        ]
        await model.feed(*ladder_walk(in_order, "YC-2026-000002"), *lifecycle)

        # The same facts for another ticket, escalation's topic first, then routing, then intake.
        walk = ladder_walk(reversed_sources, "YC-2026-000003")
        late = [
            status(reversed_sources, "in_progress", "new", 5),
            status(reversed_sources, "resolved", "in_progress", 30, cause="software_bug"),
        ]
        by_source = sorted(
            walk + late,
            key=lambda e: ["hotro/escalation", "hotro/routing", "hotro/intake"].index(e.source),
        )
        await model.feed(*by_source)

        first, second = await _ticket(model, in_order), await _ticket(model, reversed_sources)
        differing = {
            k: (first[k], second[k])
            for k in first
            if k not in ("ticket_id", "number") and first[k] != second[k]
        }
        assert differing == {}
        assert first["status"] == "resolved" and first["cause"] == "software_bug"
        assert first["resolved_at"] == at(30)


async def test_the_desks_priority_and_corrections_win_whatever_arrives_after_them(
    database_url: str,
) -> None:
    """Issue 13: a priority raised (by the desk, or automatically for a district's WAN) and a
    corrected province stay in the report even when routing's decision arrives later."""
    async with reporting(database_url) as model:
        ticket_id = new_ticket_id()
        raised = event(
            "intake",
            c.TicketPriorityChanged(
                ticket_id=ticket_id, priority="P1", previous="P2", reason="Toàn tỉnh ngừng",
                actor="Phạm Văn Hùng", at=at(5),
            ),
            minutes=5,
        )  # fmt: skip
        corrected = event(
            "intake",
            c.TicketCorrected(
                ticket_id=ticket_id, changes={"unit_province": "HCM", "subject": "Lỗi TABMIS"},
                previous={"unit_province": "HNI", "subject": "Lỗi kết sổ TABMIS"},
                reason="Nhầm tỉnh", actor="Phạm Văn Hùng", at=at(6),
            ),
            minutes=6,
        )  # fmt: skip
        await model.feed(submitted(ticket_id, "YC-2026-000009"), raised, corrected)
        await model.feed(routed(ticket_id), assigned(ticket_id))  # routing's P2 comes last

        row = await _ticket(model, ticket_id)
        assert row["priority"] == "P1"
        assert (row["province"], row["subject"]) == ("HCM", "Lỗi TABMIS")
        assert row["unit_kind"] == "kbnn_province"  # not corrected: as submitted


async def test_statuses_in_order_with_their_durations_and_reopening_clears_the_resolution(
    database_url: str,
) -> None:
    async with reporting(database_url) as model:
        ticket_id = new_ticket_id()
        await model.feed(
            submitted(ticket_id, "YC-2026-000004"),
            status(ticket_id, "waiting_requester", "new", 10, reason="Gửi ảnh chụp màn hình"),
            routed(ticket_id, minutes=1),  # routing's answer reaches reporting late
            status(ticket_id, "in_progress", "waiting_requester", 40),
            status(ticket_id, "resolved", "in_progress", 60, cause="user_error"),
            status(ticket_id, "reopened", "resolved", 90),
        )
        row = await _ticket(model, ticket_id)
        assert row["status"] == "reopened" and row["cause"] is None
        assert row["resolved_at"] is None and row["first_resolved_at"] == at(60)
        assert row["reopened"] == 1

        changes = await model.rows(
            "SELECT seq, status, previous_status, started_at, ended_at, duration_s, reason"
            " FROM reporting.v1_status_changes WHERE ticket_id = %s ORDER BY seq",
            ticket_id,
        )
        assert [c["status"] for c in changes] == [
            "new", "routed", "waiting_requester", "in_progress", "resolved", "reopened",
        ]  # fmt: skip
        assert changes[2]["previous_status"] == "routed"
        assert changes[2]["reason"] == "Gửi ảnh chụp màn hình"
        assert [float(c["duration_s"]) for c in changes[:-1]] == [60, 540, 1800, 1200, 1800]
        assert changes[-1]["ended_at"] is None and changes[-1]["duration_s"] is None

        await model.feed(
            status(ticket_id, "resolved", "reopened", 100, cause="configuration"),
            status(ticket_id, "closed", "resolved", 120),
        )
        row = await _ticket(model, ticket_id)
        assert (row["status"], row["cause"], row["resolved_at"]) == (
            "closed", "configuration", at(100),
        )  # fmt: skip


async def test_sla_met_late_and_a_new_clock_after_reopening(database_url: str) -> None:
    async with reporting(database_url) as model:
        ticket_id = new_ticket_id()
        await model.feed(
            submitted(ticket_id, "YC-2026-000005"),
            sla(ticket_id, 0.2),
            sla(ticket_id, 30, responded=True),  # taken after 30 min: due at 60
            sla(ticket_id, 300, responded=True, paused=True, resolution_due=None),
            event(
                "escalation",
                c.SlaBreached(ticket_id=ticket_id, kind="resolution", due=at(480), at=at(481)),
            ),
            sla(ticket_id, 600, responded=True, resolved=True, breached=["resolution"]),
            sla(ticket_id, 700, response_due=at(760), resolution_due=at(1200)),  # reopened
        )
        clocks = await model.rows(
            "SELECT cycle, started_at, response_due, responded_at, response_met, resolution_due,"
            " resolved_at, resolution_met, resolution_breached"
            " FROM reporting.v1_sla WHERE ticket_id = %s ORDER BY cycle",
            ticket_id,
        )
        first, second = clocks
        assert first["started_at"] == T0 and second["started_at"] == at(700)
        assert (first["responded_at"], first["response_met"]) == (at(30), True)
        assert (first["resolved_at"], first["resolution_met"]) == (at(600), False)
        assert first["resolution_breached"] is True
        assert second["response_due"] == at(760) and second["resolution_due"] == at(1200)
        assert second["response_met"] is None and second["resolution_met"] is None
        assert second["resolution_breached"] is False


async def test_a_known_error_takes_its_latest_status_whatever_arrives_first(
    database_url: str,
) -> None:
    async with reporting(database_url) as model:
        error_id, first, second = new_ticket_id(), new_ticket_id(), new_ticket_id()

        def changed(ticket: str, change: str, status: str, minutes: float, **more: Any) -> Envelope:
            contract = c.KnownErrorChanged(
                ticket_id=ticket,
                known_error_id=error_id,
                change=change,
                status=status,
                at=at(minutes),
                **more,
            )
            return event("escalation", contract, minutes)

        opened = changed(
            first, "opened", "open", 10, number="KE-2026-TABMIS-001", application="TABMIS",
            department="CNTT-QTUD", title="Sai số dư sổ cái",
        )  # fmt: skip
        joined = changed(second, "joined", "", 20)
        fixing = changed(error_id, "status", "fix_in_progress", 30)
        released = changed(error_id, "status", "released", 40)
        # Status events are keyed by the known error, the others by ticket: any order.
        await model.feed(fixing, released, joined, opened)

        rows = await model.rows("SELECT * FROM reporting.v1_known_errors")
        assert len(rows) == 1
        error = rows[0]
        assert (error["number"], error["status"], error["tickets"]) == (
            "KE-2026-TABMIS-001", "released", 2,
        )  # fmt: skip
        assert (error["opened_at"], error["released_at"]) == (at(10), at(40))
        links = await model.rows(
            "SELECT ticket_id::text AS t, change FROM reporting.v1_known_error_tickets"
        )
        assert sorted((r["t"], r["change"]) for r in links) == sorted(
            [(first, "opened"), (second, "joined")]
        )


def incident(kind: type, incident_id: str, minutes: float, **more: Any) -> Envelope:
    values: dict[str, Any] = {
        "incident_id": incident_id,
        "source": "check",
        "key": "check:tabmis-web",
        "application": "TABMIS",
        "priority": "P1",
        "subject": "TABMIS không truy cập được",
        "description": "Hai lần kiểm tra liên tiếp thất bại",
        "down_since": at(0),
        "at": at(minutes),
        "check_id": "tabmis-web",
    }
    values.update(more)
    return event("monitoring", kind(**values), minutes)


async def test_an_outage_has_its_start_end_and_minutes_and_a_reopening_clears_the_end(
    database_url: str,
) -> None:
    async with reporting(database_url) as model:
        first = new_ticket_id()
        resolved = {"recovered_at": at(42), "outage_seconds": 2520, "outage_minutes": 42.0}
        await model.feed(
            incident(c.IncidentOpened, first, 2),
            incident(c.IncidentUpdated, first, 10, change="lỗi khác", priority="P2"),
        )
        outage = (await model.rows("SELECT * FROM reporting.v1_outages"))[0]
        assert (outage["status"], outage["priority"], outage["recovered_at"]) == (
            "open",
            "P2",
            None,
        )
        await model.feed(incident(c.IncidentResolved, first, 42, **resolved))
        rows = await model.rows("SELECT * FROM reporting.v1_outages")
        assert len(rows) == 1
        outage = rows[0]
        assert (outage["application"], outage["status"]) == ("TABMIS", "resolved")
        assert (outage["down_since"], outage["opened_at"]) == (at(0), at(2))
        assert (outage["recovered_at"], outage["outage_minutes"]) == (at(42), 42.0)

        await model.feed(incident(c.IncidentReopened, first, 50, failed_again_at=at(49)))
        outage = (await model.rows("SELECT * FROM reporting.v1_outages"))[0]
        assert (outage["status"], outage["recovered_at"], outage["reopened"]) == ("open", None, 1)

        wan = new_ticket_id()
        labels = {"district": "KBNN-HNI-BAVI", "province": "HNI"}
        await model.feed(
            incident(c.IncidentOpened, wan, 5, source="wan", key="wan:KBNN-HNI-BAVI",
                     application=None, check_id=None, labels=labels),
        )  # fmt: skip
        rows = await model.rows(
            "SELECT province, district, application FROM reporting.v1_outages WHERE source = 'wan'"
        )
        assert rows == [{"province": "HNI", "district": "KBNN-HNI-BAVI", "application": None}]


def morning_round(day: str, run: int, results: dict[str, bool]) -> Envelope:
    started = datetime.fromisoformat(f"{day}T00:00:00+00:00")
    checks = [
        c.ReadinessCheckResult(
            check_id=check_id, application=check_id.split("-")[0].upper(), ok=ok,
            checked_at=started, duration_ms=120, reason=None if ok else "HTTP 503",
        )
        for check_id, ok in results.items()
    ]  # fmt: skip
    contract = c.ReadinessRoundCompleted(
        date=day, run=run, trigger="schedule" if run == 1 else "manual", started_at=started,
        completed_at=started + timedelta(minutes=5), late=False, systems_total=len(checks),
        systems_ready=sum(results.values()), checks=checks,
    )  # fmt: skip
    return event("monitoring", contract)


async def test_readiness_per_day_and_system_keeps_the_latest_run_of_each_day(
    database_url: str,
) -> None:
    async with reporting(database_url) as model:
        await model.feed(
            morning_round("2026-11-23", 1, {"tabmis-web": False, "ttsp-web": True}),
            morning_round("2026-11-23", 2, {"tabmis-web": True, "ttsp-web": True}),
            morning_round("2026-11-24", 1, {"tabmis-web": True, "ttsp-web": False}),
            morning_round("2026-11-23", 1, {"tabmis-web": False}),  # replayed late: ignored
        )
        days = await model.rows(
            "SELECT day::text AS day, run, all_green, systems_ready FROM reporting.v1_readiness_days"
            " ORDER BY day"
        )
        assert days == [
            {"day": "2026-11-23", "run": 2, "all_green": True, "systems_ready": 2},
            {"day": "2026-11-24", "run": 1, "all_green": False, "systems_ready": 1},
        ]
        failed = await model.rows(
            "SELECT day::text AS day, check_id, reason FROM reporting.v1_readiness WHERE NOT ok"
        )
        assert failed == [{"day": "2026-11-24", "check_id": "ttsp-web", "reason": "HTTP 503"}]


async def test_a_wan_channel_is_down_from_its_failure_until_it_answers_again(
    database_url: str,
) -> None:
    async with reporting(database_url) as model:

        def changed(check_id: str, state: str, previous: str, minutes: float) -> Envelope:
            labels = {"district": "KBNN-HNI-BAVI", "province": "HNI", "carrier": "VNPT"}
            contract = c.CheckStateChanged(
                check_id=check_id, application=None, kind="tcp", state=state, previous=previous,
                since=at(minutes), reason="connection refused" if state == "down" else "",
                at=at(minutes + 1), labels=labels,
            )  # fmt: skip
            return event("monitoring", contract, minutes)

        await model.feed(
            changed("wan-hni-bavi-1", "up", "unknown", 0),
            changed("wan-hni-bavi-1", "down", "up", 60),
            changed("wan-hni-bavi-1", "up", "down", 105),
            changed("wan-hni-bavi-2", "down", "up", 200),
        )
        outages = await model.rows(
            "SELECT check_id, carrier, down_since, until, minutes::float AS minutes"
            " FROM reporting.v1_wan_channel_outages ORDER BY down_since"
        )
        assert outages == [
            {"check_id": "wan-hni-bavi-1", "carrier": "VNPT", "down_since": at(60),
             "until": at(105), "minutes": 45.0},
            {"check_id": "wan-hni-bavi-2", "carrier": "VNPT", "down_since": at(200),
             "until": None, "minutes": None},
        ]  # fmt: skip
