"""Mail to the requester after the acknowledgement: the desk's public answers and resolution.

Every subject carries `[YC-…]` and every message is marked automatic (RFC 3834), as the
acknowledgement is: the requester's reply threads, and no robot answers back.
"""

from __future__ import annotations

from .ack import _CONTROL, subject_text
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
_SIGNATURE = ["", "Trân trọng,", "Bộ phận Hỗ trợ CNTT - Kho bạc Nhà nước"]


def ticket_subject(number: str, subject: str) -> str:
    """`[YC-2026-000123] <subject>` without doubling a tag the subject already has."""
    return f"{subject_tag(number)} {subject_text(subject)[:150]}"


def _greeting(name: str) -> str:
    name = " ".join(_CONTROL.sub(" ", name).split())
    return f"Kính gửi anh/chị {name}," if name else "Kính gửi anh/chị,"


def answer_body(number: str, requester_name: str, author: str, answer: str) -> str:
    """A public comment of the desk, as mail to the requester."""
    return "\n".join(
        [
            _greeting(requester_name),
            "",
            f"Cán bộ hỗ trợ ({author}) đã trả lời yêu cầu {number}:",
            "",
            answer.strip(),
            "",
            "Anh/chị có thể trả lời trực tiếp thư này; vui lòng giữ nguyên mã "
            f"{subject_tag(number)} trong tiêu đề thư.",
            *_SIGNATURE,
        ]
    )


def resolved_body(number: str, requester_name: str, cause: str | None, note: str) -> str:
    lines = [
        _greeting(requester_name),
        "",
        f"Yêu cầu {number} của anh/chị đã được giải quyết.",
    ]
    if cause:
        lines.append(f"Nguyên nhân: {CAUSE_NAMES_VI.get(cause, cause)}.")
    if note.strip():
        lines += ["", note.strip()]
    lines += [
        "",
        "Nếu vấn đề vẫn còn, anh/chị vui lòng trả lời thư này để mở lại yêu cầu.",
        *_SIGNATURE,
    ]
    return "\n".join(lines)
