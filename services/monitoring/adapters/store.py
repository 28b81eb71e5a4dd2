"""Monitoring's event store: one `Target` aggregate per check, and its public contract."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from libs.events.schemas import CheckStateChanged, contract_from
from libs.platform.eventstore import ServiceApplication, derived_id
from services.monitoring.domain.target import Target


class MonitoringApplication(ServiceApplication):
    name = "monitoring"


def target_id_of(check_id: str) -> uuid.UUID:
    return derived_id("check-target", check_id)


def to_contract(domain_event: Any) -> tuple[str, msgspec.Struct] | None:
    """A state change is told to the other services keyed by its check id; registering is not."""
    if isinstance(domain_event, Target.StateChanged):  # type: ignore[attr-defined]
        return domain_event.check_id, contract_from(domain_event, CheckStateChanged)
    return None
