"""The knowledge base's articles (SPEC §6b, §7): write, walk the lifecycle, read, search."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, ConfigDict, Field

from libs.platform.errors import ApiError
from services.knowledge.api.deps import Author, Kb, Who
from services.knowledge.domain.deflection import session_problem
from services.knowledge.domain.lifecycle import STATUSES, is_staff

router = APIRouter(prefix="/kb/articles", tags=["knowledge"])

Text = Annotated[str, Field(min_length=3, max_length=20_000)]


class ArticleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    title: Annotated[str, Field(min_length=5, max_length=300)]
    symptom: Text
    cause: Text
    fix: Text
    applications: list[Annotated[str, Field(max_length=40)]] = Field(max_length=30)
    keywords: list[Annotated[str, Field(max_length=80)]] = Field(
        default_factory=list, max_length=50
    )
    audience: Literal["public", "internal"]
    reason: Annotated[str, Field(max_length=1000)] = ""


class ArticleEdit(BaseModel):
    """The fields to change; the rest stay as they are."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    title: Annotated[str, Field(min_length=5, max_length=300)] | None = None
    symptom: Text | None = None
    cause: Text | None = None
    fix: Text | None = None
    applications: list[Annotated[str, Field(max_length=40)]] | None = Field(None, max_length=30)
    keywords: list[Annotated[str, Field(max_length=80)]] | None = Field(None, max_length=50)
    audience: Literal["public", "internal"] | None = None
    reason: Annotated[str, Field(max_length=1000)] = ""


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    reason: Annotated[str, Field(max_length=1000)] = ""


class Use(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    ticket_id: Annotated[str, Field(min_length=3, max_length=60)]


class Feedback(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    helped: bool
    #: The requester's form session (public callers): one vote per session and article.
    session: Annotated[str, Field(max_length=100)] | None = None


def check_applications(kb: Kb, codes: list[str] | None) -> None:
    for index, code in enumerate(codes or []):
        if code not in kb.catalog.applications:
            raise ApiError(
                ("body", "applications", index),
                f"Không có ứng dụng mã {code} trong danh mục. / {code} is not an application "
                "code of the catalog (GET /api/v1/catalog/applications).",
                kind="unknown_code",
            )


@router.post("", status_code=201)
async def create_article(body: ArticleCreate, who: Author, kb: Kb) -> Any:
    """Draft an article (Service Desk agents and leads, admins); the caller is its author."""
    check_applications(kb, body.applications)
    content = body.model_dump(exclude={"reason"})
    return await kb.create(content, who, body.reason)


@router.get("")
async def list_articles(
    who: Who,
    kb: Kb,
    q: Annotated[str | None, Query(max_length=500)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    application: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> Any:
    """Search (`q`, diacritics- and typo-tolerant, best first) or list the newest articles;
    staff also get matching solved tickets (`tickets`)."""
    if status is not None and status not in STATUSES:
        raise ApiError(
            ("query", "status"),
            f"Trạng thái {status} không có; dùng một trong: {', '.join(STATUSES)}. / "
            f"status is one of {', '.join(STATUSES)}.",
        )
    if application is not None:
        check_applications(kb, [application])
    return await kb.find(who, q, status, application, limit, offset)


@router.get("/{article_id}")
async def read_article(
    article_id: uuid.UUID,
    who: Who,
    kb: Kb,
    version: Annotated[int | None, Query(ge=1, le=10_000)] = None,
    session: Annotated[str | None, Query(max_length=100)] = None,
) -> Any:
    """One article (its published revision; `version` for an older one). A requester's form
    passes its `session`, so the opening counts toward deflection."""
    found = await kb.read(article_id, who, version)
    if session is not None:
        why = session_problem(session)
        if why:
            raise ApiError(("query", "session"), why)
        if not is_staff(who.role):
            await kb.record_view(session, article_id)
    return found


@router.get("/{article_id}/versions")
async def article_versions(article_id: uuid.UUID, who: Who, kb: Kb) -> Any:
    """Every revision the caller may read, oldest first."""
    return {"data": await kb.versions(article_id, who)}


@router.patch("/{article_id}")
async def edit_article(article_id: uuid.UUID, body: ArticleEdit, who: Author, kb: Kb) -> Any:
    """Edit: a draft in place; a published article gets a new revision (the old one stays
    readable and published until the new one is)."""
    check_applications(kb, body.applications)
    changes = body.model_dump(exclude={"reason"}, exclude_none=True)
    if not changes:
        raise ApiError(("body",), "Không có gì để sửa. / Nothing to change was given.")
    return await kb.edit(article_id, changes, who, body.reason)


OptionalStep = Annotated[Step | None, Body()]


@router.post("/{article_id}/review")
async def review_article(article_id: uuid.UUID, who: Who, kb: Kb, body: OptionalStep = None) -> Any:
    """The author sends the draft to review: `{reason?}`."""
    return await kb.move(article_id, "review", who, (body or Step()).reason)


@router.post("/{article_id}/publish")
async def publish_article(
    article_id: uuid.UUID, who: Who, kb: Kb, body: OptionalStep = None
) -> Any:
    """A Service Desk lead or admin, not the author, publishes what was reviewed."""
    return await kb.move(article_id, "publish", who, (body or Step()).reason)


@router.post("/{article_id}/retire")
async def retire_article(article_id: uuid.UUID, who: Who, kb: Kb, body: OptionalStep = None) -> Any:
    """A Service Desk lead or admin retires an article: it is never shown or suggested again."""
    return await kb.move(article_id, "retire", who, (body or Step()).reason)


@router.post("/{article_id}/used")
async def article_used(article_id: uuid.UUID, body: Use, who: Who, kb: Kb) -> Any:
    """A handler used the article on a ticket (recorded once per ticket)."""
    return await kb.used(article_id, body.ticket_id, who)


@router.post("/{article_id}/feedback")
async def article_feedback(article_id: uuid.UUID, body: Feedback, who: Who, kb: Kb) -> Any:
    """Helped / did not help: a staff member votes as themselves, a requester's form by its
    session; a second vote replaces the first."""
    await kb.read(article_id, who)
    if who.role == "public":
        why = session_problem(body.session) or (
            None if body.session else "kb_session is required without a token"
        )
        if why:
            raise ApiError(("body", "session"), why)
        voter = f"session:{body.session}"
    else:
        voter = f"user:{who.name}"
    await kb.record_feedback(article_id, voter, body.helped)
    return {"article_id": str(article_id), "helped": body.helped,
            "feedback": await kb.feedback_counts(article_id)}  # fmt: skip
