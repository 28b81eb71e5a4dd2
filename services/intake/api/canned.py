"""A comment written with a canned reply: rendered here, on the server, from the ticket's own
values (issue 13), so the text mailed to the requester is the text kept in the history."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.intake.adapters.tokens import Principal
from services.intake.api.deps import Services
from services.intake.api.errors import FieldError
from services.intake.api.schemas import CommentCreate
from services.intake.api.tickets import reachable_ticket
from services.intake.domain.canned_replies import CannedReplyRefused, render
from services.intake.service_layer.desk import Desk, get_desk, ticket_values

DeskDep = Annotated[Desk, Depends(get_desk)]


async def comment_text(
    svc: Services, desk: Desk, user: Principal, id_or_number: str, body: CommentCreate
) -> str:
    """The comment's text: the body, or the canned reply rendered (the body after it)."""
    if not body.canned_reply:
        return body.body
    if user.role == "requester":
        raise FieldError(
            ("body", "canned_reply"),
            "Câu trả lời mẫu dành cho cán bộ hỗ trợ. / Canned replies are the desk's.",
            status=403,
            kind="forbidden",
        )
    reply = desk.canned.find(body.canned_reply)
    if reply is None:
        raise FieldError(
            ("body", "canned_reply"),
            f"Không có câu trả lời mẫu '{body.canned_reply}'. / No canned reply "
            f"{body.canned_reply!r}: see GET /api/v1/canned-replies.",
            kind="unknown_code",
        )
    row = await reachable_ticket(svc, user, id_or_number)
    agent = await desk.agents.by_email(user.email)
    values = ticket_values(row, svc.catalog, agent.name if agent else user.name)
    try:
        text = render(reply, values, body.values)
    except CannedReplyRefused as refused:
        raise FieldError(("body", refused.field), str(refused)) from refused
    return f"{text}\n\n{body.body.strip()}" if body.body.strip() else text
