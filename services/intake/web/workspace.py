"""The operators' workspace: queues with filters and search, the ticket page and its actions.

Every list and every ticket is the API's answer to the signed-in person (`api_client`), so a
province officer's queue holds their province only and another province's ticket is the
API's 403, shown as a page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from services.intake.api.deps import in_force
from services.intake.domain.access import Principal, TicketScope
from services.intake.web.api_client import seg
from services.intake.web.auth import check_form, principal
from services.intake.web.common import Session, api, api_error, error_page, to
from services.intake.web.forms import ACTIONS, may_show, request_for
from services.intake.web.render import QUEUE_LABELS, page
from services.intake.web.sessions import WebSession

workspace = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
#: The filters of `GET /api/v1/tickets` the queue pages offer (SPEC §7).
FILTERS = ("status", "group", "priority", "province", "application", "q")


@dataclass(frozen=True)
class View:
    """A queue: the API path it reads and the filters it fixes."""

    path: str
    fixed: dict[str, str]
    filters: bool = True


def office_of(user: Principal) -> bool:
    """Whether the caller works in an office of the ladder (a province's or a group)."""
    return bool((user.role == "province_it" and user.province) or user.group)


def views_for(user: Principal) -> dict[str, View]:
    """The queues this person has, in tab order."""
    views: dict[str, View] = {}
    if office_of(user):
        views["mine-to-handle"] = View("/queues/mine-to-handle", {})
        views["mine-to-follow-up"] = View("/queues/mine-to-follow-up", {})
    if user.group:
        views["my-group"] = View("/tickets", {"group": user.group})
    if user.role == "province_it" and user.province:
        views["my-province"] = View("/tickets", {"province": user.province})
    views["triage"] = View("/tickets", {"group": "SERVICE_DESK"})
    views["monitoring"] = View("/tickets", {"channel": "monitoring"})
    views["all"] = View("/tickets", {})
    return views


def _legacy_area(user: Principal) -> View:
    if user.role == "province_it":
        return View("/tickets", {"province": user.province or ""})
    return View("/tickets", {"group": user.group} if user.group else {})


def landing(user: Principal) -> str:
    return "/workspace/queues/" + ("mine-to-handle" if office_of(user) else "all")


@workspace.get("/workspace")
async def workspace_home(session: Session) -> Response:
    if session is None:
        return to("/sign-in")
    return to(landing(principal(session)))


@workspace.get("/workspace/queues/{queue}")
async def queue_page(
    request: Request,
    session: Session,
    queue: str,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    if session is None:
        return to("/sign-in")
    user = principal(session)
    if user.role == "requester":
        return to("/portal")
    views = views_for(user)
    view = _legacy_area(user) if queue == "mine-area" else views.get(queue)
    if view is None:
        return error_page(request, session, 404, "Không có hàng đợi này.")
    chosen = {k: request.query_params.get(k, "").strip() for k in FILTERS} if view.filters else {}
    params = {**chosen, **view.fixed, "limit": PAGE_SIZE, "offset": offset}
    answer = await api(request, session, "GET", view.path, params=params)
    if answer.status in (401, 403, 404, 503):
        return api_error(request, session, answer)
    tickets = answer.json() if answer.ok else {"data": [], "count": 0, "limit": 50, "offset": 0}
    paging = {k: v for k, v in chosen.items() if v}
    return page(
        request,
        "queue.html",
        status=200 if answer.ok else answer.status,
        queue=queue,
        views={code: QUEUE_LABELS[code] for code in views},
        view=view,
        chosen=chosen,
        errors=answer.errors(),
        tickets=tickets,
        next_url=_page_url(paging, offset + PAGE_SIZE),
        previous_url=_page_url(paging, max(0, offset - PAGE_SIZE)) if offset else "",
        catalog=request.app.state.services.catalog,
        csrf=session.csrf,
        me=user,
    )


def _page_url(filters: dict[str, str], offset: int) -> str:
    return "?" + urlencode({**filters, "offset": offset})


async def _ticket_context(
    request: Request, session: WebSession, id_or_number: str
) -> tuple[Response | None, dict[str, Any]]:
    """The ticket as the API shows it to this person, its children and the forms they may use."""
    answer = await api(request, session, "GET", f"/tickets/{seg(id_or_number)}")
    if not answer.ok:
        return api_error(request, session, answer), {}
    ticket = answer.json()
    children = await api(
        request, session, "GET", "/tickets", params={"parent": ticket["id"], "limit": 200}
    )
    # As the API reads the token: a successor province's staff act on what it absorbed.
    user = in_force(principal(session), request.app.state.services.catalog)
    scope = TicketScope(
        ticket.get("province"), ticket.get("group"), (ticket.get("requester") or {}).get("email")
    )
    actions = [a for a in ACTIONS.values() if may_show(user, a, scope)]
    agents = await _agents_at(request, session, ticket.get("handler")) if actions else []
    return None, {
        "agents": agents,
        "suggestions": await _suggestions_for(request, session, ticket["id"]),
        "ticket": ticket,
        "children": children.json()["data"] if children.ok else [],
        "actions": actions,
        "catalog": request.app.state.services.catalog,
        "errors": {},
        "posted": {},
        "done": request.query_params.get("done", ""),
        "ACTION_LABELS": {a.name: a.label for a in ACTIONS.values()},
    }


async def _suggestions_for(
    request: Request, session: WebSession, ticket_id: str
) -> dict[str, Any] | None:
    """The knowledge base's articles and solved tickets like this one (SPEC §6b), for staff;
    the page is shown without them when the knowledge service does not answer."""
    answer = await api(request, session, "GET", f"/tickets/{seg(ticket_id)}/suggestions")
    if not answer.ok:
        return None
    found: dict[str, Any] = answer.json()
    return found if found.get("articles") or found.get("tickets") else None


async def _agents_at(request: Request, session: WebSession, office: str | None) -> list[str]:
    """Whom `assign` may name where the ticket is now (the agent directory), for the form's
    suggestions; none when the API has no directory to offer."""
    if not office:
        return []
    answer = await api(request, session, "GET", "/agents", params={"office": office})
    if not answer.ok:
        return []
    return [str(p.get("name")) for p in (answer.json() or {}).get("data") or [] if p.get("name")]


@workspace.get("/workspace/tickets/{id_or_number}")
async def ticket_page(request: Request, session: Session, id_or_number: str) -> Response:
    if session is None:
        return to("/sign-in")
    if principal(session).role == "requester":
        return to(f"/portal/tickets/{id_or_number}")
    refused, context = await _ticket_context(request, session, id_or_number)
    if refused is not None:
        return refused
    return page(request, "ticket.html", me=principal(session), csrf=session.csrf, **context)


@workspace.post("/workspace/tickets/{id_or_number}/actions/{name}")
async def ticket_action(
    request: Request, session: Session, id_or_number: str, name: str
) -> Response:
    """One form of the ticket page: the API call it stands for, then back to the page."""
    if session is None:
        return to("/sign-in")
    fields = await check_form(request, session.csrf)
    action = ACTIONS.get(name)
    if action is None:
        return error_page(request, session, 404, "Không có thao tác này.")
    refused, context = await _ticket_context(request, session, id_or_number)
    if refused is not None:
        return refused
    call = request_for(action, context["ticket"]["id"], fields)
    answer = await api(request, session, call.method, call.path, json=call.json, params=call.params)
    if answer.ok:
        return to(f"/workspace/tickets/{context['ticket']['number']}?done={name}#actions")
    context.update(errors={name: answer.errors()}, posted={name: fields})
    return page(
        request,
        "ticket.html",
        status=answer.status,
        me=principal(session),
        csrf=session.csrf,
        failed=name,
        failure=answer.message,
        **context,
    )


@workspace.get("/workspace/tickets/{id_or_number}/version")
async def ticket_version(request: Request, session: Session, id_or_number: str) -> Response:
    """What the page's polling compares: the ticket changed when this changes."""
    if session is None:
        return Response(status_code=401)
    answer = await api(request, session, "GET", f"/tickets/{seg(id_or_number)}")
    if not answer.ok:
        return Response(status_code=answer.status)
    ticket = answer.json()
    version = f"{ticket.get('status')}|{len(ticket.get('history') or [])}|{ticket.get('handler')}"
    return Response(version, media_type="text/plain", headers={"Cache-Control": "no-store"})
