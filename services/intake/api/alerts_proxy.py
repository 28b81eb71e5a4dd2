"""`POST /api/v1/alerts/alertmanager` on the gateway: forwarded to monitoring, which owns
incidents (rule 3). Alertmanager authenticates with an `integration` token (SPEC §7, §8)
given as `http_config.authorization` of its webhook_config; monitoring validates the payload
and answers 422 naming the field, or what each alert did."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request

from services.intake.api.deps import CurrentUser
from services.intake.api.errors import FieldError
from services.intake.api.internal_calls import Internal

router = APIRouter(prefix="/alerts", tags=["alerts"])
ALERT_ROLES = ("integration", "admin")


@router.post("/alertmanager")
async def alertmanager_webhook(
    request: Request,
    internal: Internal,
    user: CurrentUser,
    body: Annotated[
        dict[str, Any],
        Body(
            description='{"version": "4", "status", "groupKey", "truncatedAlerts", "alerts": [...]}'
        ),
    ],
) -> Any:
    """Alertmanager webhook (payload version 4): firing alerts open or attach to an incident
    keyed by `fingerprint`, resolved ones resolve it; repeats change nothing."""
    if user.role not in ALERT_ROLES:
        raise FieldError(
            ("header", "Authorization"),
            f"Vai trò {user.role} không được gửi cảnh báo. / Role {user.role} may not post"
            " alerts: use an integration token.",
            status=403,
            kind="forbidden",
        )
    return await internal.call(
        "monitoring", user, "POST", "/alerts/alertmanager", content=await request.body()
    )
