"""`POST /api/v1/alerts/alertmanager`: Prometheus Alertmanager's webhook (payload version 4).

Firing alerts open or attach to an incident keyed by `fingerprint`; `resolved` resolves it;
repeats and re-sent resolutions change nothing (Alertmanager re-sends every group_interval
and repeat_interval, and retries on any error). A malformed payload is refused whole (422
naming the field), so nothing of it is half-decided. `truncatedAlerts` is logged, counted
(hotro_alertmanager_truncated_alerts_total), answered and carried by the incidents' events.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from libs.platform.caller import Caller, caller_from_assertion
from services.monitoring.adapters.incidents import AlertServices
from services.monitoring.adapters.incidents_labels import AlertLabels
from services.monitoring.api.errors import problem
from services.monitoring.domain.incidents import Alert

router = APIRouter(prefix="/alerts", tags=["alerts"])
#: SPEC §8: the monitoring integrations post with an `integration` token.
ALERT_ROLES = ("integration", "admin")
#: Alertmanager writes "0001-01-01T00:00:00Z" as the end of an alert still firing.
_NO_END_BEFORE = datetime(1970, 1, 2, tzinfo=UTC)
#: An alert's start outside these years is a broken clock or payload, not an outage.
_YEARS = range(2000, 2200)


class AlertIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: datetime
    endsAt: datetime | None = None
    generatorURL: str = Field(default="", max_length=2000)
    fingerprint: str = Field(min_length=1, max_length=128, pattern=r"^[0-9A-Za-z_-]+$")

    @field_validator("startsAt")
    @classmethod
    def _plausible_start(cls, value: datetime) -> datetime:
        if value.year not in _YEARS:
            raise ValueError(f"startsAt must fall in {_YEARS.start}..{_YEARS.stop - 1}")
        return value

    @field_validator("endsAt")
    @classmethod
    def _plausible_end(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.year >= _YEARS.stop:
            raise ValueError(f"endsAt must fall before {_YEARS.stop}")
        return value


class AlertmanagerWebhook(BaseModel):
    """The body Alertmanager posts (webhook_config, payload version 4)."""

    model_config = ConfigDict(extra="allow")
    version: Literal["4"]
    groupKey: str = Field(max_length=2000)
    truncatedAlerts: int = Field(default=0, ge=0)
    status: Literal["firing", "resolved"]
    receiver: str = Field(default="", max_length=200)
    groupLabels: dict[str, str] = Field(default_factory=dict)
    commonLabels: dict[str, str] = Field(default_factory=dict)
    commonAnnotations: dict[str, str] = Field(default_factory=dict)
    externalURL: str = Field(default="", max_length=2000)
    alerts: list[AlertIn] = Field(max_length=1000)


def _services(request: Request) -> AlertServices:
    services: AlertServices = request.app.state.alerts
    return services


Svc = Annotated[AlertServices, Depends(_services)]
GatewayCaller = Annotated[Caller, Depends(caller_from_assertion)]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def alert_of(alert: AlertIn, labels: AlertLabels) -> Alert:
    ends = _aware(alert.endsAt) if alert.endsAt is not None else None
    return Alert(
        fingerprint=alert.fingerprint,
        status=alert.status,
        name=alert.labels.get("alertname", "cảnh báo"),
        application=labels.application_of(alert.labels),
        priority=labels.priority_of(alert.labels),
        starts_at=_aware(alert.startsAt),
        ends_at=ends if ends is not None and ends >= _NO_END_BEFORE else None,
        summary=alert.annotations.get("summary", ""),
        description=alert.annotations.get("description", ""),
        labels=alert.labels,
        generator_url=alert.generatorURL,
    )


@router.post("/alertmanager")
async def alertmanager_webhook(body: AlertmanagerWebhook, svc: Svc, caller: GatewayCaller) -> Any:
    """Alertmanager's alerts as incidents, keyed by fingerprint; idempotent."""
    if caller.role not in ALERT_ROLES:
        return problem(
            403, "forbidden", "role", f"role {caller.role!r} may not post alerts; needs integration"
        )
    alerts = [alert_of(a, svc.labels) for a in body.alerts]
    outcomes = await asyncio.to_thread(
        svc.decisions.receive, alerts, body.truncatedAlerts, svc.clock(), body.groupKey
    )
    return {
        "received": len(alerts),
        "truncated_alerts": body.truncatedAlerts,
        "alerts": outcomes,
    }
