"""Admin pages: tokens (list, issue, revoke), people (the requester directory), directory
import (a file → counts and rejected lines), and mail that intake kept aside (dead letters:
replay; held mail from strangers: accept as a comment or open as a ticket).

Each page is the API's answer (the API refuses other roles with 403, shown as a page). The
directory has no listing call in the API; the people page reads intake's own directory table
after the same role check the import uses (`check_role`, admin or integration).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from psycopg.rows import dict_row
from starlette.datastructures import UploadFile

from libs.text import fold
from services.intake.api.deps import Services
from services.intake.domain.access import ROLES, Forbidden, check_role
from services.intake.web.api_client import seg
from services.intake.web.auth import check_form, principal
from services.intake.web.common import Session, api, api_error, error_page, staff_only, to
from services.intake.web.render import page
from services.intake.web.sessions import WebSession

admin = APIRouter(include_in_schema=False)
PEOPLE_PAGE = 100
#: Kinds of mail an admin deals with, and the buttons each kind gets (API calls that exist).
MAIL_KINDS = {"dead_letter": ("replay", "dismiss"), "held": ("accept", "as-ticket")}
MAIL_BUTTONS = {
    "replay": "Xử lý lại",
    "accept": "Nhận làm trao đổi",
    "as-ticket": "Tạo yêu cầu mới",
    "dismiss": "Bỏ qua",
}


def _signed_in_staff(session: WebSession | None) -> bool:
    return staff_only(session) is not None


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def _tokens_page(
    request: Request, session: WebSession, status: int = 200, **context: Any
) -> Response:
    role = request.query_params.get("role", "")
    state = request.query_params.get("status", "")
    answer = await api(
        request,
        session,
        "GET",
        "/tokens",
        params={"role": role, "status": state, "limit": 200},
    )
    if not answer.ok:
        return api_error(request, session, answer)
    context.setdefault("issued", None)
    context.setdefault("errors", {})
    context.setdefault("posted", {})
    return page(
        request,
        "admin_tokens.html",
        status,
        tokens=answer.json(),
        roles=ROLES,
        role=role,
        state=state,
        me=principal(session),
        csrf=session.csrf,
        **context,
    )


@admin.get("/admin/tokens")
async def tokens(request: Request, session: Session) -> Response:
    if not _signed_in_staff(session) or session is None:
        return to("/sign-in")
    return await _tokens_page(request, session, done=request.query_params.get("done", ""))


def token_body(fields: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {k: fields.get(k, "").strip() for k in ("name", "role")}
    for name in ("province", "group", "email"):
        if fields.get(name, "").strip():
            body[name] = fields[name].strip()
    days = fields.get("expires_in_days", "").strip()
    if days:
        body["expires_in_days"] = int(days) if days.isdigit() else days
    return body


@admin.post("/admin/tokens")
async def issue_token(request: Request, session: Session) -> Response:
    if not _signed_in_staff(session) or session is None:
        return to("/sign-in")
    fields = await check_form(request, session.csrf)
    answer = await api(request, session, "POST", "/tokens", json=token_body(fields))
    if answer.status == 403:
        return api_error(request, session, answer)
    if not answer.ok:
        return await _tokens_page(
            request, session, answer.status, errors=answer.errors(), posted=fields, done=""
        )
    return await _tokens_page(request, session, 201, issued=answer.json(), done="")


@admin.post("/admin/tokens/{token_id}/revoke")
async def revoke_token(request: Request, session: Session, token_id: str) -> Response:
    if not _signed_in_staff(session) or session is None:
        return to("/sign-in")
    await check_form(request, session.csrf)
    answer = await api(request, session, "DELETE", f"/tokens/{seg(token_id)}")
    if not answer.ok:
        return api_error(request, session, answer)
    return to("/admin/tokens?done=revoked")


async def _directory(svc: Services, q: str, offset: int) -> tuple[list[dict[str, Any]], int]:
    """Directory entries matching `q` (name, e-mail, unit; case and diacritics ignored)."""
    directory = svc.directory
    async with directory.pool.connection() as conn:
        cur = conn.cursor(row_factory=dict_row)
        await cur.execute(
            f"SELECT email, name, phone, unit_code, unit, unit_kind, province"
            f" FROM {directory.s}.requesters ORDER BY name, email"
        )
        rows = await cur.fetchall()
    words = fold(q).split()
    if words:
        rows = [
            r
            for r in rows
            if all(
                w in fold(f"{r['name']} {r['email']} {r['unit_code'] or ''} {r['province'] or ''}")
                for w in words
            )
        ]
    return rows[offset : offset + PEOPLE_PAGE], len(rows)


@admin.get("/admin/people")
async def people(request: Request, session: Session, q: str = "", offset: int = 0) -> Response:
    if not _signed_in_staff(session) or session is None:
        return to("/sign-in")
    try:
        check_role(principal(session), frozenset({"admin", "integration"}), "xem danh bạ")
    except Forbidden as refused:
        return error_page(request, session, 403, str(refused).split(" / ")[0])
    rows, total = await _directory(_services(request), q[:200], max(0, offset))
    return page(
        request,
        "admin_people.html",
        people=rows,
        total=total,
        q=q,
        offset=max(0, offset),
        size=PEOPLE_PAGE,
        me=principal(session),
        csrf=session.csrf,
    )


@admin.get("/admin/import")
async def import_form(request: Request, session: Session) -> Response:
    if not _signed_in_staff(session) or session is None:
        return to("/sign-in")
    return page(
        request,
        "admin_import.html",
        result=None,
        error="",
        me=principal(session),
        csrf=session.csrf,
    )


def _import_type(upload: UploadFile, data: bytes) -> str:
    name = (upload.filename or "").lower()
    if name.endswith((".json", ".jsonl", ".ndjson")) or data.lstrip()[:1] == b"{":
        return "application/x-ndjson"
    return "text/csv"


@admin.post("/admin/import")
async def import_directory(request: Request, session: Session) -> Response:
    if not _signed_in_staff(session) or session is None:
        return to("/sign-in")
    await check_form(request, session.csrf)
    upload = (await request.form()).get("file")
    context: dict[str, Any] = {"me": principal(session), "csrf": session.csrf}
    if not isinstance(upload, UploadFile) or not upload.filename:
        error = "Vui lòng chọn tệp CSV hoặc JSON lines."
        return page(request, "admin_import.html", 422, result=None, error=error, **context)
    data = await upload.read()
    answer = await api(
        request,
        session,
        "POST",
        "/requesters/import",
        content=data,
        content_type=_import_type(upload, data),
    )
    if answer.status == 403:
        return api_error(request, session, answer)
    if not answer.ok:
        return page(
            request,
            "admin_import.html",
            answer.status,
            result=None,
            error=answer.message,
            **context,
        )
    return page(
        request,
        "admin_import.html",
        result=answer.json(),
        error="",
        filename=upload.filename,
        **context,
    )


@admin.get("/admin/mail")
async def mail(request: Request, session: Session, kind: str = "dead_letter") -> Response:
    if not _signed_in_staff(session) or session is None:
        return to("/sign-in")
    if kind not in MAIL_KINDS:
        return error_page(request, session, 404, "Không có loại thư này.")
    answer = await api(
        request, session, "GET", "/inbound/messages", params={"outcome": kind, "limit": 200}
    )
    if not answer.ok:
        return api_error(request, session, answer)
    return page(
        request,
        "admin_mail.html",
        messages=answer.json(),
        kind=kind,
        buttons=[(b, MAIL_BUTTONS[b]) for b in MAIL_KINDS[kind]],
        done=request.query_params.get("done", ""),
        me=principal(session),
        csrf=session.csrf,
    )


@admin.post("/admin/mail/{mail_id}/{move}")
async def mail_move(request: Request, session: Session, mail_id: str, move: str) -> Response:
    if not _signed_in_staff(session) or session is None:
        return to("/sign-in")
    form = await check_form(request, session.csrf)
    kind = next((k for k, moves in MAIL_KINDS.items() if move in moves), None)
    if kind is None:
        return error_page(request, session, 404, "Không có thao tác này.")
    # A dismissal says why (it stays in the message's history); the API names a missing one.
    body = {"reason": form.get("reason", "").strip()} if move == "dismiss" else None
    answer = await api(
        request, session, "POST", f"/inbound/messages/{seg(mail_id)}/{move}", json=body
    )
    if not answer.ok:
        return api_error(request, session, answer)
    outcome = (answer.json() or {}).get("outcome", "")
    return to(f"/admin/mail?kind={kind}&done={move}:{outcome}")
