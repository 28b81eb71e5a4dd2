"""Routing on the gateway: preview, reclassify, link and unlink, forwarded to routing (rule 1).

Routing owns group, type, application and outage links; the gateway authenticates the
caller, checks they may see the ticket (a province its own only), turns a ticket number
into its id, and passes who they are on. Routing decides whether the role may act (403) and
whether the change is possible (409), and answers in the gateway's error shape.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query

from services.intake.adapters.tokens import Principal
from services.intake.api.deps import CurrentUser, Services, get_services
from services.intake.api.errors import FieldError
from services.intake.api.internal_calls import Internal
from services.intake.api.numbered import numbered
from services.intake.api.tickets import STAFF_ROLES, _visible, reachable_ticket
from services.intake.domain.access import check_role

router = APIRouter(tags=["routing"])
Svc = Annotated[Services, Depends(get_services)]


#: Statuses in which an outage still takes new reports (routing refuses others with 409).
OPEN = frozenset({"new", "routed", "in_progress", "waiting_requester", "reopened"})


async def _ticket_id(svc: Services, user: Principal, id_or_number: str) -> str:
    """The ticket's id if `user` may see it: 404 for another requester's, 403 for another
    province's (the gateway's one rule for every ticket action)."""
    return str((await reachable_ticket(svc, user, id_or_number))["id"])


async def _parent_id(svc: Services, user: Principal, id_or_number: str) -> str:
    """The outage to link to, by id or number. Province staff may link their report to
    another province's *open incident* (an outage is everyone's: routing links across
    provinces by itself), not to any other ticket of another province."""
    row = await svc.queries.one(id_or_number.strip()) if id_or_number.strip() else None
    if row is None or (user.role == "requester" and not _visible(user, row)):
        raise FieldError(
            ("body", "parent"),
            f"Không có yêu cầu {id_or_number or '(trống)'} để liên kết. / "
            f"There is no ticket {id_or_number or '(none given)'} to link to.",
            status=404,
            kind="not_found",
        )
    if _visible(user, row) or (row.get("type") == "incident" and row.get("status") in OPEN):
        return str(row["id"])
    raise FieldError(
        ("body", "parent"),
        f"Yêu cầu {row['number']} thuộc tỉnh khác và không phải sự cố đang mở; chỉ có thể liên"
        " kết với sự cố đang mở của tỉnh khác. / "
        f"Ticket {row['number']} is another province's and not an open incident; a report can"
        " be linked to another province's open incident only.",
        status=403,
        kind="forbidden",
    )


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
    answer = await internal.call(
        "routing", user, "POST", f"/tickets/{ticket_id}/reclassify", json=body
    )
    return await numbered(svc.queries, answer)


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
    parent_id = await _parent_id(svc, user, str(body.get("parent") or body.get("parent_id") or ""))
    forwarded = {"parent_id": parent_id, "reason": body.get("reason", "")}
    answer = await internal.call(
        "routing", user, "POST", f"/tickets/{ticket_id}/parent", json=forwarded
    )
    return await numbered(svc.queries, answer)


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
    answer = await internal.call(
        "routing", user, "DELETE", f"/tickets/{ticket_id}/parent", json={"reason": reason}
    )
    return await numbered(svc.queries, answer)


@router.get("/routing/model")
async def model_versions(user: CurrentUser, internal: Internal) -> Any:
    """The classifier's versions, the one in use, and how each scored."""
    check_role(user, STAFF_ROLES, "xem mô hình phân loại / see the classifier's versions")
    return await internal.call("routing", user, "GET", "/routing/model")


@router.post("/routing/model/retrain")
async def retrain(user: CurrentUser, internal: Internal) -> Any:
    """Retrain the classifier (admin); the new version is used only if it is not worse."""
    return await internal.call("routing", user, "POST", "/routing/model/retrain")
