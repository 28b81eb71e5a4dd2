"""The mail to the requester of a ticket merged into another (issue 13): the same request was
recorded twice, and the desk goes on under the other number."""

from __future__ import annotations

from libs.platform.letters import letter

from .ticket_numbers import subject_tag


def merged_body(number: str, requester_name: str, into_number: str, reason: str) -> str:
    return letter(
        requester_name,
        f"Yêu cầu {number} của anh/chị trùng với yêu cầu {into_number} nên đã được gộp vào "
        f"yêu cầu {into_number}; Bộ phận Hỗ trợ CNTT tiếp tục xử lý và trả lời anh/chị theo "
        "mã số này.",
        f"Lý do: {reason.strip()}" if reason.strip() else "",
        "Khi cần bổ sung thông tin, anh/chị vui lòng trả lời thư này hoặc ghi mã "
        f"{subject_tag(into_number)} trong tiêu đề thư.",
    )
