"""The console's front door, staff sign-in and sign-out, and refusals shown as pages.

The other rooms: `workspace` (queues, the ticket page and its actions), `portal` (requesters),
`desk_pages` (outages, known errors, monitoring, reports), `admin_pages` (tokens, people,
directory import, dead letters). Each page asks the API (`api_client`), so roles and province
isolation are exactly the API's."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from services.intake.api.deps import Services, get_services
from services.intake.api.errors import FieldError
from services.intake.domain.access import Forbidden
from services.intake.domain.tokens import refusal
from services.intake.service_layer.ticket_changes import TicketNotFound
from services.intake.web.auth import (
    FORM_COOKIE,
    SESSION_COOKIE,
    FormRefused,
    check_form,
    new_form_token,
    principal,
    sessions,
    set_cookie,
    signed_in,
)
from services.intake.web.render import page
from services.intake.web.sessions import WebSession
from services.intake.web.workspace import landing

pages = APIRouter(include_in_schema=False)
Svc = Annotated[Services, Depends(get_services)]
Session = Annotated[WebSession | None, Depends(signed_in)]


def _to(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _who(session: WebSession | None) -> dict[str, Any]:
    if session is None:
        return {}
    return {"me": principal(session), "csrf": session.csrf}


@pages.get("/")
async def front_door(request: Request, session: Session, signed_out: int = 0) -> Response:
    return page(request, "home.html", signed_out=bool(signed_out), **_who(session))


def _sign_in_form(request: Request, status: int = 200, error: str = "") -> Response:
    form_token = new_form_token()
    response = page(request, "sign_in.html", status, form_token=form_token, error=error)
    set_cookie(request, response, FORM_COOKIE, form_token, max_age=3600)
    return response


@pages.get("/sign-in")
async def sign_in_page(request: Request, session: Session) -> Response:
    if session is None:
        return _sign_in_form(request)
    user = principal(session)
    return _to("/portal" if user.role == "requester" else landing(user))


@pages.post("/sign-in")
async def sign_in(request: Request, svc: Svc) -> Response:
    """Paste a bearer token once; the server keeps a session (cookie) instead of the token."""
    fields = await check_form(request, request.cookies.get(FORM_COOKIE))
    token = fields.get("token", "").strip()
    if not token:
        return _sign_in_form(request, 422, "Vui lòng dán mã truy cập (token).")
    record = await svc.tokens.lookup(token)
    if record is None or refusal(record, datetime.now(UTC)) is not None:
        why = "Mã truy cập không đúng, đã hết hạn hoặc đã bị thu hồi."
        return _sign_in_form(request, 401, why)
    if record.principal.role == "requester":
        why = "Trang này dành cho cán bộ hỗ trợ; người yêu cầu dùng cổng người yêu cầu."
        return _sign_in_form(request, 403, why)
    session_id, _ = await sessions(request).open(token)
    response = _to(landing(record.principal))
    set_cookie(
        request,
        response,
        SESSION_COOKIE,
        session_id,
        max_age=int(sessions(request).lifetime.total_seconds()),
    )
    response.delete_cookie(FORM_COOKIE, path="/")
    return response


@pages.post("/sign-out")
async def sign_out(request: Request, session: Session) -> Response:
    if session is None:
        return _to("/")
    await check_form(request, session.csrf)
    await sessions(request).close(request.cookies[SESSION_COOKIE])
    response = _to("/?signed_out=1")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _error(request: Request, session: WebSession | None, status: int, message: str) -> Response:
    return page(request, "error.html", status, status_code=status, message=message, **_who(session))


def install_page_errors(app: Any) -> None:
    """Refusals on a page are pages (Vietnamese), not the API's JSON; the API keeps its own."""
    api_handlers = dict(app.exception_handlers)

    def on_pages(request: Request) -> bool:
        return not request.url.path.startswith("/api/")

    async def handle(request: Request, error: Exception) -> Response:
        if not on_pages(request):
            return await api_handlers[type(error)](request, error)
        session = await signed_in(request)
        if isinstance(error, FieldError):
            return _error(request, session, error.status, error.reason.split(" / ")[0])
        if isinstance(error, TicketNotFound):
            return _error(request, session, 404, f"Không tìm thấy yêu cầu {error}.")
        return _error(request, session, 403, str(error).split(" / ")[0])

    for kind in (FieldError, TicketNotFound, Forbidden):
        app.add_exception_handler(kind, handle)

    async def refused_form(request: Request, _: Exception) -> Response:
        message = "Biểu mẫu không hợp lệ hoặc đã hết hạn (thiếu mã chống giả mạo). Vui lòng tải lại trang."
        return _error(request, await signed_in(request), 403, message)

    app.add_exception_handler(FormRefused, refused_form)
