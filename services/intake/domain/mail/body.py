"""Walking a MIME tree into one text, one HTML fragment, attachments and bounce evidence.

The rules follow what senders mean rather than the letter of RFC 2046: alternatives give the
plain text (unless it is empty) and the HTML; `related` parts are the root plus its inline
images; inline text parts of a `mixed` message are read in order (some clients put the
signature in a separate part); everything else is an attachment. Depth is bounded so a
hostile message nested a thousand times deep cannot exhaust the stack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from email.policy import default

from .charsets import decode_bytes
from .headers import decode_text, raw_header, subparts
from .html_text import html_to_text, plain_to_html
from .model import Attachment

MAX_DEPTH = 20

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


@dataclass
class Body:
    """What the walk found; `parser` turns it into the public `ParsedMail` fields."""

    #: Charsets declared in the message, to decode raw 8-bit file names and subjects.
    hints: tuple[str, ...] = ()
    texts: list[str] = field(default_factory=list)
    htmls: list[str] = field(default_factory=list)
    has_html: bool = False
    attachments: list[Attachment] = field(default_factory=list)
    #: Header blocks of message/delivery-status parts (per-message, then per-recipient).
    delivery_status: list[Message] = field(default_factory=list)
    #: Headers of enclosed messages (message/rfc822, text/rfc822-headers): what bounced.
    enclosed: list[Message] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n\n".join(t for t in (t.strip("\n") for t in self.texts) if t.strip())

    @property
    def html(self) -> str | None:
        return "\n".join(self.htmls) if self.has_html else None

    def absorb_text_and_html(self, other: Body) -> None:
        self.texts.extend(other.texts)
        self.htmls.extend(other.htmls)
        self.has_html = self.has_html or other.has_html

    def absorb_rest(self, other: Body) -> None:
        self.attachments.extend(other.attachments)
        self.delivery_status.extend(other.delivery_status)
        self.enclosed.extend(other.enclosed)


def read_body(msg: Message, hints: tuple[str, ...] = ()) -> Body:
    """The body of a whole message."""
    body = Body(hints=hints)
    _visit(msg, body, 0)
    return body


def content_type(part: Message) -> str:
    """Lower-case `type/subtype`; text/plain when missing or malformed (RFC 2045 default)."""
    raw = raw_header(part, "content-type")
    match = _TYPE.match(raw or "")
    if match:
        return f"{match.group(1)}/{match.group(2)}".lower()
    return "text/plain"


def _visit(part: Message, body: Body, depth: int) -> None:
    if depth > MAX_DEPTH:
        return
    ctype = content_type(part)
    children = subparts(part)
    if ctype == "message/delivery-status":
        body.delivery_status.extend(children)
        body.attachments.append(
            _attachment(part, ctype, body.hints, _delivery_status_bytes(part, children))
        )
    elif ctype in ("message/rfc822", "message/global") and children:
        body.enclosed.append(children[0])
        body.attachments.append(_attachment(part, ctype, body.hints, _message_bytes(children[0])))
    elif ctype.startswith("multipart/") and children:
        _visit_multipart(ctype, part, children, body, depth)
    elif ctype == "text/rfc822-headers":
        data = _payload_bytes(part)
        body.enclosed.append(_headers_only(data))
        body.attachments.append(_attachment(part, ctype, body.hints, data))
    elif _is_inline_text(part, ctype):
        _add_text(part, ctype, body)
    else:
        body.attachments.append(_attachment(part, ctype, body.hints, _payload_bytes(part)))


def _visit_multipart(
    ctype: str, part: Message, children: list[Message], body: Body, depth: int
) -> None:
    if ctype == "multipart/alternative":
        _visit_alternative(children, body, depth)
        return
    if ctype == "multipart/related":
        root = _related_root(part, children)
        _visit(root, body, depth + 1)
        for child in children:
            if child is not root:
                _visit_as_attachment(child, body, depth + 1)
        return
    if ctype == "multipart/encrypted":
        for child in children:
            _visit_as_attachment(child, body, depth + 1)
        return
    if ctype == "multipart/signed":
        _visit(children[0], body, depth + 1)
        for child in children[1:]:
            _visit_as_attachment(child, body, depth + 1)
        return
    for child in children:  # mixed, report, digest, parallel and anything unknown
        _visit(child, body, depth + 1)


def _visit_alternative(children: list[Message], body: Body, depth: int) -> None:
    """Plain text for `text` unless it is empty; the last HTML-bearing alternative for `html`."""
    found: list[tuple[str, Body]] = []
    for child in children:
        sub = Body(hints=body.hints)
        _visit(child, sub, depth + 1)
        found.append((content_type(child), sub))
        body.absorb_rest(sub)
    plain = next((s for t, s in found if t == "text/plain" and s.text.strip()), None)
    rich = next((s for _, s in reversed(found) if s.has_html), None)
    chosen_text = plain or rich or next((s for _, s in found if s.text.strip()), None)
    if chosen_text is not None:
        body.texts.extend(chosen_text.texts)
    if rich is not None:
        body.htmls.extend(rich.htmls)
        body.has_html = True
    elif chosen_text is not None:
        body.htmls.extend(chosen_text.htmls)


def _related_root(part: Message, children: list[Message]) -> Message:
    """RFC 2387: the `start` parameter names the root by Content-ID, else the first part."""
    start = _param(part, "start")
    if start:
        wanted = start.strip().strip("<>")
        for child in children:
            if (raw_header(child, "content-id") or "").strip().strip("<>") == wanted:
                return child
    return children[0]


def _visit_as_attachment(part: Message, body: Body, depth: int) -> None:
    ctype = content_type(part)
    if ctype.startswith(("multipart/", "message/")) and subparts(part):
        _visit(part, body, depth)
    else:
        body.attachments.append(_attachment(part, ctype, body.hints, _payload_bytes(part)))


def _is_inline_text(part: Message, ctype: str) -> bool:
    """A text part is body, not attachment, unless it says "attachment" or carries a name."""
    if ctype not in ("text/plain", "text/html") and not ctype.startswith("multipart/"):
        return False
    disposition = (raw_header(part, "content-disposition") or "").strip().lower()
    if disposition.startswith("attachment"):
        return False
    return not _raw_filename(part)


def _add_text(part: Message, ctype: str, body: Body) -> None:
    text = decode_bytes(_payload_bytes(part), _charset(part))
    if ctype == "text/html":
        body.texts.append(html_to_text(text))
        body.htmls.append(text)
        body.has_html = True
        return
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if (_param(part, "format") or "").lower() == "flowed":
        text = unflow(text, delsp=(_param(part, "delsp") or "").lower() == "yes")
    body.texts.append(text)
    body.htmls.append(plain_to_html(text))


def unflow(text: str, delsp: bool = False) -> str:
    """RFC 3676 format=flowed: a line ending in a space continues on the next line."""
    out: list[str] = []
    joining = False
    for line in text.split("\n"):
        if line.startswith(" "):
            line = line[1:]  # space-stuffing
        if joining and out:
            out[-1] += line
        else:
            out.append(line)
        joining = line.endswith(" ") and line != "-- "
        if joining and delsp:
            out[-1] = out[-1][:-1]
    return "\n".join(out)


def _attachment(part: Message, ctype: str, hints: tuple[str, ...], data: bytes) -> Attachment:
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
    name = decode_text(_raw_filename(part), hints)
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


def _raw_filename(part: Message) -> str:
    try:
        name = part.get_filename() or _param(part, "name")
    except (LookupError, ValueError, TypeError, IndexError, AttributeError):
        name = None
    return str(name) if name else ""


def _param(part: Message, name: str) -> str | None:
    try:
        value = part.get_param(name)
    except (LookupError, ValueError, TypeError, IndexError, AttributeError):
        return None
    if isinstance(value, tuple):  # RFC 2231 (charset, language, value)
        value = value[2]
    return str(value) if value else None


def _charset(part: Message) -> str | None:
    return _param(part, "charset")


def _payload_bytes(part: Message) -> bytes:
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


def _message_bytes(enclosed: Message) -> bytes:
    """The enclosed message regenerated as bytes (the stdlib keeps no copy of the original)."""
    try:
        return enclosed.as_bytes()
    except Exception:  # the generator can fail in many ways on broken input; a copy is optional
        try:
            return enclosed.as_string().encode("utf-8", errors="replace")
        except Exception:
            return b""


def _delivery_status_bytes(part: Message, blocks: list[Message]) -> bytes:
    return b"\n".join(_message_bytes(block) for block in blocks) or _payload_bytes(part)


def _headers_only(data: bytes) -> Message:
    return message_from_bytes(data + b"\n\n", policy=default)
