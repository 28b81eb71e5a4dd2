"""One question, one function: where does a submitted ticket go, and why (SPEC §3)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from libs.catalog.model import Catalog
from libs.catalog.requester import RequesterUnit
from services.routing.domain.classify import classify, ticket_type_of
from services.routing.domain.first_handler import FirstHandler, first_handler_for

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True)
class RoutingOutcome:
    group: str
    type: str
    application: str | None
    classification: dict[str, Any]
    first_handler: FirstHandler
    reasons: list[str]


def route_ticket(
    *,
    catalog: Catalog,
    subject: str,
    description: str,
    picked_application: str | None,
    requester: RequesterUnit,
    received_at: datetime,
    policy_id: str | None = None,
) -> RoutingOutcome:
    """Classify, then apply the policy version in force at `received_at` (or the named one)."""
    text = f"{subject}\n{description}"
    classification = classify(text, catalog, picked_application)
    policy = catalog.policy_named(policy_id) if policy_id else None
    if policy is None:
        policy = catalog.policy_in_force(received_at.astimezone(VN).date())
    application = catalog.applications.get(classification.application or "")
    handler = first_handler_for(
        requester, application, policy, catalog.routing.options, catalog, group=classification.group
    )
    return RoutingOutcome(
        group=classification.group,
        type=ticket_type_of(text),
        application=classification.application,
        classification={
            "model_version": classification.model_version,
            "confidence": round(classification.confidence, 3),
            "source": classification.source,
        },
        first_handler=handler,
        reasons=[*classification.reasons, handler.reason],
    )


def first_handler_dict(handler: FirstHandler) -> dict[str, Any]:
    return asdict(handler)
