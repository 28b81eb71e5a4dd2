"""Routing's consumer, index and model store on a real PostgreSQL (no other process needed).

What the end-to-end tests cannot reach cheaply: a burst of reports decided in one batch,
the cascade when a parent is resolved, and reclassifications turning into a model version.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from libs.events.envelope import Envelope
from libs.events.schemas import (
    Requester,
    TicketStatusChanged,
    TicketSubmitted,
    data_of,
)
from libs.events.sinks import EventSourcedSink
from libs.platform.eventstore import open_application
from services.routing.adapters.classifier import Classifier
from services.routing.adapters.model_store import ModelStore
from services.routing.adapters.store import (
    RoutingApplication,
    RoutingDecider,
    routing_id,
    to_contract,
)
from services.routing.adapters.ticket_index import TicketIndex
from services.routing.domain.decision import TicketRouting
from tests.unit.routing.shipped import catalog, model

pytestmark = pytest.mark.service
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


class Routing:
    """Routing's consumer side, wired as main.py wires it, fed envelopes by hand."""

    def __init__(self, database_url: str) -> None:
        self.app = open_application(RoutingApplication, database_url, "routing")
        self.index = TicketIndex(database_url, "routing", self.app)
        self.index.ensure_tables()
        self.store = ModelStore(database_url, "routing")
        self.classifier = Classifier(self.store, catalog(), self.index)
        self.classifier.model = model()
        self.sink = EventSourcedSink(
            name="routing.decisions",
            app=self.app,
            decide=RoutingDecider(catalog(), self.index, self.classifier),
        )
        self.position = 0

    async def feed(self, *events: Any) -> None:
        """One batch, as the consumer would apply it."""
        envelopes = []
        for event in events:
            self.position += 1
            envelopes.append(
                Envelope(
                    id=f"intake:{self.position}",
                    source="hotro/intake",
                    type=type(event).TYPE,
                    subject=event.ticket_id,
                    time=T0,
                    data=data_of(event),
                    position=self.position,
                )
            )

        async def dead_letter(envelope: Envelope, error: BaseException) -> None:
            raise AssertionError(f"dead-lettered {envelope.type}: {error!r}")

        await self.sink.apply("hotro.intake.v1:0", envelopes, dead_letter)

    def get(self, ticket_id: str) -> TicketRouting:
        return self.app.repository.get(routing_id(ticket_id))  # type: ignore[no-any-return]

    def contracts(self, ticket_id: str) -> list[Any]:
        events = self.app.repository.event_store.get(routing_id(ticket_id))
        return [contract for _, contract in filter(None, map(to_contract, events))]

    def published(self, ticket_id: str) -> list[str]:
        return [type(contract).TYPE for contract in self.contracts(ticket_id)]


@pytest.fixture
def routing(database_url: str) -> Iterator[Routing]:
    wired = Routing(database_url)
    yield wired
    wired.index.close()


def submitted(text: str, minutes: int, application: str | None = None) -> TicketSubmitted:
    return TicketSubmitted(
        ticket_id=str(uuid.uuid4()),
        number=f"YC-2026-{minutes:06d}",
        channel="web",
        requester=Requester(name="Lan", unit_code="KBNN-HNI"),
        subject=text,
        description="",
        received_at=T0 + timedelta(minutes=minutes),
        application_code=application,
        unit_kind="kbnn_province",
        unit_province="HNI",
    )


def resolved(ticket: TicketSubmitted, minutes: int) -> TicketStatusChanged:
    return TicketStatusChanged(
        ticket_id=ticket.ticket_id,
        status="resolved",
        previous="in_progress",
        actor="Nhóm TABMIS",
        at=T0 + timedelta(minutes=minutes),
        reason="Đã khởi động lại máy chủ ứng dụng",
        cause="infrastructure",
    )


async def test_a_burst_of_reports_decided_in_one_batch_is_one_outage(routing: Routing) -> None:
    first = submitted("Không vào được TABMIS, báo lỗi kết nối", 0)
    second = submitted("ko dang nhap dc tabmis, timeout", 2)
    reset = submitted("Nhờ reset mật khẩu TABMIS cho nsd mới", 3)
    third = submitted("TABMIS báo HTTP 503 Service Unavailable", 4)

    await routing.feed(first, second, reset, third)

    assert routing.get(first.ticket_id).parent_id is None
    assert routing.get(second.ticket_id).parent_id == first.ticket_id
    assert routing.get(third.ticket_id).parent_id == first.ticket_id
    assert routing.get(reset.ticket_id).parent_id is None
    assert routing.published(second.ticket_id) == [
        "hotro.ticket.routed.v1",
        "hotro.ticket.linked.v1",
    ]


async def test_a_later_report_finds_the_outage_through_the_index(routing: Routing) -> None:
    first = submitted("TTSP không gửi được lệnh sang Vietcombank", 0)
    await routing.feed(first)
    await routing.feed(submitted("Ngân hàng chưa nhận được lệnh, TTSP treo", 30))
    late = submitted("TTSP không gửi được lệnh", 80)
    await routing.feed(late)  # 80 min after the first report, 50 after the latest

    routing.index.catch_up()
    incidents = routing.index.open_incidents("TTSP", T0 + timedelta(minutes=80), timedelta(hours=1))
    assert [(i.ticket_id, i.last_report_at) for i in incidents] == [
        (first.ticket_id, T0 + timedelta(minutes=80))
    ]
    assert routing.get(late.ticket_id).parent_id == first.ticket_id


async def test_resolving_the_parent_asks_intake_to_resolve_each_child(routing: Routing) -> None:
    first = submitted("DVC không truy cập được, lỗi 502 Bad Gateway", 0)
    child = submitted("dich vu cong ko vao dc, loi 502", 5)
    await routing.feed(first, child)

    await routing.feed(resolved(first, 40))
    after = submitted("Dịch vụ công lại báo lỗi 502", 45)
    await routing.feed(after)

    assert routing.published(child.ticket_id)[-1] == "hotro.ticket.resolution_requested.v1"
    request = routing.contracts(child.ticket_id)[-1]
    assert request.parent_id == first.ticket_id
    assert (request.cause, request.parent_cause) == ("duplicate", "infrastructure")
    assert request.note == "Đã khởi động lại máy chủ ứng dụng"
    assert routing.get(after.ticket_id).parent_id is None  # a resolved incident takes no children


async def test_reclassifications_teach_a_new_model_version(routing: Routing) -> None:
    ticket = submitted("Màn hình nhập liệu chương trình bị đơ", 0)
    await routing.feed(ticket)
    record = routing.get(ticket.ticket_id)
    record.reclassify(
        group="INTERNAL",
        type="incident",
        application="KTNB",
        actor="op",
        role="admin",
        reason="KTNB",
        at=T0,
    )
    routing.app.save(record)
    routing.store.ensure_table()

    first = routing.store.train(list(routing.classifier.examples()), catalog(), None)
    routing.classifier.model = first.candidate
    examples = routing.classifier.examples()
    second = routing.store.train(examples, catalog(), first.candidate)

    assert examples[-1].text.startswith("Màn hình") and examples[-1].application == "KTNB"
    assert first.adopted and second.sources["operator"] == 1
    versions = routing.store.versions()
    assert [v.version for v in versions] == [second.candidate.version, first.candidate.version]
    assert routing.store.version_in_use() == (
        second.candidate.version if second.adopted else first.candidate.version
    )
