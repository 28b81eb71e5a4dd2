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


def can_read(caller: Principal, ticket: TicketScope) -> bool:
    if caller.role == "requester":
        return is_own(caller, ticket)
    if caller.role == "province_it":
        return caller.province is not None and caller.province == ticket.province
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
        raise Forbidden(
            "Người yêu cầu chỉ được trả lời, đính kèm, mở lại hoặc đóng yêu cầu của mình. / "
            f"A requester may not {action} here."
        )
    if role == "province_it":
        if caller.province is not None and caller.province == ticket.province:
            return
        raise Forbidden(
            "Yêu cầu thuộc tỉnh khác. / This ticket belongs to another province's queue."
        )
    if role in ("group_agent", "group_lead"):
        if caller.group == "SERVICE_DESK" or (caller.group and caller.group == ticket.group):
            return
        raise Forbidden(
            f"Yêu cầu không thuộc nhóm {caller.group}. / The ticket is not in your group's queue."
        )
    if role == "specialist" and action in SPECIALIST_ACTIONS:
        return
    raise Forbidden(f"Vai trò {role} không được phép. / Role {role} may not {action}.")


def check_role(caller: Principal, allowed: frozenset[str] | set[str], what: str) -> None:
    """For actions that are not about one ticket (imports, tokens, raw mail)."""
    if caller.role not in allowed:
        raise Forbidden(
            f"Vai trò {caller.role} không được phép {what}. / Role {caller.role} may not {what}."
        )
