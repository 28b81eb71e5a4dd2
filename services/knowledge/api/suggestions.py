"""Suggestions (SPEC §6b, §7): for the handler on a ticket, for the requester while typing;
articles drawn from tickets; what became of suggestions (deflection, use, feedback)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from libs.platform.errors import ApiError
from services.knowledge.api.articles import check_applications
from services.knowledge.api.deps import Author, Kb, Who
from services.knowledge.domain.deflection import session_problem
from services.knowledge.domain.lifecycle import NotAllowed, is_staff

tickets = APIRouter(prefix="/tickets", tags=["knowledge"])
kb_router = APIRouter(prefix="/kb", tags=["knowledge"])


class ArticleFromTicket(BaseModel):
    """What to write differently from the ticket's prefill (every field optional)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    title: Annotated[str, Field(min_length=5, max_length=300)] | None = None
    symptom: Annotated[str, Field(min_length=3, max_length=20_000)] | None = None
    cause: Annotated[str, Field(min_length=3, max_length=20_000)] | None = None
    fix: Annotated[str, Field(min_length=3, max_length=20_000)] | None = None
    applications: list[Annotated[str, Field(max_length=40)]] | None = Field(None, max_length=30)
    keywords: list[Annotated[str, Field(max_length=80)]] | None = Field(None, max_length=50)
    audience: Literal["public", "internal"] | None = None


@tickets.post("/{ticket_id}/article", status_code=201)
async def article_from_ticket(
    ticket_id: str, who: Author, kb: Kb, body: ArticleFromTicket | None = None
) -> Any:
    """Draft an article from a resolved ticket: subject → title and symptom, resolution note →
    fix, the cause and application; the article names the ticket and the ticket's
    suggestions name the article."""
    overrides = body.model_dump(exclude_none=True) if body else {}
    check_applications(kb, overrides.get("applications"))
    draft = await kb.draft_from_ticket(ticket_id, overrides, who)
    if not draft["fix"].strip():
        draft["warnings"] = ["the ticket was resolved without a note: write the fix"]
    return draft


@tickets.get("/{ticket_id}/suggestions")
async def ticket_suggestions(ticket_id: str, who: Who, kb: Kb) -> Any:
    """For the handler: published articles (both audiences) and similar solved tickets,
    computed when the ticket arrived; and the articles linked to it."""
    return await kb.ticket_suggestions(ticket_id, who)


@kb_router.get("/suggest")
async def suggest(
    kb: Kb,
    q: Annotated[str, Query(min_length=2, max_length=500)],
    session: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=10)] = 5,
) -> Any:
    """For the requester's form while they type (no token): published public articles only.
    The form passes one `session` id from first keystroke to submission (`kb_session`)."""
    why = session_problem(session)
    if why:
        raise ApiError(("query", "session"), why)
    return {"data": await kb.suggest_public(q, limit), "session": session}


@kb_router.get("/stats")
async def stats(who: Who, kb: Kb) -> Any:
    """Deflection (sessions that opened a suggestion and did not submit within the window),
    views, feedback and use on tickets per article: staff only."""
    if not is_staff(who.role):
        raise NotAllowed(
            "Thống kê cơ sở tri thức dành cho cán bộ. / Knowledge-base statistics are for staff."
        )
    return await kb.stats()
