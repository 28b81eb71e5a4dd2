"""Who may see and do what on a ticket (SPEC §8), as plain functions of caller and ticket.

- `requester`: only their own tickets (matched by e-mail); may reply in public, attach files,
  reopen or close (confirm) their resolved ticket; never sees internal notes.
- `province_it`: only its province's tickets, and every operator action on them.
- `group_agent` / `group_lead`: read the whole national queue (the central department is L2 for
  every province); act on their group's tickets. The Service Desk dispatches, so it acts on all.
- `specialist`: reads all and answers (comments, files); the owner changes the status.
- `analyst`: reads everything, never writes.
- `integration` (mail gateway, monitoring, imports) and `admin`: everything.
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES = (
    "requester",
    "province_it",
    "group_agent",
    "group_lead",
    "specialist",
    "analyst",
    "integration",
    "admin",
)
STATUS_ACTIONS = frozenset({"start", "wait", "resume", "resolve", "reopen", "close"})
REQUESTER_ACTIONS = frozenset({"comment_public", "attach", "reopen", "close"})
SPECIALIST_ACTIONS = frozenset({"comment_public", "comment_internal", "attach"})
#: Roles that may act for the desk (log a phone call, submit for someone else).
DESK_ROLES = frozenset({"province_it", "group_agent", "group_lead", "integration", "admin"})


@dataclass(frozen=True)
class Principal:
    """The caller behind a bearer token; scope fields narrow what the role reaches."""

    name: str
    role: str
    province: str | None = None
    group: str | None = None
    email: str | None = None
    #: The provinces `province` carries on since the 2025 merger (their old tickets are its).
    absorbed: frozenset[str] = frozenset()


@dataclass(frozen=True)
class TicketScope:
    """The parts of a ticket access depends on (from the ticket view, or its events)."""

    province: str | None
    group: str | None
    requester_email: str | None


class Forbidden(PermissionError):
    """The caller is known but may not do this; the message is Vietnamese, then English."""


def is_own(caller: Principal, ticket: TicketScope) -> bool:
    return bool(caller.email and ticket.requester_email) and (
        str(caller.email).lower() == str(ticket.requester_email).lower()
    )


def covers_province(caller: Principal, province: str | None) -> bool:
    """The caller's province, or one it absorbed (Hà Giang's old tickets are Tuyên Quang's)."""
    return caller.province is not None and (
        province == caller.province or province in caller.absorbed
    )


def can_read(caller: Principal, ticket: TicketScope) -> bool:
    if caller.role == "requester":
        return is_own(caller, ticket)
    if caller.role == "province_it":
        return covers_province(caller, ticket.province)
    return caller.role in ROLES


def sees_internal_notes(caller: Principal) -> bool:
    return caller.role != "requester"


def check_may(caller: Principal, action: str, ticket: TicketScope) -> None:
    """Raise Forbidden unless `caller` may do `action` on `ticket` (which they can read)."""
    role = caller.role
    if role in ("admin", "integration"):
        return
    if role == "analyst":
        raise Forbidden("Vai trò phân tích chỉ được xem. / Analysts have read-only access.")
    if role == "requester":
        if action in REQUESTER_ACTIONS and is_own(caller, ticket):
            return
        vi, en = action_words(action)
        raise Forbidden(
            f"Người yêu cầu không được {vi} ở đây; người yêu cầu chỉ được trả lời công khai, "
            "đính kèm tệp, mở lại hoặc đóng yêu cầu của chính mình. / "
            f"A requester may not {en} here; requesters may reply in public, attach files, "
            "reopen or close their own tickets."
        )
    if role == "province_it":
        if covers_province(caller, ticket.province):
            return
        raise Forbidden(
            f"Yêu cầu thuộc hàng đợi của tỉnh khác; cán bộ tỉnh {caller.province} chỉ xử lý "
            "yêu cầu của tỉnh mình. / This ticket belongs to another province's queue; "
            f"province staff of {caller.province} act on their own province's tickets only."
        )
    if role in ("group_agent", "group_lead"):
        if caller.group == "SERVICE_DESK" or (caller.group and caller.group == ticket.group):
            return
        raise Forbidden(
            f"Yêu cầu không thuộc hàng đợi của nhóm {caller.group}. / "
            f"The ticket is not in the queue of group {caller.group}."
        )
    if role == "specialist" and action in SPECIALIST_ACTIONS:
        return
    vi, en = action_words(action)
    raise Forbidden(
        f"Vai trò {ROLE_NAMES_VI.get(role, role)} không được {vi}. / The {role} role may not {en}."
    )


def check_role(caller: Principal, allowed: frozenset[str] | set[str], what: str) -> None:
    """For actions that are not about one ticket (imports, tokens, raw mail)."""
    if caller.role not in allowed:
        vi, _, en = what.partition(" / ")
        role = caller.role
        raise Forbidden(
            f"Vai trò {ROLE_NAMES_VI.get(role, role)} không được {vi}. / "
            f"The {role} role may not {en or vi}."
        )


#: How a refusal names an action: Vietnamese, then English (never the internal name).
ACTION_WORDS = {
    "comment_public": ("trả lời công khai", "reply in public"),
    "comment_internal": ("ghi chú nội bộ", "write internal notes"),
    "attach": ("đính kèm tệp", "attach files"),
    "start": ("bắt đầu xử lý", "start work on the ticket"),
    "wait": ("chuyển sang chờ người yêu cầu", "set the ticket waiting for the requester"),
    "resume": ("tiếp tục xử lý", "resume work on the ticket"),
    "resolve": ("giải quyết yêu cầu", "resolve the ticket"),
    "reopen": ("mở lại yêu cầu", "reopen the ticket"),
    "close": ("đóng yêu cầu", "close the ticket"),
    "priority": ("đổi mức ưu tiên", "change the priority"),
    "edit": ("sửa thông tin yêu cầu", "edit the ticket"),
    "merge": ("gộp yêu cầu", "merge tickets"),
}
ROLE_NAMES_VI = {
    "requester": "người yêu cầu",
    "province_it": "cán bộ tin học tỉnh",
    "group_agent": "cán bộ nhóm hỗ trợ",
    "group_lead": "trưởng nhóm hỗ trợ",
    "specialist": "chuyên viên phòng chuyên môn",
    "analyst": "phân tích viên",
    "integration": "tích hợp",
    "admin": "quản trị",
}


def action_words(action: str) -> tuple[str, str]:
    return ACTION_WORDS.get(action, ("thực hiện thao tác này", "do this"))
