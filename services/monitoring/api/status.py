"""The public status page (SPEC §5, §7): `GET /status` (JSON), `/status/page` (the Vietnamese
HTML the gateway serves at `/status`), `/status/feed.atom`, and the e-mail subscriptions.

The gateway forwards anonymous visitors here with the role `public`; nothing here needs
more. `POST /status/subscriptions` takes JSON (`202`, or `422` naming `email`) or the page's
form (a `303` back to the page with a message).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.monitoring.adapters.status_render import render
from services.monitoring.adapters.status_view import public_notice
from services.monitoring.adapters.status_wiring import StatusServices
from services.monitoring.adapters.subscriptions import address_problem, public_url
from services.monitoring.api.errors import problem

router = APIRouter(prefix="/status", tags=["status"])
ATOM = "application/atom+xml; charset=utf-8"
#: The page's messages after its subscription form (`?subscription=…`).
FORM_MESSAGES = {
    "pending": "Đã ghi nhận. Vui lòng mở thư xác nhận vừa gửi tới hộp thư của bạn để hoàn tất đăng ký.",
    "invalid": "Địa chỉ thư điện tử không hợp lệ; vui lòng kiểm tra lại.",
    "unavailable": "Chưa gửi được thư xác nhận; vui lòng thử lại sau ít phút.",
}
_NO_STORE = {"Cache-Control": "no-store"}


def _services(request: Request) -> StatusServices:
    services: StatusServices = request.app.state.status
    return services


Svc = Annotated[StatusServices, Depends(_services)]
Token = Annotated[str, Query(min_length=16, max_length=200)]


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    email: Annotated[str, Field(min_length=3, max_length=254)]
    #: Only these systems' notices (catalog codes); none = every system.
    applications: list[str] = Field(default_factory=list, max_length=50)


@router.get("")
async def status(svc: Svc) -> Any:
    """Every system's state now and its 90 days, current and past notices, maintenance."""
    return JSONResponse(await svc.view.document(), headers=_NO_STORE)


@router.get("/page", response_class=HTMLResponse)
async def page(svc: Svc, subscription: str | None = None) -> Any:
    """The Vietnamese status page."""
    html = render(
        "page.html", doc=await svc.view.document(), message=FORM_MESSAGES.get(subscription or "")
    )
    return HTMLResponse(html, headers=_NO_STORE)


@router.get("/feed.atom")
async def feed(svc: Svc) -> Any:
    """Announcements and maintenance of the last 90 days as an Atom feed, newest first."""
    views = sorted(await svc.view.recent_notices(), key=lambda v: v["updated_at"], reverse=True)
    notices = [public_notice(v, svc.view.names) for v in views]
    updated = notices[0]["updated_at"] if notices else svc.clock()
    xml = render("feed.atom", base=public_url(), notices=notices, updated=updated)
    return Response(xml, media_type=ATOM)


def _back_to_page(outcome: str) -> RedirectResponse:
    return RedirectResponse(f"/status?subscription={outcome}#subscribe", status_code=303)


async def _subscription_body(request: Request) -> tuple[SubscriptionCreate | None, str, bool]:
    """(the request, or None; why not; whether it came from the page's form)."""
    content_type = request.headers.get("content-type", "")
    from_form = content_type.startswith(("application/x-www-form-urlencoded", "multipart/"))
    try:
        if from_form:
            form = await request.form()
            data: Any = {
                "email": form.get("email", ""),
                "applications": form.getlist("applications"),
            }
        else:
            data = await request.json()
        return SubscriptionCreate.model_validate(data), "", from_form
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ())) or "body"
        return None, f"{field}: {first.get('msg', 'invalid')}", from_form
    except ValueError:
        return None, "body: a JSON object {email, applications?} is expected", from_form


@router.post("/subscriptions", status_code=202)
async def subscribe(request: Request, svc: Svc) -> Any:
    """Subscribe an address to new notices and resolutions; a link in a mail confirms it."""
    body, why, from_form = await _subscription_body(request)
    if body is None:
        field, _, msg = why.partition(": ")
        return (
            _back_to_page("invalid") if from_form else problem(422, "validation_failed", field, msg)
        )
    reason = address_problem(body.email)
    if reason is not None:
        return (
            _back_to_page("invalid")
            if from_form
            else problem(422, "validation_failed", "email", reason)
        )
    unknown = [c for c in body.applications if c not in svc.catalog.applications]
    if unknown:
        return problem(
            422,
            "validation_failed",
            "applications",
            f"unknown application code(s): {', '.join(unknown)}",
        )
    pending = await svc.subscriptions.subscribe(body.email, body.applications, svc.clock())
    if pending is not None:
        try:
            await svc.mailer.send_confirmation(pending)
        except Exception as error:
            await svc.subscriptions.forget_confirmation(pending)
            if from_form:
                return _back_to_page("unavailable")
            return problem(
                503, "mail_unavailable", "email", f"the confirmation could not be mailed: {error}"
            )
    if from_form:
        return _back_to_page("pending")
    return JSONResponse(
        {
            "status": "pending_confirmation",
            "email": body.email.lower(),
            "message": "Vui lòng mở thư xác nhận để hoàn tất đăng ký. / Open the confirmation mail to finish.",
        },
        status_code=202,
    )


def _message(
    outcome: str, heading: str, text: str, status: int = 200, **extra: Any
) -> HTMLResponse:
    html = render(
        "message.html",
        outcome=outcome,
        heading=heading,
        text=text,
        form_action=extra.get("form_action"),
        button=extra.get("button", ""),
    )
    return HTMLResponse(html, status_code=status, headers=_NO_STORE)


@router.get("/subscriptions/confirm", response_class=HTMLResponse)
async def confirm(token: Token, svc: Svc) -> Any:
    """The link of the confirmation mail."""
    email = await svc.subscriptions.confirm(token, svc.clock())
    if email is None:
        return _message(
            "invalid",
            "Liên kết không hợp lệ",
            "Liên kết xác nhận không đúng, đã được dùng hoặc đã hết hạn. Vui lòng đăng ký lại.",
            status=404,
        )
    return _message(
        "confirmed",
        "Đã xác nhận đăng ký",
        f"Địa chỉ {email} sẽ nhận thư khi có sự cố mới, khi sự cố được khắc phục và khi có lịch bảo trì.",
    )


@router.get("/subscriptions/unsubscribe", response_class=HTMLResponse)
async def unsubscribe_page(token: Token, svc: Svc) -> Any:
    """The mail's link: a button, since a GET (a scanner following links) changes nothing."""
    if not await svc.subscriptions.known_unsubscribe(token, svc.clock()):
        return _unknown_link()
    return _message(
        "ask",
        "Hủy đăng ký nhận thông báo",
        "Bấm nút dưới đây để ngừng nhận thư thông báo trạng thái hệ thống.",
        form_action=f"/status/subscriptions/unsubscribe?token={token}",
        button="Hủy đăng ký",
    )


@router.post("/subscriptions/unsubscribe", response_class=HTMLResponse)
async def unsubscribe(token: Token, svc: Svc) -> Any:
    """One click (RFC 8058: a mail client POSTs `List-Unsubscribe=One-Click`) or the button."""
    email = await svc.subscriptions.unsubscribe(token, svc.clock())
    if email is None:
        return _unknown_link()
    return _message(
        "unsubscribed",
        "Đã hủy đăng ký",
        f"Địa chỉ {email} sẽ không nhận thư thông báo trạng thái hệ thống nữa.",
    )


def _unknown_link() -> HTMLResponse:
    return _message(
        "invalid",
        "Liên kết không hợp lệ",
        "Liên kết hủy đăng ký không đúng hoặc địa chỉ đã được hủy đăng ký trước đó.",
        status=404,
    )
