"""Every 4xx names the field and the reason, in one shape (SPEC §8 "Bad input")."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from services.intake.domain.access import Forbidden
from services.intake.domain.attachments import AttachmentRefused
from services.intake.domain.inbound_mail import NotADeadLetter
from services.intake.domain.lifecycle import TransitionRefused, UnknownCause
from services.intake.domain.ticket import TicketClosed
from services.intake.service_layer.ticket_changes import TicketNotFound


class FieldError(Exception):
    """A request that is well-formed but names something the catalog does not know."""

    def __init__(
        self, loc: tuple[str, ...], reason: str, status: int = 422, kind: str = "invalid"
    ) -> None:
        super().__init__(reason)
        self.loc = loc
        self.reason = reason
        self.status = status
        self.kind = kind


def _issue(loc: tuple[Any, ...], reason: str, kind: str) -> dict[str, Any]:
    field = ".".join(str(p) for p in loc if p not in ("body", "query", "path", "header"))
    return {"loc": list(loc), "field": field or "body", "msg": reason, "type": kind}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        issues = [
            _issue(tuple(e.get("loc", ())), e.get("msg", "invalid"), e.get("type", "invalid"))
            for e in error.errors()
        ]
        return JSONResponse({"error": "validation_failed", "detail": issues}, status_code=422)

    @app.exception_handler(FieldError)
    async def field_error(_: Request, error: FieldError) -> JSONResponse:
        return JSONResponse(
            {"error": error.kind, "detail": [_issue(error.loc, error.reason, error.kind)]},
            status_code=error.status,
        )

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
