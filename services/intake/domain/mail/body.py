"""Walking a MIME tree into one text, one HTML fragment, attachments and bounce evidence.

The rules follow what senders mean rather than the letter of RFC 2046: alternatives give the
plain text (unless it is empty) and the HTML; `related` parts are the root plus its inline
images; inline text parts of a `mixed` message are read in order (some clients put the
signature in a separate part); everything else is an attachment. Depth is bounded so a
hostile message nested a thousand times deep cannot exhaust the stack: such a message is
refused whole (dead letter) instead of being read in part.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import Message

from .charsets import decode_bytes
from .headers import raw_header, subparts
from .html_text import html_to_text, plain_to_html
from .model import Attachment, UnparseableMail
from .parts import (
    attachment,
    charset,
    content_type,
    delivery_status_bytes,
    headers_only,
    message_bytes,
    param,
    payload_bytes,
    raw_filename,
)

MAX_DEPTH = 20


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

    def absorb_rest(self, other: Body) -> None:
        self.attachments.extend(other.attachments)
        self.delivery_status.extend(other.delivery_status)
        self.enclosed.extend(other.enclosed)


def read_body(msg: Message, hints: tuple[str, ...] = ()) -> Body:
    """The body of a whole message."""
    body = Body(hints=hints)
    _visit(msg, body, 0)
    return body


def _visit(part: Message, body: Body, depth: int) -> None:
    if depth > MAX_DEPTH:  # kept whole as a dead letter rather than read in part
        raise UnparseableMail(f"MIME parts nested deeper than {MAX_DEPTH} levels")
    ctype = content_type(part)
    children = subparts(part)
    if ctype == "message/delivery-status":
        body.delivery_status.extend(children)
        body.attachments.append(
            attachment(part, ctype, body.hints, delivery_status_bytes(part, children))
        )
    elif ctype in ("message/rfc822", "message/global") and children:
        body.enclosed.append(children[0])
        body.attachments.append(attachment(part, ctype, body.hints, message_bytes(children[0])))
    elif ctype.startswith("multipart/") and children:
        _visit_multipart(ctype, part, children, body, depth)
    elif ctype == "text/rfc822-headers":
        data = payload_bytes(part)
        body.enclosed.append(headers_only(data))
        body.attachments.append(attachment(part, ctype, body.hints, data))
    elif _is_inline_text(part, ctype):
        _add_text(part, ctype, body)
    else:
        body.attachments.append(attachment(part, ctype, body.hints, payload_bytes(part)))


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
    start = param(part, "start")
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
        body.attachments.append(attachment(part, ctype, body.hints, payload_bytes(part)))


def _is_inline_text(part: Message, ctype: str) -> bool:
    """A text part is body, not attachment, unless it says "attachment" or carries a name."""
    if ctype not in ("text/plain", "text/html") and not ctype.startswith("multipart/"):
        return False
    disposition = (raw_header(part, "content-disposition") or "").strip().lower()
    if disposition.startswith("attachment"):
        return False
    return not raw_filename(part)


def _add_text(part: Message, ctype: str, body: Body) -> None:
    text = decode_bytes(payload_bytes(part), charset(part))
    if ctype == "text/html":
        body.texts.append(html_to_text(text))
        body.htmls.append(text)
        body.has_html = True
        return
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if (param(part, "format") or "").lower() == "flowed":
        text = unflow(text, delsp=(param(part, "delsp") or "").lower() == "yes")
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
