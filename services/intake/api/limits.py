"""Request size limits: a body larger than the limit is refused before it is read (413)."""

from __future__ import annotations

import os

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

MAX_BODY_BYTES = int(os.environ.get("HOTRO_MAX_BODY_BYTES", str(1024 * 1024)))


def limit_body_size(app: FastAPI) -> None:
    @app.middleware("http")
    async def refuse_oversize(request: Request, call_next):  # type: ignore[no-untyped-def]
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > MAX_BODY_BYTES:
            return JSONResponse(
                {
                    "error": "too_large",
                    "detail": [
                        {
                            "field": "body",
                            "msg": f"request body is {length} bytes; the limit is {MAX_BODY_BYTES}",
                        }
                    ],
                },
                status_code=413,
            )
        return await call_next(request)
