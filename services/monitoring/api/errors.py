"""Monitoring's refusals in the suite's one error shape: `{error, detail: [{field, msg}]}`."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

_WHERE = ("body", "query", "path", "header")


def problem(status: int, kind: str, field: str, message: str) -> JSONResponse:
    return JSONResponse(
        {"error": kind, "detail": [{"field": field, "msg": message}]}, status_code=status
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        detail = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ()) if p not in _WHERE) or "body",
                "msg": e.get("msg", "invalid"),
            }
            for e in error.errors()
        ]
        return JSONResponse({"error": "validation_failed", "detail": detail}, status_code=422)
