"""The endpoints every service serves: /healthz, /readyz and /metrics (rule 8)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from libs.platform.metrics import REQUEST_LATENCY

ReadinessCheck = Callable[[], Awaitable[str | None]]


def health_router(service: str, checks: dict[str, ReadinessCheck]) -> APIRouter:
    """`checks` return None when fine, else why the service is not ready."""
    router = APIRouter(tags=["health"])

    @router.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": service}

    @router.get("/readyz", include_in_schema=False)
    async def readyz() -> Response:
        problems = {}
        for name, check in checks.items():
            try:
                problem = await check()
            except Exception as error:
                problem = repr(error)
            if problem:
                problems[name] = problem
        status = 503 if problems else 200
        return JSONResponse({"ready": not problems, "problems": problems}, status_code=status)

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def instrument(app: FastAPI, service: str) -> None:
    @app.middleware("http")
    async def observe(request: Request, call_next):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        REQUEST_LATENCY.labels(service, request.method, path, str(response.status_code)).observe(
            time.perf_counter() - started
        )
        return response
