"""The ticket lifecycle of SPEC §8: which status each operator action may start from.

    new → routed → in_progress ⇄ waiting_requester → resolved → closed, reopened from resolved

`routed` is routing's decision, shown by the ticket view; for intake's own rules a routed
ticket is still `new` (not yet worked on), so the table below names `new` only.
A refused move is a `TransitionRefused`: the gateway answers 409 with its bilingual message.
"""

from __future__ import annotations

from typing import Literal

Status = Literal["new", "in_progress", "waiting_requester", "resolved", "reopened", "closed"]
Action = Literal["start", "wait", "resume", "resolve", "reopen", "close"]

#: Statuses in which the desk is still working on the ticket.
OPEN_STATUSES: frozenset[str] = frozenset({"new", "in_progress", "waiting_requester", "reopened"})

#: The status each action leads to, and the statuses it may start from.
TRANSITIONS: dict[str, tuple[str, frozenset[str]]] = {
    "start": ("in_progress", frozenset({"new", "reopened"})),
    "wait": ("waiting_requester", frozenset({"new", "in_progress", "reopened"})),
    "resume": ("in_progress", frozenset({"waiting_requester"})),
    "resolve": ("resolved", OPEN_STATUSES),
    "reopen": ("reopened", frozenset({"resolved"})),
    "close": ("closed", frozenset({"resolved"})),
}

#: SPEC §3.2: the cause found at resolution.
CAUSES: tuple[str, ...] = (
    "user_error",
    "software_bug",
    "infrastructure",
    "configuration",
    "data",
    "duplicate",
    "fulfilled",
)

STATUS_NAMES_VI = {
    "new": "mới",
    "routed": "đã phân loại",
    "in_progress": "đang xử lý",
    "waiting_requester": "chờ người yêu cầu",
    "resolved": "đã giải quyết",
    "reopened": "mở lại",
    "closed": "đã đóng",
}
ACTION_NAMES_VI = {
    "start": "bắt đầu xử lý",
    "wait": "chuyển sang chờ người yêu cầu",
    "resume": "tiếp tục xử lý",
    "resolve": "giải quyết",
    "reopen": "mở lại",
    "close": "đóng",
}


class TransitionRefused(ValueError):
    """An action the ticket's status does not allow; the message is Vietnamese, then English."""

    def __init__(self, action: str, status: str, number: str = "") -> None:
        ticket = f"Yêu cầu {number} " if number else "Yêu cầu "
        vi_next, en_next = what_is_possible(status)
        super().__init__(
            f"{ticket}đang ở trạng thái '{STATUS_NAMES_VI.get(status, status)}', không thể "
            f"{ACTION_NAMES_VI.get(action, action)}. {vi_next} / Cannot {action} a ticket that"
            f" is {status.replace('_', ' ')}. {en_next}"
        )
        self.action = action
        self.status = status


def possible_actions(status: str) -> list[str]:
    """The status moves the lifecycle allows from `status`, in the table's order."""
    return [action for action, (_, starts) in TRANSITIONS.items() if status in starts]


def what_is_possible(status: str) -> tuple[str, str]:
    """A refusal says what can be done instead (issue 13: no advice that is refused too)."""
    if status == "closed":
        return (
            "Yêu cầu đã đóng là kết thúc; hãy gửi một yêu cầu mới và nhắc số yêu cầu này.",
            "A closed ticket is final; submit a new request that cites this one's number.",
        )
    actions = possible_actions("new" if status == "routed" else status)
    if not actions:
        return "", ""
    vi = ", ".join(ACTION_NAMES_VI[a] for a in actions)
    return f"Từ trạng thái này có thể: {vi}.", f"From here you can: {', '.join(actions)}."


class UnknownCause(ValueError):
    def __init__(self, cause: str) -> None:
        super().__init__(
            f"Nguyên nhân '{cause}' không hợp lệ. / Unknown cause {cause!r}; "
            f"one of: {', '.join(CAUSES)}."
        )
        self.cause = cause


def next_status(action: str, status: str, number: str = "") -> str:
    """The status `action` leads to from `status`, or TransitionRefused."""
    target, allowed_from = TRANSITIONS[action]
    if status not in allowed_from:
        raise TransitionRefused(action, status, number)
    return target


def check_cause(cause: str) -> None:
    if cause not in CAUSES:
        raise UnknownCause(cause)
