"""Every 4xx names the field and the reason, in one shape (SPEC §8 "Bad input")."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


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
