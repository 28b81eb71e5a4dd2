"""Monitoring's refusals in the suite's one error shape (libs/platform/errors.py)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from libs.platform import errors


def problem(status: int, kind: str, field: str, message: str) -> JSONResponse:
    return errors.problem(status, kind, field, message)


def install_error_handlers(app: FastAPI) -> None:
    """`ServiceKit.http` has installed the suite's handlers; kept for the callers' wiring."""
    errors.install_error_handlers(app)
