"""Routing's refusals in the suite's one error shape (libs/platform/errors.py)."""

from __future__ import annotations

from fastapi import FastAPI

from libs.platform.errors import ApiError


class Refused(ApiError):
    """A command routing will not take: `status` 403/404/409/422, the field and the reason."""

    def __init__(self, status: int, field: str, reason: str, kind: str) -> None:
        super().__init__((field,), reason, status=status, kind=kind)
        self.field = field


def install_error_handlers(app: FastAPI) -> None:
    """Nothing of routing's own: `ServiceKit.http` installs the suite's handlers, and
    `Refused` is an `ApiError` they answer."""
    del app
