"""Every action of the ticket page, declared once: its form fields and the API call it makes.

A new operator action is one `Action(...)` in `ACTIONS`: the ticket page draws its form,
`/workspace/tickets/{n}/actions/{name}` checks the form token and sends the API the body
built here; the API (and the service owning the move) validates and decides, and its refusal
comes back beside the form, in Vietnamese. The `may` name asks the domain's own access rule
(`check_may`) whether to show the form at all, so a page does not offer what the API refuses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from libs.catalog.model import Catalog
from services.intake.domain.access import Forbidden, Principal, TicketScope, check_may
from services.intake.web.render import CAUSE_LABELS, TYPE_LABELS

Options = Callable[[Catalog], list[tuple[str, str]]]


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"  # text, textarea, select
    options: Options | None = None
    required: bool = False
    blank: str = ""  # the label of the empty choice of a select ("" = none offered)
    suggest: str = ""  # a text field's list of suggestions (a <datalist> the page fills)


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    path: str  # under /api/v1, `{id}` is the ticket's id
    fields: tuple[Field, ...] = ()
    method: str = "POST"
    may: str = "start"  # the check_may action that decides whether the form is shown
    body: Callable[[dict[str, str]], dict[str, Any]] | None = None
    danger: bool = False
    params: tuple[str, ...] = field(default=())  # fields sent in the query, not the body


def _causes(_: Catalog) -> list[tuple[str, str]]:
    return list(CAUSE_LABELS.items())


def _types(_: Catalog) -> list[tuple[str, str]]:
    return list(TYPE_LABELS.items())


def _groups(catalog: Catalog) -> list[tuple[str, str]]:
    return [(code, f"{code} — {g.name}") for code, g in sorted(catalog.groups.items())]


def _applications(catalog: Catalog) -> list[tuple[str, str]]:
    return [(code, f"{code} — {a.name}") for code, a in sorted(catalog.applications.items())]


def _given(*names: str) -> Callable[[dict[str, str]], dict[str, Any]]:
    """A body of the named fields that were filled in (a blank select means "unchanged")."""
    return lambda f: {n: f[n].strip() for n in names if f.get(n, "").strip()}


def _reason(f: dict[str, str]) -> dict[str, Any]:
    return {"reason": f.get("reason", "").strip()}


REASON = Field("reason", "Ghi chú / lý do", "textarea")

ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action(
            "comment",
            "Trao đổi",
            "/tickets/{id}/comments",
            (
                Field("body", "Nội dung", "textarea", required=True),
                Field(
                    "visibility",
                    "Hiển thị",
                    "select",
                    lambda _: [("public", "Công khai (gửi người yêu cầu)"), ("internal", "Nội bộ")],
                ),
            ),
            may="comment_public",
            body=lambda f: {"body": f.get("body", ""), "visibility": f.get("visibility", "public")},
        ),
        Action(
            "assign",
            "Phân công",
            "/tickets/{id}/assign",
            (
                Field(
                    "assignee",
                    "Cán bộ xử lý (tên hoặc thư điện tử)",
                    required=True,
                    suggest="agents",
                ),
            ),
            body=_given("assignee"),
        ),
        Action(
            "start", "Bắt đầu xử lý", "/tickets/{id}/start", (REASON,), may="start", body=_reason
        ),
        Action(
            "wait",
            "Chờ người yêu cầu",
            "/tickets/{id}/wait",
            (Field("reason", "Câu hỏi cho người yêu cầu", "textarea"),),
            may="wait",
            body=_reason,
        ),
        Action(
            "resume",
            "Tiếp tục xử lý",
            "/tickets/{id}/resume",
            (REASON,),
            may="resume",
            body=_reason,
        ),
        Action(
            "escalate",
            "Chuyển cấp",
            "/tickets/{id}/escalate",
            (
                Field("reason", "Lý do chuyển cấp", "textarea", required=True),
                Field("cause", "Nguyên nhân (nếu đã rõ)", "select", _causes, blank="— chưa rõ —"),
            ),
            body=lambda f: {"reason": f.get("reason", ""), "cause": f.get("cause") or None},
        ),
        Action(
            "return",
            "Trả lời về đơn vị chủ trì",
            "/tickets/{id}/return",
            (Field("answer", "Nội dung trả lời", "textarea", required=True),),
            body=lambda f: {"answer": f.get("answer", "")},
        ),
        Action(
            "resolve",
            "Giải quyết",
            "/tickets/{id}/resolve",
            (
                Field("cause", "Nguyên nhân", "select", _causes, required=True, blank="— chọn —"),
                Field("reason", "Kết quả / hướng dẫn cho người yêu cầu", "textarea"),
            ),
            may="resolve",
            body=lambda f: {"cause": f.get("cause", ""), "reason": f.get("reason", "")},
        ),
        Action("reopen", "Mở lại", "/tickets/{id}/reopen", (REASON,), may="reopen", body=_reason),
        Action("close", "Đóng", "/tickets/{id}/close", (REASON,), may="close", body=_reason),
        Action(
            "reclassify",
            "Phân loại lại",
            "/tickets/{id}/reclassify",
            (
                Field("group", "Nhóm", "select", _groups, blank="— giữ nguyên —"),
                Field("type", "Loại", "select", _types, blank="— giữ nguyên —"),
                Field("application", "Ứng dụng", "select", _applications, blank="— giữ nguyên —"),
                REASON,
            ),
            body=_given("group", "type", "application", "reason"),
        ),
        Action(
            "link",
            "Gắn vào yêu cầu cha (sự cố chung)",
            "/tickets/{id}/parent",
            (Field("parent", "Số yêu cầu cha", required=True), REASON),
            body=_given("parent", "reason"),
        ),
        Action(
            "unlink",
            "Gỡ khỏi yêu cầu cha",
            "/tickets/{id}/parent",
            (REASON,),
            method="DELETE",
            params=("reason",),
            danger=True,
        ),
    )
}


def may_show(user: Principal, action: Action, scope: TicketScope) -> bool:
    """Whether the domain's access rule lets `user` try `action` (the API would say 403)."""
    if user.role in ("requester", "analyst"):
        return False
    try:
        check_may(user, action.may, scope)
    except Forbidden:
        return False
    return True


@dataclass(frozen=True)
class ApiRequest:
    method: str
    path: str
    json: Any
    params: dict[str, str]


def request_for(action: Action, ticket_id: str, fields: dict[str, str]) -> ApiRequest:
    """The API call an action's posted form makes."""
    path = action.path.format(id=quote(ticket_id, safe=""))
    params = {p: fields.get(p, "").strip() for p in action.params}
    body = action.body(fields) if action.body is not None else None
    return ApiRequest(action.method, path, body, params)
