"""`POST /api/v1/routing/preview`: what routing would decide, creating nothing (SPEC §7).

A policy change can be tried before it takes effect: `as_of` picks the version in force on
that date, `policy` names one outright. The answer is the decision a submitted ticket would
get, with the policy and model versions that made it, and the open incident it would be
linked to if it arrived at `as_of`.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from libs.catalog.model import UnitKind
from libs.catalog.requester import UNKNOWN, RequesterUnit, UnknownUnit, resolve_requester_unit
from services.routing.api.deps import RoutingServices, Svc
from services.routing.api.errors import Refused
from services.routing.domain.outages import Report, parent_for
from services.routing.domain.route import UnknownPolicy, first_handler_dict, route_ticket

router = APIRouter(prefix="/routing", tags=["routing"])


class DeclaredUnitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: UnitKind
    province: str | None = Field(default=None, max_length=100)
    name: str = Field(default="", max_length=300)


class RequesterIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    unit_code: str | None = Field(default=None, max_length=64)
    unit: DeclaredUnitIn | None = None


class PreviewRequest(BaseModel):
    """The body of a ticket submission (`POST /api/v1/tickets`); only `subject` is required."""

    model_config = ConfigDict(extra="ignore")
    channel: Literal["web", "email", "phone", "monitoring"] = "web"
    requester: RequesterIn | None = None
    application_code: str | None = Field(default=None, max_length=32)
    subject: str = Field(min_length=1, max_length=250)
    description: str = Field(default="", max_length=20_000)
    priority: Literal["P1", "P2", "P3", "P4"] = "P3"


class PolicyPublic(BaseModel):
    id: str
    name: str
    effective_from: date


class PreviewPublic(BaseModel):
    group: str
    type: str
    application: str | None
    picked_application: str | None
    classification: dict[str, Any]
    first_handler: dict[str, Any]
    reasons: list[str]
    policy: PolicyPublic
    model_version: str
    as_of: datetime
    #: The open incident this ticket would be linked to, if it arrived at `as_of`.
    duplicate_of: dict[str, Any] | None = None


@router.post("/preview", response_model=PreviewPublic)
async def preview(
    body: PreviewRequest,
    svc: Svc,
    as_of: Annotated[datetime | None, Query(description="ISO 8601 with offset")] = None,
    policy: Annotated[str | None, Query(max_length=64)] = None,
) -> PreviewPublic:
    """What routing would decide for this ticket body under a policy version; creates nothing."""
    if as_of is not None and as_of.tzinfo is None:
        raise Refused(
            422, "as_of", "as_of needs a UTC offset, e.g. 2018-06-01T09:00:00+07:00", "invalid"
        )
    at = as_of or datetime.now(UTC)
    picked = body.application_code.upper() if body.application_code else None
    if picked and picked not in svc.catalog.applications:
        raise Refused(422, "application_code", f"unknown application code {picked!r}", "invalid")
    requester = _requester(svc, body.requester)
    try:
        outcome = route_ticket(
            catalog=svc.catalog,
            subject=body.subject,
            description=body.description,
            picked_application=picked,
            requester=requester,
            received_at=at,
            policy_id=policy,
            model=svc.classifier.model,
        )
    except UnknownPolicy as error:
        raise Refused(422, "policy", str(error), "unknown_code") from error
    unit = body.requester.unit_code if body.requester and body.requester.unit_code else None
    duplicate = await asyncio.to_thread(_would_link, svc, outcome, at, unit)
    return PreviewPublic(
        group=outcome.group,
        type=outcome.type,
        application=outcome.application,
        picked_application=picked,
        classification=outcome.classification,
        first_handler=first_handler_dict(outcome.first_handler),
        reasons=outcome.reasons,
        policy=PolicyPublic(
            id=outcome.policy.id,
            name=outcome.policy.name,
            effective_from=outcome.policy.effective_from,
        ),
        model_version=outcome.classification["model_version"],
        as_of=at,
        duplicate_of=duplicate,
    )


def _requester(svc: RoutingServices, given: RequesterIn | None) -> RequesterUnit:
    if given is None or (not given.unit_code and given.unit is None):
        return UNKNOWN
    try:
        return resolve_requester_unit(
            svc.catalog,
            unit_code=given.unit_code.strip().upper() if given.unit_code else None,
            declared=given.unit.model_dump() if given.unit else None,
        )
    except UnknownUnit as error:
        raise Refused(422, f"requester.{error.field}", error.reason, "unknown_code") from error


def _would_link(
    svc: RoutingServices, outcome: Any, at: datetime, unit: str | None
) -> dict[str, Any] | None:
    """The link the live decision would make: the requester's unit counts towards a burst."""
    if outcome.type != "incident" or outcome.application is None:
        return None
    policy = svc.catalog.routing.duplicates
    svc.index.catch_up()
    incidents = svc.index.open_incidents(
        outcome.application, at, timedelta(minutes=policy.window_minutes)
    )
    report = Report(
        "preview",
        outcome.application,
        outcome.type,
        at,
        outcome.text,
        unit=unit.strip().upper() if unit else None,
    )
    match = parent_for(report, incidents, policy)
    if match is None:
        return None
    return {"ticket_id": match.parent_id, "similarity": match.similarity, "reasons": match.reasons}
