"""Monitoring's incidents, wired: its own state changes decided into `Incident` lines.

The decider consumes monitoring's own topic (hotro.monitoring.v1): a target's change of
state is an event of monitoring's log, and the incident it opens or resolves is stored with
that event's source position in one transaction (rule 5), so a restart, a replay or a
broker that forgot everything neither loses nor doubles an incident. Alertmanager's webhook
(api/alerts.py) decides on the same aggregates, keyed by fingerprint.

Settings: HOTRO_INCIDENT_REOPEN_WITHIN_S (the quiet period after a recovery during which a
failure reopens the same incident; 1800), HOTRO_WAN_MIN_WORKING_CHANNELS (a district with
fewer working channels is an incident; 2, SPEC §5).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError
from prometheus_client import Counter

from libs.catalog import Catalog
from libs.catalog.checks_model import Estate
from libs.events.envelope import Envelope
from libs.events.schemas import (
    CheckStateChanged,
    IncidentOpened,
    IncidentReopened,
    IncidentResolved,
    IncidentUpdated,
    contract_from,
    parse_data,
)
from libs.events.sinks import EventSourcedSink, UnitOfWork
from libs.events.topics import MONITORING
from libs.platform.service import ServiceKit
from libs.platform.settings import SettingError
from services.monitoring.adapters.incidents_labels import AlertLabels, load_alert_labels
from services.monitoring.adapters.store import MonitoringApplication
from services.monitoring.domain.incidents import (
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

log = logging.getLogger(__name__)
INCIDENT_CHANGES = Counter(
    "hotro_monitoring_incident_changes_total", "Incidents opened, updated, resolved, reopened",
    ["source", "change"],
)  # fmt: skip
TRUNCATED_ALERTS = Counter(
    "hotro_alertmanager_truncated_alerts_total",
    "Alerts Alertmanager left out of its webhook payloads (truncatedAlerts)",
)


def incident_policy() -> Policy:
    def number(name: str, default: str, minimum: int) -> int:
        raw = os.environ.get(name, default)
        try:
            value = int(raw)
        except ValueError:
            raise SettingError(f"{name} must be a whole number, not {raw!r}") from None
        if value < minimum:
            raise SettingError(f"{name} must be at least {minimum}")
        return value

    return Policy(
        reopen_within=timedelta(seconds=number("HOTRO_INCIDENT_REOPEN_WITHIN_S", "1800", 0)),
        wan_min_working=number("HOTRO_WAN_MIN_WORKING_CHANNELS", "2", 1),
    )


_CONTRACT_OF: dict[str, Any] = {
    "Opened": IncidentOpened,
    "Updated": IncidentUpdated,
    "Resolved": IncidentResolved,
    "Reopened": IncidentReopened,
}

ToContract = Callable[[Any], tuple[str, msgspec.Struct] | None]


def with_incident_contracts(to_contract: ToContract) -> ToContract:
    """The relay's mapping, extended: an incident's events are told keyed by incident id."""

    def mapped(domain_event: Any) -> tuple[str, msgspec.Struct] | None:
        if isinstance(domain_event, Incident.Event):  # type: ignore[attr-defined]
            contract = _CONTRACT_OF.get(type(domain_event).__name__)
            if contract is None:
                return None  # registering a line and noting channels are bookkeeping
            e: Any = domain_event
            return e.facts["incident_id"], contract_from(e, contract, **e.facts)
        return to_contract(domain_event)

    return mapped


def _line(
    work: UnitOfWork, source: str, ident: str, **identity: Any
) -> tuple[Incident | None, Callable[[], Incident]]:
    """The line if it exists, and how to make it (only a failure creates one)."""
    key = line_key(source, ident)
    aggregate_id = line_id(key)
    found = work.get(aggregate_id) if work.exists(aggregate_id) else None

    def create() -> Incident:
        return Incident(id=aggregate_id, key=key, source=source, **identity)

    return found, create


def _counted(line: Incident, outcome: str | None) -> list[Incident]:
    if outcome is not None:
        INCIDENT_CHANGES.labels(line.source, outcome).inc()
    return [line]


class IncidentDecider:
    """The consumer's decision for each state change of monitoring's own log."""

    def __init__(self, estate: Estate, catalog: Catalog, policy: Policy) -> None:
        self.policy = policy
        self.districts = {
            d.district: District(
                code=d.district,
                name=d.name,
                province=d.province,
                province_name=catalog.provinces[d.province].name
                if d.province in catalog.provinces
                else d.province,
                channels=tuple(c.id for c in d.channels),
            )
            for d in estate.wan
        }

    def __call__(self, envelope: Envelope, work: UnitOfWork) -> list[Any]:
        if envelope.type != CheckStateChanged.TYPE:
            return []
        change = parse_data(envelope.type, envelope.data)
        assert isinstance(change, CheckStateChanged)
        if change.labels.get("district") in self.districts:
            return self._district(change, work)
        if change.application is None:
            return []
        return self._target(change, work)

    def _target(self, change: CheckStateChanged, work: UnitOfWork) -> list[Any]:
        line, create = _line(
            work, "check", change.check_id,
            application=change.application, check_id=change.check_id, fingerprint=None,
        )  # fmt: skip
        if change.state == "down":
            line = line or create()
            down = CheckDown(
                check_id=change.check_id,
                application=change.application or "",
                name=change.name,
                target=change.target,
                since=change.since,
                at=change.at,
                reason=change.reason,
                priority=change.priority,
                failures=change.failures,
            )
            return _counted(line, line.hear_failure(check_failure(down), self.policy))
        if change.state == "up" and line is not None:
            return _counted(line, line.hear_recovery(Recovery(change.since, change.at)))
        return []  # unknown or maintenance: neither a failure nor a recovery

    def _district(self, change: CheckStateChanged, work: UnitOfWork) -> list[Any]:
        district = self.districts[change.labels["district"]]
        line, create = _line(
            work, "wan", district.code, application=None, check_id=None, fingerprint=None
        )
        if line is None:
            if change.state != "down":
                return []  # a channel that never failed needs no line
            line = create()
        info = {
            k: change.labels.get(k, "") for k in ("carrier", "carrier_contact", "carrier_phone")
        }
        info |= {"name": change.name or change.check_id, "reason": change.reason}
        line.note_channel(change.check_id, change.state, change.since, info)
        failure = district_failure(district, line.channels, self.policy, change.at, change.priority)
        if failure is not None:
            return _counted(line, line.hear_failure(failure, self.policy))
        if change.state == "up":
            return _counted(line, line.hear_recovery(Recovery(change.since, change.at)))
        return [line]


#: How often a webhook is decided again when another request changed the same line.
_CONFLICT_RETRIES = 5


class AlertDecisions:
    """Alertmanager's alerts on the incident lines, one save per webhook (all or nothing)."""

    def __init__(self, app: MonitoringApplication, policy: Policy) -> None:
        self.app = app
        self.policy = policy

    def receive(
        self, alerts: Iterable[Alert], truncated: int, now: datetime, group_key: str = ""
    ) -> list[dict[str, Any]]:
        """Blocking (the event store): run it in a thread. Each alert's outcome."""
        alerts = list(alerts)
        if truncated:
            TRUNCATED_ALERTS.inc(truncated)
            log.warning(
                "alertmanager truncated alerts",
                extra={"truncated_alerts": truncated, "group_key": group_key},
            )
        for _ in range(_CONFLICT_RETRIES):
            try:
                return self._decide(alerts, truncated, now)
            except IntegrityError:
                continue
        raise RuntimeError(f"write conflicts persisted over {_CONFLICT_RETRIES} attempts")

    def _decide(self, alerts: list[Alert], truncated: int, now: datetime) -> list[dict[str, Any]]:
        lines: dict[Any, Incident] = {}
        outcomes = []
        for alert in alerts:
            key = line_key("alertmanager", alert.fingerprint)
            aggregate_id = line_id(key)
            line = lines.get(aggregate_id) or self._get(aggregate_id)
            if alert.status == "firing":
                line = line or Incident(
                    id=aggregate_id, key=key, source="alertmanager",
                    application=alert.application, check_id=None, fingerprint=alert.fingerprint,
                )  # fmt: skip
                outcome = line.hear_failure(alert_failure(alert, now, truncated), self.policy)
            elif line is not None:
                outcome = line.hear_recovery(Recovery(alert.ends_at or now, now))
            else:
                outcome = None  # a resolution of an alert never seen firing
            if line is not None:
                lines[aggregate_id] = line
                _counted(line, outcome)
            outcomes.append(
                {
                    "fingerprint": alert.fingerprint,
                    "status": alert.status,
                    "outcome": outcome or "unchanged",
                    "incident_id": line.incident_id if line is not None else None,
                }
            )
        self.app.save(*lines.values())
        return outcomes

    def _get(self, aggregate_id: Any) -> Incident | None:
        try:
            found: Incident = self.app.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return found


@dataclass
class AlertServices:
    """What the Alertmanager route needs (api/alerts.py)."""

    decisions: AlertDecisions
    labels: AlertLabels
    clock: Callable[[], datetime]


def wire_incidents(
    kit: ServiceKit,
    app: MonitoringApplication,
    estate: Estate,
    catalog: Catalog,
    clock: Callable[[], datetime],
) -> AlertServices:
    """The incidents consumer of monitoring's own topic, and the Alertmanager decisions."""
    policy = incident_policy()
    kit.consumer(
        "monitoring.incidents",
        [MONITORING],
        EventSourcedSink(
            name="monitoring.incidents", app=app, decide=IncidentDecider(estate, catalog, policy)
        ),
    )
    return AlertServices(AlertDecisions(app, policy), load_alert_labels(catalog), clock)
