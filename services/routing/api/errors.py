"""Routing's refusals in the gateway's one error shape (SPEC §8: field and reason)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


class Refused(Exception):
    """A command routing will not take: `status` 403/404/409/422, the field and the reason."""

    def __init__(self, status: int, field: str, reason: str, kind: str) -> None:
        super().__init__(reason)
        self.status = status
        self.field = field
        self.reason = reason
        self.kind = kind


def _issue(loc: list[Any], field: str, reason: str, kind: str) -> dict[str, Any]:
    return {"loc": loc, "field": field, "msg": reason, "type": kind}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(Refused)
    async def refused(_: Request, error: Refused) -> JSONResponse:
        issue = _issue([error.field], error.field, error.reason, error.kind)
        return JSONResponse({"error": error.kind, "detail": [issue]}, status_code=error.status)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        issues = []
        for e in error.errors():
            loc = list(e.get("loc", ()))
            field = ".".join(str(p) for p in loc if p not in ("body", "query", "path", "header"))
            issues.append(_issue(loc, field or "body", e.get("msg", "invalid"), e.get("type", "")))
        return JSONResponse({"error": "validation_failed", "detail": issues}, status_code=422)
