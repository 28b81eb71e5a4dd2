"""The automatic acknowledgement of a new ticket, in Vietnamese (SPEC §2; every channel with an
address, issue 13).

The subject carries `[YC-…]` so that a reply threads even when the requester's client drops
In-Reply-To, and the headers mark the message as automatic (RFC 3834) so that well-behaved
auto-responders do not answer it: both sides of the no-loop rule.
"""

from __future__ import annotations

import re
from datetime import datetime

from libs.platform.letters import letter, one_line
from libs.text import vietnamese_datetime

from .model import ParsedMail
from .ticket_numbers import subject_tag, without_ticket_tags

_MAX_SUBJECT = 150
#: A subject from a decoded header could carry CR/LF; in an outgoing header that is injection.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_NO_SUBJECT = "(không có tiêu đề)"


def ack_subject(number: str, original_subject: str) -> str:
    """`[YC-2026-000123] Đã tiếp nhận yêu cầu: <original subject>`."""
    subject = subject_text(original_subject)
    if len(subject) > _MAX_SUBJECT:
        subject = subject[: _MAX_SUBJECT - 1].rstrip() + "…"
    return f"{subject_tag(number)} Đã tiếp nhận yêu cầu: {subject}"


def subject_text(original_subject: str) -> str:
    """A requester's subject as the text of one of our subjects: one line, no ticket tag, and
    no "=?" — the email package re-reads that as an RFC 2047 encoded word when it writes the
    header, and a broken one left in a subject ("=?UTF-8?B?TO¥") made it raise."""
    subject = _CONTROL.sub(" ", without_ticket_tags(original_subject)).replace("=?", "= ?")
    return " ".join(subject.split()) or _NO_SUBJECT


#: How the requester reached us, as the acknowledgement says it (monitoring has no requester).
CHANNEL_VI = {
    "email": "thư điện tử",
    "web": "cổng hỗ trợ trực tuyến",
    "phone": "điện thoại",
}


def ack_body(
    number: str,
    requester_name: str = "",
    original_subject: str = "",
    received_at: datetime | str | None = None,
    channel: str = "email",
) -> str:
    """Plain-text body of the acknowledgement, for whichever channel the request came by."""
    subject = one_line(without_ticket_tags(original_subject))
    received = f"Thời gian tiếp nhận: {vietnamese_datetime(received_at)}." if received_at else ""
    how = CHANNEL_VI.get(channel, channel)
    return letter(
        requester_name,
        "Bộ phận Hỗ trợ Công nghệ thông tin - Kho bạc Nhà nước đã tiếp nhận yêu cầu của "
        f"anh/chị với mã số {number} (qua {how}).\n"
        f"Tiêu đề: {subject or _NO_SUBJECT}" + (f"\n{received}" if received else ""),
        "Cán bộ hỗ trợ sẽ xử lý và phản hồi anh/chị trong thời gian sớm nhất. Khi cần bổ sung "
        "thông tin, anh/chị vui lòng trả lời thư này và giữ nguyên mã "
        f"{subject_tag(number)} trong tiêu đề thư.",
        "Đây là thư trả lời tự động. Để gửi một yêu cầu khác, anh/chị vui lòng soạn thư mới.",
    )


def ack_headers(parsed: ParsedMail) -> dict[str, str]:
    """Headers for the acknowledgement: automatic (RFC 3834) and threaded to the request."""
    return reply_headers(parsed.message_id, parsed.references)


def reply_headers(message_id: str | None, references: list[str]) -> dict[str, str]:
    """Automatic (RFC 3834) and threaded to the message `message_id` (no angle brackets)."""
    headers = {"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"}
    if message_id:
        chain = [*references, message_id]
        headers["In-Reply-To"] = f"<{message_id}>"
        headers["References"] = " ".join(f"<{m}>" for m in dict.fromkeys(chain))
    return headers
