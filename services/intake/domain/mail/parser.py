"""One raw RFC 822 message in, one `ParsedMail` out, or `UnparseableMail` with the reason.

This is the only entry point the SMTP/IMAP/HTTP adapters call. It promises two things the
dead-letter store relies on: it never raises anything but `UnparseableMail`, and it refuses
only what cannot become a ticket (no headers, no sender), never what is merely untidy.
"""

from __future__ import annotations

import re
from email import message_from_bytes
from email.message import Message
from email.policy import compat32, default

from .body import read_body
from .bounces import bounce_details
from .headers import (
    addresses,
    declared_charsets,
    decode_text,
    parse_date,
    raw_header,
    raw_headers,
)
from .html_text import sanitize_html
from .loops import auto_reply_reason, bounce_reason, mailing_list_reason
from .message_ids import MAX_REFERENCES, first_message_id, message_ids
from .model import ParsedMail, UnparseableMail
from .quoting import new_text
from .ticket_numbers import ticket_number_in_subject

_HEADER_LINE = re.compile(rb"^[!-9;-~]+:")
_MAX_PREAMBLE_LINES = 5

#: Prefix of the reason when the parser itself failed; tests assert it never happens.
PARSER_FAILURE = "parser failure"


def parse_mail(raw: bytes) -> ParsedMail:
    """Parse a raw message (as received over SMTP/IMAP, CRLF or LF line ends)."""
    if not raw or not bytes(raw).strip():
        raise UnparseableMail("empty message")
    try:
        return _parse(bytes(raw))
    except UnparseableMail:
        raise
    except RecursionError as exc:  # the stdlib parser recurses once per MIME level
        raise UnparseableMail("MIME parts nested too deeply for the e-mail package") from exc
    except Exception as exc:  # the promise: a dead letter, not a crash
        raise UnparseableMail(f"{PARSER_FAILURE}: {type(exc).__name__}: {exc}") from exc


def _parse(raw: bytes) -> ParsedMail:
    msg = _read(raw)
    if not _has_headers(msg):
        raw = _without_preamble(raw)
        msg = _read(raw)
    if raw_header(msg, "from") is None and _has_headers(msg):
        repaired = _read(_with_unindented_continuations(raw))
        if raw_header(repaired, "from") is not None:
            msg = repaired
    if not _has_headers(msg):
        raise UnparseableMail("no headers: not an RFC 822 message")
    hints = declared_charsets(msg)
    from_name, from_email = _sender(msg, hints)
    subject = decode_text(raw_header(msg, "subject"), hints)
    body = read_body(msg, tuple(hints))
    text = body.text.strip("\n")
    html = body.html
    bounce = bounce_reason(msg)
    auto = auto_reply_reason(msg)
    listed = mailing_list_reason(msg)
    bounced = bounce_details(msg, body, bounce)
    return ParsedMail(
        message_id=first_message_id(raw_header(msg, "message-id")),
        in_reply_to=next(iter(message_ids(raw_header(msg, "in-reply-to"))), None),
        references=message_ids(" ".join(raw_headers(msg, "references")), MAX_REFERENCES),
        from_email=from_email,
        from_name=from_name,
        to=_emails(msg, "to", hints),
        cc=_emails(msg, "cc", hints),
        reply_to=_emails(msg, "reply-to", hints),
        subject=subject,
        date=parse_date(raw_header(msg, "date")),
        text=text,
        new_text=new_text(text),
        html_sanitized=sanitize_html(html) if html is not None else None,
        attachments=body.attachments,
        is_auto_reply=auto is not None,
        is_bounce=bounce is not None,
        is_list=listed is not None,
        loop_reason=bounce or auto or listed,
        ticket_number_in_subject=ticket_number_in_subject(subject),
        bounced_message_ids=bounced.message_ids,
        bounced_recipient=bounced.recipient,
    )


def _read(raw: bytes) -> Message:
    """policy.default as the brief asks; the stdlib's own parser can still crash on some
    malformed Content-Type parameters (IndexError in _header_value_parser, Python 3.11), and
    the legacy compat32 policy reads those, since everything here uses raw header values."""
    try:
        return message_from_bytes(raw, policy=default)
    except (IndexError, ValueError, TypeError, AttributeError, LookupError):
        return message_from_bytes(raw, policy=compat32)


def _without_preamble(raw: bytes) -> bytes:
    """Drop a few leading non-header lines some gateways prepend ("---- Original email ----")."""
    lines = raw.splitlines(keepends=True)
    for i, line in enumerate(lines[:_MAX_PREAMBLE_LINES]):
        if _HEADER_LINE.match(line):
            return b"".join(lines[i:])
    return raw


def _with_unindented_continuations(raw: bytes) -> bytes:
    """Re-indent stray lines of the header block: some gateways lose the indentation of folded
    headers, and the stdlib then ends the headers there and never sees the From line."""
    lines = raw.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if not line.strip():
            break
        if not line[:1].isspace() and not _HEADER_LINE.match(line):
            lines[i] = b" " + line
    return b"".join(lines)


def _sender(msg: Message, hints: list[str]) -> tuple[str, str]:
    """(name, address) of the first From header with an address; a repeated From header whose
    first copy is junk ("From: [??????]") is common in spam and forwarded mail."""
    values = raw_headers(msg, "from")
    if not values:
        raise UnparseableMail("no From header")
    senders = addresses(values, hints)
    if not senders:
        raise UnparseableMail(f"From header has no address: {values[0][:200]!r}")
    return next((s for s in senders if "@" in s[1]), senders[0])


def _has_headers(msg: Message) -> bool:
    return bool(getattr(msg, "_headers", None))


def _emails(msg: Message, name: str, hints: list[str]) -> list[str]:
    return [address for _, address in addresses(raw_headers(msg, name), hints)]
