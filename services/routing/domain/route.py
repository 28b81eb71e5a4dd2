"""One question, one function: where does a submitted ticket go, and why (SPEC §3)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from libs.catalog.model import Catalog, PolicyVersion
from libs.catalog.requester import RequesterUnit
from services.routing.domain.classify import TicketGuesser, classify
from services.routing.domain.first_handler import FirstHandler, first_handler_for
from services.routing.domain.ticket_text import problem_text

VN = ZoneInfo("Asia/Ho_Chi_Minh")


class UnknownPolicy(ValueError):
    def __init__(self, policy_id: str, known: list[str]) -> None:
        super().__init__(f"no policy version {policy_id!r}; known: {', '.join(known)}")
        self.policy_id = policy_id


@dataclass(frozen=True)
class RoutingOutcome:
    group: str
    type: str
    application: str | None
    classification: dict[str, Any]
    first_handler: FirstHandler
    reasons: list[str]
    policy: PolicyVersion
    #: What was classified: subject and description without signature or contact lines.
    text: str


def policy_for(catalog: Catalog, received_at: datetime, policy_id: str | None) -> PolicyVersion:
    """The named version, else the one in force on `received_at`'s date in Vietnam."""
    if policy_id:
        policy = catalog.policy_named(policy_id)
        if policy is None:
            raise UnknownPolicy(policy_id, [v.id for v in catalog.routing.versions])
        return policy
    return catalog.policy_in_force(received_at.astimezone(VN).date())


def route_ticket(
    *,
    catalog: Catalog,
    subject: str,
    description: str,
    picked_application: str | None,
    requester: RequesterUnit,
    received_at: datetime,
    policy_id: str | None = None,
    model: TicketGuesser | None = None,
    pick_is_known: bool = False,
) -> RoutingOutcome:
    """Classify, then apply the policy version in force at `received_at` (or the named one)."""
    text = problem_text(subject, description)
    classification = classify(text, catalog, picked_application, model, pick_is_known=pick_is_known)
    policy = policy_for(catalog, received_at, policy_id)
    application = catalog.applications.get(classification.application or "")
    handler = first_handler_for(
        requester,
        application,
        policy,
        catalog.routing.options,
        catalog,
        group=classification.group,
        on=received_at.astimezone(VN).date(),
    )
    return RoutingOutcome(
        group=classification.group,
        type=classification.type,
        application=classification.application,
        classification={
            "model_version": classification.model_version,
            "confidence": round(classification.confidence, 3),
            "source": classification.source,
        },
        first_handler=handler,
        reasons=[*classification.reasons, handler.reason],
        policy=policy,
        text=text,
    )


def first_handler_dict(handler: FirstHandler) -> dict[str, Any]:
    return asdict(handler)
