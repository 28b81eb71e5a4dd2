"""One MIME part: its type, parameters, decoded payload and, for attachments, a safe name.

Every accessor here is total: the stdlib's parameter and payload helpers raise on malformed
input (bad RFC 2231 values, unknown charsets), and a broken part must cost one attachment's
metadata, never the whole message.
"""

from __future__ import annotations

import re
from email import message_from_bytes
from email.message import Message
from email.policy import compat32

from .headers import decode_text, raw_header, subparts
from .model import Attachment

_EXTENSIONS = {
    "text/plain": ".txt",
    "text/html": ".html",
    "text/csv": ".csv",
    "text/calendar": ".ics",
    "text/rfc822-headers": ".txt",
    "message/rfc822": ".eml",
    "message/global": ".eml",
    "message/delivery-status": ".txt",
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
}
_UNSAFE_FILENAME = re.compile(r"[\x00-\x1f\x7f/\\]+")
_TYPE = re.compile(r"^\s*([a-z0-9!#$&^_.+-]+)/([a-z0-9!#$&^_.+-]+)", re.IGNORECASE)


def content_type(part: Message) -> str:
    """Lower-case `type/subtype`; text/plain when missing or malformed (RFC 2045 default)."""
    raw = raw_header(part, "content-type")
    match = _TYPE.match(raw or "")
    if match:
        return f"{match.group(1)}/{match.group(2)}".lower()
    return "text/plain"


def attachment(part: Message, ctype: str, hints: tuple[str, ...], data: bytes) -> Attachment:
    content_id = (raw_header(part, "content-id") or "").strip().strip("<>").strip() or None
    return Attachment(
        filename=_filename(part, ctype, hints),
        content_type=ctype,
        size=len(data),
        content_id=content_id,
        data=data,
    )


def _filename(part: Message, ctype: str, hints: tuple[str, ...]) -> str:
    """The sender's file name, made safe to show and store (no paths, no control characters)."""
    name = decode_text(raw_filename(part), hints)
    if not name and ctype in ("message/rfc822", "message/global"):
        enclosed = subparts(part)
        name = decode_text(raw_header(enclosed[0], "subject"), hints) if enclosed else ""
        name = f"{name}.eml" if name else "Mail.eml"
    if not name:
        description = decode_text(raw_header(part, "content-description"), hints)
        base = description or ctype.split("/")[-1]
        name = base + _EXTENSIONS.get(ctype, ".bin")
    name = _UNSAFE_FILENAME.sub("_", name).strip(" .") or "attachment"
    return name[:255]


def raw_filename(part: Message) -> str:
    try:
        name = part.get_filename() or param(part, "name")
    except (LookupError, ValueError, TypeError, IndexError, AttributeError):
        name = None
    return str(name) if name else ""


def param(part: Message, name: str) -> str | None:
    try:
        value = part.get_param(name)
    except (LookupError, ValueError, TypeError, IndexError, AttributeError):
        return None
    if isinstance(value, tuple):  # RFC 2231 (charset, language, value)
        value = value[2]
    return str(value) if value else None


def charset(part: Message) -> str | None:
    return param(part, "charset")


def payload_bytes(part: Message) -> bytes:
    """Transfer-decoded payload bytes (base64, quoted-printable, uuencode, 8bit as sent)."""
    try:
        payload = part.get_payload(decode=True)
    except (ValueError, TypeError, LookupError, IndexError, AttributeError):
        payload = None
    if isinstance(payload, bytes):
        return payload
    raw = getattr(part, "_payload", None)  # get_payload() would decode, and can raise
    if isinstance(raw, str):
        return raw.encode("utf-8", errors="surrogateescape")
    return b""


def message_bytes(enclosed: Message) -> bytes:
    """The enclosed message regenerated as bytes (the stdlib keeps no copy of the original)."""
    try:
        return enclosed.as_bytes()
    except Exception:  # the generator can fail in many ways on broken input; a copy is optional
        try:
            return enclosed.as_string().encode("utf-8", errors="replace")
        except Exception:
            return b""


def delivery_status_bytes(part: Message, blocks: list[Message]) -> bytes:
    return b"\n".join(message_bytes(block) for block in blocks) or payload_bytes(part)


def headers_only(data: bytes) -> Message:
    """The header block of a text/rfc822-headers part; compat32 because only raw values are
    read and it cannot raise on malformed parameters."""
    return message_from_bytes(data + b"\n\n", policy=compat32)
