"""The requester portal: sign in with a code mailed to a directory address, submit a request,
follow one's requests, reply, confirm a resolution or reopen it.

Sign-in asks for an e-mail; if it belongs to the directory or to someone who has submitted
before, a one-time code is mailed to it (`codes.py`). The answer is the same either way, so
the form tells nobody which addresses are known. A right code opens a portal session as role
`requester` with that e-mail: from then on every page is the API's answer to that requester
(their own tickets only, the requester's projection, the requester's actions).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import UploadFile

from libs.platform.outgoing_mail import new_message
from services.intake.api.deps import Services
from services.intake.domain.access import Principal
from services.intake.web.api_client import seg
from services.intake.web.auth import (
    FORM_COOKIE,
    SESSION_COOKIE,
    check_form,
    new_form_token,
    principal,
    sessions,
    set_cookie,
)
from services.intake.web.codes import CodeStore
from services.intake.web.common import Session, api, api_error, error_page, to
from services.intake.web.render import page
from services.intake.web.sessions import WebSession

portal = APIRouter(include_in_schema=False)
_EMAIL_MAX = 254
_ASKED = (
    "Nếu địa chỉ này có trong danh bạ hoặc đã từng gửi yêu cầu, mã đăng nhập đã được gửi đến "
    "hộp thư. Mã có hiệu lực trong {minutes} phút."
)


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _codes(request: Request) -> CodeStore:
    store: CodeStore = request.app.state.web_codes
    return store


def _requester(session: WebSession | None) -> Principal | None:
    if session is None or principal(session).role != "requester":
        return None
    return principal(session)


def _sign_in_form(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    form_token = new_form_token()
    response = page(request, template, status, form_token=form_token, **context)
    set_cookie(request, response, FORM_COOKIE, form_token, max_age=3600)
    return response


async def _check_sign_in_form(request: Request) -> dict[str, str]:
    return await check_form(request, request.cookies.get(FORM_COOKIE))


async def known_requester(svc: Services, email: str) -> Principal | None:
    """The requester behind `email`: in the directory, or the author of a ticket."""
    entry = await svc.directory.find(email)
    if entry is not None:
        return Principal(entry.name or email, "requester", email=email)
    rows, _ = await svc.queries.page({"lower(requester->>'email')": email}, None, 1, 0)
    if rows:
        name = (rows[0].get("requester") or {}).get("name") or email
        return Principal(str(name), "requester", email=email)
    return None


def _code_mail(to_address: str, code: str, minutes: int) -> Any:
    body = "\n".join(
        [
            "Kính gửi anh/chị,",
            "",
            f"Mã đăng nhập cổng hỗ trợ CNTT Kho bạc Nhà nước của anh/chị là: {code}",
            "",
            f"Mã dùng được một lần, trong {minutes} phút. Nếu anh/chị không yêu cầu mã này,",
            "vui lòng bỏ qua thư.",
            "",
            "Trân trọng,",
            "Bộ phận Hỗ trợ CNTT - Kho bạc Nhà nước",
        ]
    )
    return new_message(to_address, "Mã đăng nhập cổng hỗ trợ CNTT Kho bạc Nhà nước", body)


def _minutes(request: Request) -> int:
    return int(_codes(request).lifetime.total_seconds() // 60)


@portal.get("/portal")
async def portal_home(request: Request, session: Session, offset: int = 0) -> Response:
    user = _requester(session)
    if session is not None and user is None:
        return to("/workspace")
    if session is None or user is None:
        return _sign_in_form(request, "portal_sign_in.html", error="", email="")
    answer = await api(
        request, session, "GET", "/tickets", params={"limit": 50, "offset": max(0, offset)}
    )
    if not answer.ok:
        return api_error(request, session, answer)
    done = request.query_params.get("submitted", "")
    return page(
        request,
        "portal_list.html",
        tickets=answer.json(),
        submitted=done,
        me=user,
        csrf=session.csrf,
    )


@portal.post("/portal/sign-in")
async def ask_for_code(request: Request) -> Response:
    fields = await _check_sign_in_form(request)
    email = fields.get("email", "").strip().lower()
    if not email or "@" not in email or len(email) > _EMAIL_MAX:
        return _sign_in_form(
            request,
            "portal_sign_in.html",
            422,
            error="Vui lòng nhập địa chỉ thư điện tử hợp lệ.",
            email=email,
        )
    known = await known_requester(_services(request), email)
    if known is not None:
        code = await _codes(request).issue(email, datetime.now(UTC))
        if code is None:
            why = "Đã gửi quá nhiều mã đến địa chỉ này trong một giờ; vui lòng thử lại sau."
            return _sign_in_form(request, "portal_sign_in.html", 429, error=why, email=email)
        mail = _code_mail(email, code, _minutes(request))
        await request.app.state.web_mail.send(mail, f"portal-code:{email}:{uuid.uuid4()}")
    notice = _ASKED.format(minutes=_minutes(request))
    return _sign_in_form(request, "portal_code.html", email=email, notice=notice, error="")


_CODE_REFUSED = {
    "wrong": "Mã không đúng. Vui lòng kiểm tra lại thư.",
    "expired": "Mã đã hết hạn. Vui lòng xin mã mới.",
    "exhausted": "Mã đã được dùng hoặc đã nhập sai quá nhiều lần. Vui lòng xin mã mới.",
    "none": "Chưa có mã cho địa chỉ này. Vui lòng xin mã.",
}


@portal.post("/portal/verify")
async def verify_code(request: Request) -> Response:
    fields = await _check_sign_in_form(request)
    email = fields.get("email", "").strip().lower()
    code = fields.get("code", "").strip()
    verdict = await _codes(request).check(email, code, datetime.now(UTC)) if email else "none"
    known = await known_requester(_services(request), email) if verdict == "ok" else None
    if known is None:
        why = _CODE_REFUSED.get(verdict, _CODE_REFUSED["none"])
        return _sign_in_form(request, "portal_code.html", 401, email=email, notice="", error=why)
    session_id, _ = await sessions(request).open_for_requester(known)
    response = to("/portal")
    lifetime = int(sessions(request).lifetime.total_seconds())
    set_cookie(request, response, SESSION_COOKIE, session_id, max_age=lifetime)
    response.delete_cookie(FORM_COOKIE, path="/")
    return response


def _applications(svc: Services) -> list[tuple[str, str]]:
    return [(c, a.name) for c, a in sorted(svc.catalog.applications.items())]


def _new_form(request: Request, session: WebSession, status: int = 200, **context: Any) -> Response:
    svc = _services(request)
    context.setdefault("errors", {})
    context.setdefault("posted", {})
    return page(
        request,
        "portal_new.html",
        status,
        applications=_applications(svc),
        provinces=sorted((c, p.name) for c, p in svc.catalog.provinces.items()),
        me=principal(session),
        csrf=session.csrf,
        **context,
    )


@portal.get("/portal/new")
async def new_request_form(request: Request, session: Session) -> Response:
    if _requester(session) is None or session is None:
        return to("/portal")
    return _new_form(request, session)


def submission_body(fields: dict[str, str]) -> dict[str, Any]:
    """The form as `POST /api/v1/tickets` takes it; blanks are left out (the API decides)."""
    requester: dict[str, Any] = {}
    for name in ("name", "phone", "unit_code"):
        if fields.get(name, "").strip():
            requester[name] = fields[name].strip()
    if fields.get("unit_name", "").strip():
        requester["unit"] = {
            "kind": fields.get("unit_kind") or "budget_unit",
            "province": fields.get("unit_province") or None,
            "name": fields["unit_name"].strip(),
        }
    body: dict[str, Any] = {
        "channel": "web",
        "requester": requester,
        "subject": fields.get("subject", ""),
        "description": fields.get("description", ""),
    }
    if fields.get("application_code"):
        body["application_code"] = fields["application_code"]
    return body


async def _uploads(request: Request) -> list[tuple[str, tuple[str, bytes, str]]]:
    form = await request.form()
    files = []
    for item in form.getlist("attachments"):
        if isinstance(item, UploadFile) and item.filename:
            data = await item.read()
            files.append(("attachments", (item.filename, data, item.content_type or "")))
    return files


def _field_errors(errors: dict[str, str]) -> dict[str, str]:
    """The API names nested fields `requester.unit.name`; the form's fields are flat."""
    flat = {}
    for name, message in errors.items():
        short = name.removeprefix("requester.").replace("unit.", "unit_")
        flat[{"ticket": "subject", "body": ""}.get(short, short)] = message
    return flat


@portal.post("/portal/new")
async def submit_request(request: Request, session: Session) -> Response:
    if _requester(session) is None or session is None:
        return to("/portal")
    fields = await check_form(request, session.csrf)
    files = await _uploads(request)
    body = submission_body(fields)
    body["requester"]["email"] = principal(session).email  # the API checks it is theirs
    if files:
        answer = await api(
            request,
            session,
            "POST",
            "/tickets",
            data={"ticket": orjson.dumps(body).decode()},
            files=files,
        )
    else:
        answer = await api(request, session, "POST", "/tickets", json=body)
    if answer.ok:
        return to(f"/portal/tickets/{answer.json()['number']}?submitted=1")
    errors = _field_errors(answer.errors())
    return _new_form(
        request, session, answer.status, errors=errors, posted=fields, failure=answer.message
    )


@portal.get("/portal/tickets/{number}")
async def my_ticket(request: Request, session: Session, number: str) -> Response:
    if _requester(session) is None or session is None:
        return to("/portal")
    return await _ticket_page(request, session, number)


async def _ticket_page(
    request: Request, session: WebSession, number: str, status: int = 200, **context: Any
) -> Response:
    answer = await api(request, session, "GET", f"/tickets/{seg(number)}")
    if not answer.ok:
        return api_error(request, session, answer)
    context.setdefault("error", "")
    context.setdefault("failed", "")
    return page(
        request,
        "portal_ticket.html",
        status,
        ticket=answer.json(),
        done=request.query_params.get("done", ""),
        submitted=request.query_params.get("submitted", ""),
        me=principal(session),
        csrf=session.csrf,
        **context,
    )


#: The requester's three actions: the API call and what the form sends.
REQUESTER_ACTIONS = {
    "reply": ("comments", lambda f: {"body": f.get("body", ""), "visibility": "public"}),
    "close": ("close", lambda f: {"reason": f.get("reason", "").strip()}),
    "reopen": ("reopen", lambda f: {"reason": f.get("reason", "").strip()}),
}


@portal.post("/portal/tickets/{number}/{action}")
async def requester_action(
    request: Request, session: Session, number: str, action: str
) -> Response:
    if _requester(session) is None or session is None:
        return to("/portal")
    fields = await check_form(request, session.csrf)
    if action not in REQUESTER_ACTIONS:
        return error_page(request, session, 404, "Không có thao tác này.")
    move, body = REQUESTER_ACTIONS[action]
    answer = await api(
        request, session, "POST", f"/tickets/{seg(number)}/{move}", json=body(fields)
    )
    if answer.ok:
        return to(f"/portal/tickets/{number}?done={action}")
    if answer.status in (403, 404):
        return api_error(request, session, answer)
    return await _ticket_page(
        request, session, number, answer.status, error=answer.message, failed=action
    )


@portal.get("/portal/kb-suggest")
async def kb_suggest(request: Request, session: Session, q: str = "") -> Response:
    """The knowledge base's suggestions for the form (`GET /api/v1/kb/suggest`), passed on
    when the API answers them, and nothing otherwise (204): the form works without them."""
    if session is None or not q.strip():
        return Response(status_code=204)
    answer = await api(request, session, "GET", "/kb/suggest", params={"q": q[:200]})
    if answer.status != 200:
        return Response(status_code=204)
    return JSONResponse(answer.json(), headers={"Cache-Control": "no-store"})
