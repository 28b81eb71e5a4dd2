"""The public FAQ (SPEC §9): published public articles by application, a Vietnamese page the
gateway serves at `/faq` (no token). Rendered here with Jinja, inline CSS, nothing from a CDN."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from services.knowledge.adapters.render import render
from services.knowledge.api.deps import Kb, Who

router = APIRouter(prefix="/faq", tags=["knowledge"])


@router.get("/page", response_class=HTMLResponse)
async def faq_page(kb: Kb, _: Who) -> Any:
    """The FAQ page in Vietnamese."""
    sections = await kb.faq()
    html = render("faq.html", sections=sections, total=sum(len(s["articles"]) for s in sections))
    return HTMLResponse(html, headers={"Cache-Control": "no-cache"})
