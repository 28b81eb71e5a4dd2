"""A new ticket's priority from what the caller said (issue 13): the desk's roles state it,
anyone else's `priority` is their urgency, and the matrix of catalog/priority.yaml decides."""

from __future__ import annotations

from fastapi import Request

from services.intake.adapters.tokens import Principal
from services.intake.api.errors import FieldError
from services.intake.domain.priority import PriorityRefused, submission_priority
from services.intake.service_layer.desk import get_desk


def priority_of_submission(
    request: Request,
    user: Principal | None,
    stated: str | None,
    urgency: str | None,
    application: str | None,
) -> tuple[str, str, str]:
    """(priority, urgency, basis), or a 422 naming `urgency`."""
    try:
        return submission_priority(
            user.role if user else None, stated, urgency, application, get_desk(request).matrix
        )
    except PriorityRefused as refused:
        raise FieldError(("body", refused.field), str(refused)) from refused
