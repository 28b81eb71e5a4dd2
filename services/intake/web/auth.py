"""Who is signed in to the console, and the form token (CSRF) every form must carry.

Cookies: `hotro_session` (the session id) and, before sign-in, `hotro_form` (the sign-in
form's token, double-submitted). Both are HttpOnly, SameSite=Lax, and Secure when the page
came over TLS (behind an Ingress, uvicorn's FORWARDED_ALLOW_IPS makes the scheme right).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from fastapi import Request, Response

from services.intake.domain.access import Principal
from services.intake.domain.tokens import refusal
from services.intake.web.sessions import SessionStore, WebSession

SESSION_COOKIE = "hotro_session"
FORM_COOKIE = "hotro_form"


class FormRefused(Exception):
    """A form posted without the right form token: a forged or stale page."""


def sessions(request: Request) -> SessionStore:
    store: SessionStore = request.app.state.web_sessions
    return store


#: Where a request keeps its session once looked up: the rate limiter asks first (a signed-in
#: browser is not the anonymous public), the page's dependency then reuses the answer.
SESSION_STATE = "hotro.web_session"


async def signed_in(request: Request) -> WebSession | None:
    """The browser's live session whose token still works, or None (looked up once)."""
    state = request.scope.setdefault("state", {})
    if SESSION_STATE not in state:
        state[SESSION_STATE] = await _find_session(request)
    found: WebSession | None = state[SESSION_STATE]
    return found


async def _find_session(request: Request) -> WebSession | None:
    session_id = request.cookies.get(SESSION_COOKIE)
    store: SessionStore | None = getattr(request.app.state, "web_sessions", None)
    if not session_id or store is None:
        return None
    found = await store.find(session_id)
    if found is None:
        return None
    if found.record is not None and refusal(found.record, datetime.now(UTC)) is not None:
        return None
    return found


async def signed_in_principal(request: Request) -> Principal | None:
    """The hook the gateway's rate limiter calls (`app.state.console_principal`)."""
    found = await signed_in(request)
    return found.principal if found is not None else None


def principal(session: WebSession) -> Principal:
    return session.principal


def set_cookie(request: Request, response: Response, name: str, value: str, **kw: Any) -> None:
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
        **kw,
    )


def new_form_token() -> str:
    return secrets.token_urlsafe(24)


async def check_form(request: Request, expected: str | None) -> dict[str, str]:
    """The posted fields, if the form carries `expected` as its `csrf` field."""
    form = await request.form()
    given = form.get("csrf")
    if not expected or not isinstance(given, str) or not secrets.compare_digest(given, expected):
        raise FormRefused()
    return {k: v for k, v in form.items() if isinstance(v, str)}
