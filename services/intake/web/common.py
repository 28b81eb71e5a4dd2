"""What every page module shares: who is signed in, redirects, the error page, and the call
to the API as the signed-in person."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response

from services.intake.domain.access import Principal
from services.intake.web.api_client import ApiAnswer, call_api
from services.intake.web.auth import principal, signed_in
from services.intake.web.render import page
from services.intake.web.sessions import WebSession

Session = Annotated[WebSession | None, Depends(signed_in)]
STAFF_HOME = "/workspace"
PORTAL_HOME = "/portal"


def to(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def who(session: WebSession | None) -> dict[str, Any]:
    if session is None:
        return {}
    return {"me": principal(session), "csrf": session.csrf}


def error_page(request: Request, session: WebSession | None, status: int, message: str) -> Response:
    return page(request, "error.html", status, status_code=status, message=message, **who(session))


def api_error(request: Request, session: WebSession | None, answer: ApiAnswer) -> Response:
    """The API's refusal as a page with the same status (a 403 stays a 403)."""
    return error_page(request, session, answer.status, answer.message)


async def api(
    request: Request, session: WebSession, method: str, path: str, **kw: Any
) -> ApiAnswer:
    return await call_api(request, principal(session), method, path, **kw)


def is_staff(session: WebSession | None) -> bool:
    return session is not None and principal(session).role != "requester"


def staff_only(session: WebSession | None) -> Principal | None:
    """The staff member signed in, or None (the page then sends them to sign in)."""
    return principal(session) if session is not None and is_staff(session) else None
