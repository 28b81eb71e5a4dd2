"""`assign` names a real person (issue 13): the gateway checks the agent directory before it
forwards the move to escalation, and forwards the person's name as the directory spells it."""

from __future__ import annotations

from typing import Any

import orjson

from services.intake.adapters.tokens import Principal
from services.intake.api.errors import FieldError
from services.intake.domain.access import Forbidden
from services.intake.domain.agents import AgentRefused, pick_assignee
from services.intake.service_layer.desk import Desk


async def checked_assignment(desk: Desk, user: Principal, row: dict[str, Any], raw: bytes) -> bytes:
    """The body to forward: `{"assignee": <the person's name>}`, or a 422 naming `assignee`
    (blank, unknown, deactivated, not working where the ticket is). Roles that never take a
    ticket are refused first, so the directory is not probed through this door."""
    if user.role in ("requester", "analyst"):
        raise Forbidden(
            f"Vai trò {user.role} không nhận xử lý yêu cầu. / Role {user.role} does not take "
            "tickets."
        )
    try:
        body = orjson.loads(raw or b"{}")
    except orjson.JSONDecodeError as error:
        raise FieldError(("body",), f"the body is not JSON: {error}") from error
    given = body.get("assignee") if isinstance(body, dict) else None
    if not isinstance(given, str):
        raise FieldError(("body", "assignee"), "name the person who takes the ticket")
    handler = row.get("handler")
    if given.strip() and not handler:
        raise FieldError(
            ("path", "id_or_number"),
            f"Yêu cầu {row.get('number')} chưa được giao cho đơn vị xử lý; thử lại sau giây lát."
            f" / Ticket {row.get('number')} is not on the ladder yet; try again shortly.",
            status=409,
            kind="not_placed",
        )
    try:
        person = pick_assignee(given, handler, await desk.agents.list(active=None))
    except AgentRefused as refused:
        raise FieldError(("body", refused.field), str(refused)) from refused
    return orjson.dumps({**body, "assignee": person.name})
