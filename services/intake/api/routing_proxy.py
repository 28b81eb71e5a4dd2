"""Routing on the gateway: preview, reclassify, link and unlink, forwarded to routing (rule 1).

Routing owns group, type, application and outage links; the gateway authenticates the
caller, checks they may see the ticket (a province its own only), turns a ticket number
into its id, and passes who they are on. Routing decides whether the role may act (403) and
whether the change is possible (409), and answers in the gateway's error shape.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import JSONResponse

from services.intake.adapters.tokens import Principal
from services.intake.api.deps import CurrentUser, Services, get_services
from services.intake.api.internal_calls import Internal
from services.intake.api.tickets import STAFF_ROLES, _visible, reachable_ticket
from services.intake.domain.access import check_role

router = APIRouter(tags=["routing"])
Svc = Annotated[Services, Depends(get_services)]


def _not_found(field: str, what: str) -> JSONResponse:
    return JSONResponse(
        {"error": "not_found", "detail": [{"field": field, "msg": f"no ticket {what}"}]},
        status_code=404,
    )


async def _ticket_id(svc: Services, user: Principal, id_or_number: str) -> str:
    """The ticket's id if `user` may see it: 404 for another requester's, 403 for another
    province's (the gateway's one rule for every ticket action)."""
    return str((await reachable_ticket(svc, user, id_or_number))["id"])


async def _parent_id(svc: Services, user: Principal, id_or_number: str) -> str | None:
    row = await svc.queries.one(id_or_number)
    return str(row["id"]) if row is not None and _visible(user, row) else None


@router.post("/routing/preview")
async def preview(
    user: CurrentUser,
    internal: Internal,
    body: Annotated[dict[str, Any], Body(description="a ticket body, as for POST /tickets")],
    as_of: Annotated[str | None, Query(description="ISO 8601 with offset")] = None,
    policy: Annotated[str | None, Query(max_length=64)] = None,
) -> Any:
    """What routing would decide for this ticket body under the policy version in force at
    `as_of` (or the named `policy`), and the model version; nothing is created."""
    check_role(user, STAFF_ROLES, "xem thử phân loại / preview routing")
    params = {k: v for k, v in (("as_of", as_of), ("policy", policy)) if v is not None}
    return await internal.call(
        "routing", user, "POST", "/routing/preview", json=body, params=params
    )


@router.post("/tickets/{id_or_number}/reclassify")
async def reclassify(
    id_or_number: str,
    svc: Svc,
    user: CurrentUser,
    internal: Internal,
    body: Annotated[
        dict[str, Any], Body(description='{"group"?, "type"?, "application"?, "reason"?}')
    ],
) -> Any:
    """Correct the ticket's group, type or application (operators only)."""
    ticket_id = await _ticket_id(svc, user, id_or_number)
    return await internal.call(
        "routing", user, "POST", f"/tickets/{ticket_id}/reclassify", json=body
    )


@router.post("/tickets/{id_or_number}/parent")
async def link(
    id_or_number: str,
    svc: Svc,
    user: CurrentUser,
    internal: Internal,
    body: Annotated[dict[str, Any], Body(description='{"parent": id or number, "reason"?}')],
) -> Any:
    """Link the ticket to the outage's first report `parent` (it becomes a child)."""
    ticket_id = await _ticket_id(svc, user, id_or_number)
    parent = str(body.get("parent") or body.get("parent_id") or "")
    parent_id = await _parent_id(svc, user, parent) if parent else None
    if parent_id is None:
        return _not_found("parent", parent or "(none given)")
    forwarded = {"parent_id": parent_id, "reason": body.get("reason", "")}
    return await internal.call(
        "routing", user, "POST", f"/tickets/{ticket_id}/parent", json=forwarded
    )


@router.delete("/tickets/{id_or_number}/parent")
async def unlink(
    id_or_number: str,
    svc: Svc,
    user: CurrentUser,
    internal: Internal,
    reason: Annotated[str, Query(max_length=2000)] = "",
) -> Any:
    """Take the ticket out of the outage it was linked to."""
    ticket_id = await _ticket_id(svc, user, id_or_number)
    return await internal.call(
        "routing", user, "DELETE", f"/tickets/{ticket_id}/parent", json={"reason": reason}
    )


@router.get("/routing/model")
async def model_versions(user: CurrentUser, internal: Internal) -> Any:
    """The classifier's versions, the one in use, and how each scored."""
    check_role(user, STAFF_ROLES, "xem mô hình phân loại / see the classifier's versions")
    return await internal.call("routing", user, "GET", "/routing/model")


@router.post("/routing/model/retrain")
async def retrain(user: CurrentUser, internal: Internal) -> Any:
    """Retrain the classifier (admin); the new version is used only if it is not worse."""
    return await internal.call("routing", user, "POST", "/routing/model/retrain")
