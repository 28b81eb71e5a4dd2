"""Every 4xx names the field and the reason, in one shape (SPEC §8 "Bad input")."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from libs.platform.errors import ApiError, issue, problem
from libs.platform.errors import install_error_handlers as install_platform_handlers
from services.intake.domain.access import Forbidden
from services.intake.domain.attachments import AttachmentRefused
from services.intake.domain.inbound_mail import NotADeadLetter
from services.intake.domain.lifecycle import TransitionRefused, UnknownCause
from services.intake.domain.ticket import TicketClosed
from services.intake.service_layer.ticket_changes import TicketNotFound


class FieldError(ApiError):
    """A request that is well-formed but names something the catalog does not know."""


def _issue(loc: tuple[Any, ...], reason: str, kind: str) -> dict[str, Any]:
    return issue(loc, reason, kind)


def install_error_handlers(app: FastAPI) -> None:
    """The suite's one shape (libs/platform/errors.py), plus intake's domain refusals."""
    install_platform_handlers(app)

    @app.exception_handler(FieldError)
    async def field_error(_: Request, error: FieldError) -> JSONResponse:
        # Registered by name: the console's page handlers look FieldError up by its type.
        return problem(error.status, error.kind, error.loc, error.reason)

    install_domain_error_handlers(app)


def install_domain_error_handlers(app: FastAPI) -> None:
    """The domain's named errors as HTTP answers: 403 forbidden, 404, 409 refused move."""

    def answer(status: int, kind: str, field: str, message: str) -> JSONResponse:
        return JSONResponse(
            {"error": kind, "detail": [_issue((field,), message, kind)]}, status_code=status
        )

    @app.exception_handler(Forbidden)
    async def forbidden(_: Request, error: Forbidden) -> JSONResponse:
        return answer(403, "forbidden", "role", str(error))

    @app.exception_handler(TicketNotFound)
    async def not_found(_: Request, error: TicketNotFound) -> JSONResponse:
        return answer(404, "not_found", "id_or_number", f"no ticket {error}")

    @app.exception_handler(TransitionRefused)
    async def refused(_: Request, error: TransitionRefused) -> JSONResponse:
        return answer(409, "invalid_transition", "status", str(error))

    @app.exception_handler(TicketClosed)
    async def closed(_: Request, error: TicketClosed) -> JSONResponse:
        return answer(409, "ticket_closed", "status", str(error))

    @app.exception_handler(NotADeadLetter)
    async def not_dead(_: Request, error: NotADeadLetter) -> JSONResponse:
        return answer(409, "not_a_dead_letter", "mail_id", str(error))

    @app.exception_handler(UnknownCause)
    async def unknown_cause(_: Request, error: UnknownCause) -> JSONResponse:
        return answer(422, "invalid", "cause", str(error))

    @app.exception_handler(AttachmentRefused)
    async def refused_file(_: Request, error: AttachmentRefused) -> JSONResponse:
        return answer(422, "attachment_refused", "attachments", str(error))
