"""The knowledge base on the gateway, forwarded to the knowledge service, which owns it.

Public (no token, SPEC §8 like the status page): `GET /faq` (the Vietnamese page),
`GET /api/v1/kb/suggest?q=` (the requester's form while they type), reading published public
articles (`GET /api/v1/kb/articles`, `…/{id}`, `…/{id}/versions`) and their helped / did not
help feedback. Anonymous callers are forwarded as the principal `public` (role `public`), so
the knowledge service decides on a role like for anyone else; the gateway's per-address
limits for unauthenticated requests (limits.py) apply to all of it, as to public intake.

With a token: writing and the lifecycle (`POST /kb/articles`, `PATCH …/{id}`,
`…/{id}/{review,publish,retire,used}`), drafting from a ticket (`POST /tickets/{id}/article`),
the handler's suggestions (`GET /tickets/{id}/suggestions`) and the statistics
(`GET /kb/stats`). The knowledge service answers 403 to the wrong role, 409 out of order.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.intake.api.deps import CurrentUser, OptionalUser
from services.intake.api.internal_calls import Internal
from services.intake.api.status_proxy import PUBLIC

router = APIRouter(tags=["knowledge"])
#: The FAQ page at the site's root (not under /api/v1).
pages = APIRouter(tags=["knowledge"])
SERVICE = "knowledge"


async def _forward(internal: Internal, user: Any, method: str, path: str, request: Request) -> Any:
    body = await request.body()
    return await internal.call(
        SERVICE,
        user,
        method,
        path,
        content=body if body else None,
        params=request.query_params or None,
    )


@pages.get("/faq", include_in_schema=False)
async def faq_page(internal: Internal) -> Response:
    """The public FAQ, in Vietnamese."""
    return await internal.call_raw(SERVICE, PUBLIC, "GET", "/faq/page")


@router.get("/kb/articles")
async def list_articles(user: OptionalUser, internal: Internal, request: Request) -> Any:
    """`q` (diacritics- and typo-tolerant), `status`, `application`, `limit`, `offset`: articles
    the caller may read, best first; staff also get similar solved tickets."""
    return await _forward(internal, user or PUBLIC, "GET", "/kb/articles", request)


@router.post("/kb/articles", status_code=201)
async def create_article(user: CurrentUser, internal: Internal, request: Request) -> Any:
    """`{title, symptom, cause, fix, applications, keywords, audience: public|internal}`."""
    return await _forward(internal, user, "POST", "/kb/articles", request)


@router.get("/kb/articles/{article_id}")
async def read_article(
    article_id: uuid.UUID, user: OptionalUser, internal: Internal, request: Request
) -> Any:
    """One article; `version` for an older revision, `session` from the requester's form."""
    return await _forward(internal, user or PUBLIC, "GET", f"/kb/articles/{article_id}", request)


@router.get("/kb/articles/{article_id}/versions")
async def article_versions(
    article_id: uuid.UUID, user: OptionalUser, internal: Internal, request: Request
) -> Any:
    """The revisions the caller may read."""
    path = f"/kb/articles/{article_id}/versions"
    return await _forward(internal, user or PUBLIC, "GET", path, request)


@router.patch("/kb/articles/{article_id}")
async def edit_article(
    article_id: uuid.UUID, user: CurrentUser, internal: Internal, request: Request
) -> Any:
    """Edit (a published article gets a new revision; the old one stays readable)."""
    return await _forward(internal, user, "PATCH", f"/kb/articles/{article_id}", request)


async def _step(
    article_id: uuid.UUID, step: str, user: Any, internal: Internal, request: Request
) -> Any:
    return await _forward(internal, user, "POST", f"/kb/articles/{article_id}/{step}", request)


@router.post("/kb/articles/{article_id}/review")
async def review_article(
    article_id: uuid.UUID, user: CurrentUser, internal: Internal, request: Request
) -> Any:
    """The author sends a draft to review: `{reason?}`."""
    return await _step(article_id, "review", user, internal, request)


@router.post("/kb/articles/{article_id}/publish")
async def publish_article(
    article_id: uuid.UUID, user: CurrentUser, internal: Internal, request: Request
) -> Any:
    """A Service Desk lead or admin, not the author: `{reason?}`."""
    return await _step(article_id, "publish", user, internal, request)


@router.post("/kb/articles/{article_id}/retire")
async def retire_article(
    article_id: uuid.UUID, user: CurrentUser, internal: Internal, request: Request
) -> Any:
    """A Service Desk lead or admin: `{reason?}`."""
    return await _step(article_id, "retire", user, internal, request)


@router.post("/kb/articles/{article_id}/used")
async def article_used(
    article_id: uuid.UUID, user: CurrentUser, internal: Internal, request: Request
) -> Any:
    """A handler used the article on a ticket: `{ticket_id}`."""
    return await _step(article_id, "used", user, internal, request)


@router.post("/kb/articles/{article_id}/feedback")
async def article_feedback(
    article_id: uuid.UUID, user: OptionalUser, internal: Internal, request: Request
) -> Any:
    """`{helped: bool, session?}`; without a token the form's `session` is required."""
    path = f"/kb/articles/{article_id}/feedback"
    return await _forward(internal, user or PUBLIC, "POST", path, request)


@router.get("/kb/suggest")
async def suggest(user: OptionalUser, internal: Internal, request: Request) -> Any:
    """Public: published public articles for what the requester is typing (`q`, `session`)."""
    return await _forward(internal, PUBLIC, "GET", "/kb/suggest", request)


@router.get("/kb/stats")
async def stats(user: CurrentUser, internal: Internal, request: Request) -> Any:
    """Deflection, views, feedback and use on tickets (staff)."""
    return await _forward(internal, user, "GET", "/kb/stats", request)


@router.post("/tickets/{ticket_id}/article", status_code=201)
async def article_from_ticket(
    ticket_id: str, user: CurrentUser, internal: Internal, request: Request
) -> Any:
    """Draft an article from a resolved ticket (fields given override the prefill)."""
    return await _forward(internal, user, "POST", f"/tickets/{ticket_id}/article", request)


@router.get("/tickets/{ticket_id}/suggestions")
async def ticket_suggestions(
    ticket_id: str, user: CurrentUser, internal: Internal, request: Request
) -> Any:
    """For the handler: similar published articles and solved tickets, and linked articles."""
    return await _forward(internal, user, "GET", f"/tickets/{ticket_id}/suggestions", request)
