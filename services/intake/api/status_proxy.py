"""The status page and its notices on the gateway, forwarded to monitoring, which owns them.

Public (no token, SPEC §8): `GET /status` (the Vietnamese page), `GET /status/feed.atom`,
`GET /api/v1/status`, `POST /api/v1/status/subscriptions`, the mailed links
`GET /status/subscriptions/confirm` and `GET|POST /status/subscriptions/unsubscribe`, and
`GET /api/v1/{announcements,maintenances}/{id}`. Their callers are forwarded as the anonymous
principal `public` (role `public`), so monitoring still gets a signed assertion and decides on
a role like for anyone else. Pages, feeds and redirects pass through as they are
(`call_raw`); the gateway's per-address limits (limits.py) apply to all of it.

Operators (a token): `POST /api/v1/announcements`, `…/{id}/updates`, `POST /api/v1/maintenances`,
`…/{id}/updates`; monitoring decides who may publish (403) and which moves are allowed (409).
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.intake.adapters.tokens import Principal
from services.intake.api.deps import CurrentUser, OptionalUser
from services.intake.api.internal_calls import Internal, InternalCalls

#: Whoever reads the public status page: no token, no scope.
PUBLIC = Principal("public", "public")

router = APIRouter(tags=["status"])
#: The pages at the site's root (not under /api/v1).
pages = APIRouter(tags=["status"])


async def _raw(
    internal: InternalCalls, method: str, path: str, request: Request, user: Principal = PUBLIC
) -> Response:
    body = await request.body()
    return await internal.call_raw(
        "monitoring",
        user,
        method,
        path,
        content=body if body else None,
        params=request.query_params or None,
        content_type=request.headers.get("content-type", "application/json"),
    )


@pages.get("/status", include_in_schema=False)
async def status_page(internal: Internal, request: Request) -> Response:
    """The public status page, in Vietnamese."""
    return await _raw(internal, "GET", "/status/page", request)


@pages.get("/status/feed.atom", include_in_schema=False)
async def status_feed(internal: Internal, request: Request) -> Response:
    """The notices as an Atom feed."""
    return await _raw(internal, "GET", "/status/feed.atom", request)


@pages.get("/status/subscriptions/confirm", include_in_schema=False)
async def confirm_subscription(internal: Internal, request: Request) -> Response:
    return await _raw(internal, "GET", "/status/subscriptions/confirm", request)


@pages.get("/status/subscriptions/unsubscribe", include_in_schema=False)
async def unsubscribe_page(internal: Internal, request: Request) -> Response:
    return await _raw(internal, "GET", "/status/subscriptions/unsubscribe", request)


@pages.post("/status/subscriptions/unsubscribe", include_in_schema=False)
async def unsubscribe(internal: Internal, request: Request) -> Response:
    """RFC 8058 one-click unsubscribe (and the page's button)."""
    return await _raw(internal, "POST", "/status/subscriptions/unsubscribe", request)


@router.get("/status")
async def status(internal: Internal) -> Any:
    """Public: systems and their states, 90-day history, notices and maintenance."""
    return await internal.call("monitoring", PUBLIC, "GET", "/status")


@router.post("/status/subscriptions", status_code=202)
async def subscribe(internal: Internal, request: Request) -> Response:
    """Public: `{"email": "…", "applications"?: […]}` → a confirmation link is mailed."""
    return await _raw(internal, "POST", "/status/subscriptions", request)


async def _operator(internal: InternalCalls, user: Principal, path: str, request: Request) -> Any:
    return await internal.call("monitoring", user, "POST", path, content=await request.body())


@router.post("/announcements", status_code=201)
async def publish_announcement(user: CurrentUser, internal: Internal, request: Request) -> Any:
    """`{applications, title, description, guidance?, status?, expected_fix_at?}`."""
    return await _operator(internal, user, "/announcements", request)


@router.post("/announcements/{notice_id}/updates", status_code=201)
async def update_announcement(
    notice_id: uuid.UUID, user: CurrentUser, internal: Internal, request: Request
) -> Any:
    """`{status, message, guidance?, expected_fix_at?}`; an invalid move is 409."""
    return await _operator(internal, user, f"/announcements/{notice_id}/updates", request)


@router.post("/maintenances", status_code=201)
async def schedule_maintenance(user: CurrentUser, internal: Internal, request: Request) -> Any:
    """`{applications, title, description, guidance?, starts_at, ends_at, status?}`."""
    return await _operator(internal, user, "/maintenances", request)


@router.post("/maintenances/{notice_id}/updates", status_code=201)
async def update_maintenance(
    notice_id: uuid.UUID, user: CurrentUser, internal: Internal, request: Request
) -> Any:
    """`{status, message, guidance?, starts_at?, ends_at?}`; an invalid move is 409."""
    return await _operator(internal, user, f"/maintenances/{notice_id}/updates", request)


@router.get("/announcements/{notice_id}")
async def announcement(notice_id: uuid.UUID, user: OptionalUser, internal: Internal) -> Any:
    """One announcement and its updates (public; operators also see who posted them)."""
    return await internal.call("monitoring", user or PUBLIC, "GET", f"/announcements/{notice_id}")


@router.get("/maintenances/{notice_id}")
async def maintenance(notice_id: uuid.UUID, user: OptionalUser, internal: Internal) -> Any:
    """One maintenance and its updates (public; operators also see who posted them)."""
    return await internal.call("monitoring", user or PUBLIC, "GET", f"/maintenances/{notice_id}")
