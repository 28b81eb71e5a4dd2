"""A realistic log of the four services' events, for reporting's rebuild tests and benchmark.

Each service plays its outbox relay: one log of positions, each message naming the previous
position sent to the same partition (`prev`), keyed by ticket (monitoring: by incident).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from libs.events import schemas as c
from libs.events.envelope import Envelope, encode_envelope
from libs.events.relay import partition_for
from libs.events.topics import DEFAULT_PARTITIONS, ESCALATION, INTAKE, MONITORING, ROUTING

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # Monday 08:00 in Hà Nội
PROVINCES = ("HNI", "HCM", "DNG", "HPG")
CHANNELS = ("web", "email", "phone")
APPS = (("TABMIS", "TABMIS"), ("TTSP", "PAYMENT"), ("MAIL", "WORKSTATION"))


@dataclass
class Relay:
    """One service's outbox: positions and `prev` per partition, as libs/events/relay.py."""

    service: str
    topic: str
    position: int = 0
    last: dict[int, int] = field(default_factory=dict)

    def envelope(self, contract: msgspec.Struct, at: datetime, key: str) -> Envelope:
        self.position += 1
        partition = partition_for(key, DEFAULT_PARTITIONS)
        envelope = Envelope(
            id=str(uuid.uuid4()),
            source=f"hotro/{self.service}",
            type=type(contract).TYPE,  # type: ignore[attr-defined]
            subject=key,
            time=at,
            data=c.data_of(contract),
            position=self.position,
            prev=self.last.get(partition, 0),
        )
        self.last[partition] = self.position
        return envelope


@dataclass
class ReportingLog:
    prefix: str = ""
    relays: dict[str, Relay] = field(default_factory=dict)
    #: (topic, envelope) in the order they were produced.
    events: list[tuple[str, Envelope]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for service, topic in (
            ("intake", INTAKE),
            ("routing", ROUTING),
            ("escalation", ESCALATION),
            ("monitoring", MONITORING),
        ):
            self.relays[service] = Relay(service, f"{self.prefix}{topic}")

    def _emit(self, service: str, contract: msgspec.Struct, at: datetime, key: str) -> None:
        relay = self.relays[service]
        self.events.append((relay.topic, relay.envelope(contract, at, key)))

    def ticket(self, n: int) -> None:
        """One ticket's life: submitted, routed, placed, and depending on `n` escalated and
        answered, waiting for the requester, resolved, reopened."""
        tid = str(uuid.UUID(int=n + 1))
        at = T0 + timedelta(minutes=7 * n)
        app, group = APPS[n % len(APPS)]
        province = PROVINCES[n % len(PROVINCES)]
        office = f"PTH-{province}"
        self._emit("intake", c.TicketSubmitted(
            ticket_id=tid, number=f"YC-2026-{n + 1:06d}", channel=CHANNELS[n % 3],
            requester=c.Requester(name="Nguyễn Văn An", unit_code=f"KBNN-{province}"),
            subject=f"Lỗi {app} số {n % 5}", description="Xin hỗ trợ", received_at=at,
            application_code=app, unit_kind="kbnn_province", unit_province=province,
        ), at, tid)  # fmt: skip
        self._emit("routing", c.TicketRouted(
            ticket_id=tid, group=group, type="incident" if n % 4 else "service_request",
            application=app, picked_application=app,
            classification=c.Classification(model_version="m1", confidence=0.9, source="rules"),
            first_handler=c.FirstHandler(kind="province", tier="L1", office=office,
                                         policy_version="phase-3"),
            received_at=at,
        ), at + timedelta(seconds=2), tid)  # fmt: skip
        self._emit("escalation", c.TicketAssigned(
            ticket_id=tid, tier="L1", owner=office, handler=office, group=group,
            assigned_at=at + timedelta(seconds=3),
        ), at, tid)  # fmt: skip
        self._sla(tid, at, responded=False)
        if n % 3 == 0:
            self._emit("escalation", c.TicketEscalated(
                ticket_id=tid, from_tier="L1", tier="L2", owner=office, handler=group,
                reason="cần nhóm xử lý", actor="Lê Văn Tâm", at=at + timedelta(minutes=20),
            ), at, tid)  # fmt: skip
        if n % 6 == 0:
            self._emit("escalation", c.TicketReturned(
                ticket_id=tid, from_tier="L2", tier="L1", owner=office, handler=office,
                answer="Đã xử lý", actor="Nhóm", at=at + timedelta(minutes=50),
            ), at, tid)  # fmt: skip
        self._status(tid, "in_progress", "routed", at + timedelta(minutes=10))
        if n % 5 == 0:
            self._status(tid, "waiting_requester", "in_progress", at + timedelta(minutes=15))
            self._status(tid, "in_progress", "waiting_requester", at + timedelta(minutes=45))
        if n % 2 == 0:
            cause = "user_error" if n % 4 == 0 else "software_bug"
            self._status(tid, "resolved", "in_progress", at + timedelta(hours=2), cause=cause)
            self._sla(tid, at + timedelta(hours=2), responded=True, resolved=True)
            if n % 10 == 0:
                self._status(tid, "reopened", "resolved", at + timedelta(hours=3))

    def _status(self, tid: str, new: str, old: str, at: datetime, **more: Any) -> None:
        self._emit("intake", c.TicketStatusChanged(
            ticket_id=tid, status=new, previous=old, actor="PTH", at=at, **more
        ), at, tid)  # fmt: skip

    def _sla(self, tid: str, at: datetime, **state: Any) -> None:
        self._emit("escalation", c.SlaUpdated(
            ticket_id=tid, policy="standard", priority="P3", response_due=at + timedelta(hours=4),
            resolution_due=at + timedelta(hours=16), paused=False, breached=[], at=at, **state,
        ), at, tid)  # fmt: skip

    def incident(self, n: int) -> None:
        iid = str(uuid.UUID(int=10**9 + n))
        down = T0 + timedelta(hours=n)
        common: dict[str, Any] = {
            "incident_id": iid, "source": "check", "key": f"check:tabmis-web-{n}",
            "application": "TABMIS", "priority": "P1", "subject": "TABMIS không truy cập được",
            "description": "Kiểm tra lỗi", "down_since": down, "check_id": f"tabmis-web-{n}",
        }  # fmt: skip
        self._emit("monitoring", c.IncidentOpened(at=down + timedelta(minutes=2), **common),
                   down, iid)  # fmt: skip
        back = down + timedelta(minutes=30 + n)
        self._emit("monitoring", c.IncidentResolved(
            at=back, recovered_at=back, outage_seconds=(30 + n) * 60,
            outage_minutes=float(30 + n), **common,
        ), back, iid)  # fmt: skip


def generate(prefix: str, tickets: int, incidents: int = 3, first: int = 0) -> ReportingLog:
    log = ReportingLog(prefix)
    for n in range(first, first + tickets):
        log.ticket(n)
    for n in range(incidents):
        log.incident(n)
    return log


def messages(events: list[tuple[str, Envelope]]) -> dict[str, list[tuple[int, bytes, bytes]]]:
    """Per topic, the (partition, key, value) messages to publish in order."""
    out: dict[str, list[tuple[int, bytes, bytes]]] = {}
    for topic, e in events:
        partition = partition_for(e.subject, DEFAULT_PARTITIONS)
        out.setdefault(topic, []).append((partition, e.subject.encode(), encode_envelope(e)))
    return out
