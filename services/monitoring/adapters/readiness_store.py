"""The morning round in monitoring's event store: its aggregate id and its public contracts.

A round's runs and results are events of one `ReadinessRound` per treasury day; the relay
publishes three of them to `hotro.monitoring.v1`, keyed `readiness:<date>`: a completed run
with every check's result, the report sent, and each failed login. Starting a run and each
single result stay internal (the completed run repeats them in one event).
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from libs.events.schemas import (
    ReadinessLoginFailed,
    ReadinessReportSent,
    ReadinessRoundCompleted,
    contract_from,
)
from libs.platform.eventstore import ToContract, derived_id
from services.monitoring.domain.readiness_round import ReadinessRound


def round_id_of(day: str) -> uuid.UUID:
    return derived_id("readiness-round", day)


def readiness_contract(domain_event: Any) -> tuple[str, msgspec.Struct] | None:
    key = f"readiness:{getattr(domain_event, 'day', '')}"
    if isinstance(domain_event, ReadinessRound.Completed):  # type: ignore[attr-defined]
        contract: msgspec.Struct = contract_from(
            domain_event,
            ReadinessRoundCompleted,
            date=domain_event.day,
            completed_at=domain_event.at,
        )
        return key, contract
    if isinstance(domain_event, ReadinessRound.ReportSent):  # type: ignore[attr-defined]
        contract = contract_from(
            domain_event, ReadinessReportSent, date=domain_event.day, sent_at=domain_event.at
        )
        return key, contract
    if isinstance(domain_event, ReadinessRound.LoginFailed):  # type: ignore[attr-defined]
        return key, contract_from(domain_event, ReadinessLoginFailed, date=domain_event.day)
    return None


def with_readiness(to_contract: ToContract) -> ToContract:
    """The service's mapping extended with the round's contracts (one relay, one topic)."""

    def mapped(domain_event: Any) -> tuple[str, msgspec.Struct] | None:
        return readiness_contract(domain_event) or to_contract(domain_event)

    return mapped
