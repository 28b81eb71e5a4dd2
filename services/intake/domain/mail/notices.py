"""Mail to the requester after the acknowledgement: the desk's public answers, its questions
(`/wait`), and the resolution — of the ticket itself, or of the outage it was one report of.

Every subject carries `[YC-…]` and every message is marked automatic (RFC 3834), as the
acknowledgement is: the requester's reply threads, and no robot answers back. Salutation and
signature come from `libs.platform.letters`, dates from `libs.text.vietnamese_datetime`.
"""

from __future__ import annotations

from datetime import datetime

from libs.platform.letters import letter
from libs.text import vietnamese_datetime

from .ack import subject_text
from .ticket_numbers import subject_tag

CAUSE_NAMES_VI = {
    "user_error": "lỗi do người sử dụng thao tác",
    "software_bug": "lỗi phần mềm",
    "infrastructure": "sự cố hạ tầng",
    "configuration": "lỗi cấu hình",
    "data": "lỗi dữ liệu",
    "duplicate": "trùng với một yêu cầu khác",
    "fulfilled": "đã đáp ứng yêu cầu",
}
#: Who resolves a child ticket with its outage (intake, on routing's request).
OUTAGE_ACTOR = "hotro-routing"


def ticket_subject(number: str, subject: str) -> str:
    """`[YC-2026-000123] <subject>` without doubling a tag the subject already has."""
    return f"{subject_tag(number)} {subject_text(subject)[:150]}"


def _reply_hint(number: str) -> str:
    return (
        "Anh/chị có thể trả lời trực tiếp thư này; vui lòng giữ nguyên mã "
        f"{subject_tag(number)} trong tiêu đề thư."
    )


def answer_body(
    number: str, requester_name: str, author: str, answer: str, at: datetime | str | None = None
) -> str:
    """A public comment of the desk, as mail to the requester."""
    when = f" lúc {vietnamese_datetime(at)}" if at else ""
    return letter(
        requester_name,
        f"Cán bộ hỗ trợ ({author}) đã trả lời yêu cầu {number}{when}:",
        answer.strip(),
        _reply_hint(number),
    )


def question_body(
    number: str, requester_name: str, author: str, question: str, at: datetime | str | None
) -> str:
    """`/wait`: the desk needs something from the requester; the SLA clock waits for them."""
    asked = question.strip() or "Cán bộ hỗ trợ cần anh/chị bổ sung thông tin cho yêu cầu này."
    return letter(
        requester_name,
        f"Để tiếp tục xử lý yêu cầu {number}, cán bộ hỗ trợ ({author}) cần anh/chị bổ sung "
        f"thông tin (hỏi lúc {vietnamese_datetime(at)}):",
        asked,
        "Anh/chị vui lòng trả lời trực tiếp thư này (giữ nguyên mã "
        f"{subject_tag(number)} trong tiêu đề); yêu cầu sẽ được xử lý tiếp ngay khi nhận được "
        "trả lời.",
    )


def resolved_body(
    number: str,
    requester_name: str,
    cause: str | None,
    note: str,
    at: datetime | str | None = None,
) -> str:
    when = f" lúc {vietnamese_datetime(at)}" if at else ""
    cause_line = f"Nguyên nhân: {CAUSE_NAMES_VI.get(cause, cause)}." if cause else ""
    return letter(
        requester_name,
        f"Yêu cầu {number} của anh/chị đã được giải quyết{when}.\n{cause_line}".strip(),
        note.strip(),
        "Nếu vấn đề vẫn còn, anh/chị vui lòng trả lời thư này để mở lại yêu cầu.",
    )


def outage_note(parent_number: str, parent_cause: str | None, parent_note: str) -> str:
    """Why a child is resolved with its outage: the outage's number, cause and resolution —
    what the requester wants to hear, rather than "a duplicate of another request"."""
    lines = [f"Yêu cầu này được giải quyết cùng sự cố chung {parent_number}."]
    if parent_cause:
        lines.append(f"Nguyên nhân sự cố: {CAUSE_NAMES_VI.get(parent_cause, parent_cause)}.")
    if parent_note.strip():
        lines.append(f"Kết quả xử lý: {parent_note.strip()}")
    return "\n".join(lines)


def resolution_mail_cause(cause: str | None, actor: str) -> str | None:
    """The cause a resolution notice names: none for a child resolved with its outage (the
    note carries the outage's own cause), else the ticket's."""
    return None if cause == "duplicate" and actor == OUTAGE_ACTOR else cause
