"""The knowledge service's dependencies and refusals: the caller as an `Actor`, the wired
knowledge base, and the domain's errors in the suite's one error shape (403, 404, 409)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from libs.platform.caller import Caller, caller_from_assertion
from libs.platform.errors import problem
from services.knowledge.adapters.knowledge_base import KnowledgeBase, TicketUnknown
from services.knowledge.adapters.store import ArticleNotFound
from services.knowledge.domain.lifecycle import Actor, NotAllowed, OutOfOrder, check_author


async def _actor(caller: Annotated[Caller, Depends(caller_from_assertion)]) -> Actor:
    return Actor(caller.name, caller.role, caller.group, caller.province)


def _kb(request: Request) -> KnowledgeBase:
    kb: KnowledgeBase = request.app.state.kb
    return kb


async def _author(actor: Annotated[Actor, Depends(_actor)]) -> Actor:
    """An author, refused before the body is even read (access first, then validation)."""
    check_author(actor)
    return actor


Who = Annotated[Actor, Depends(_actor)]
Author = Annotated[Actor, Depends(_author)]
Kb = Annotated[KnowledgeBase, Depends(_kb)]


def install_refusals(app: FastAPI) -> None:
    @app.exception_handler(NotAllowed)
    async def not_allowed(_: Request, error: NotAllowed) -> JSONResponse:
        return problem(403, "forbidden", ("header", "Authorization"), str(error))

    @app.exception_handler(OutOfOrder)
    async def out_of_order(_: Request, error: OutOfOrder) -> JSONResponse:
        return problem(409, "invalid_transition", ("body", "status"), str(error))

    @app.exception_handler(ArticleNotFound)
    async def no_article(_: Request, error: ArticleNotFound) -> JSONResponse:
        return problem(
            404,
            "not_found",
            ("path", "article_id"),
            f"Không có bài viết {error}. / There is no article {error}.",
        )

    @app.exception_handler(TicketUnknown)
    async def no_ticket(_: Request, error: TicketUnknown) -> JSONResponse:
        return problem(
            404,
            "not_found",
            ("path", "ticket_id"),
            f"Cơ sở tri thức chưa biết yêu cầu {error}. / The knowledge base does not know "
            f"ticket {error} (yet).",
        )
