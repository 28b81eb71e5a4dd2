"""E-mail intake, the pure part: raw message → `ParsedMail`, threading, acknowledgement text.

No I/O here: the SMTP/IMAP/HTTP adapters hand over bytes and store what comes back.
"""

from .ack import ack_body, ack_headers, ack_subject
from .html_text import html_to_text, sanitize_html
from .loops import is_auto_reply, is_bounce, is_mailing_list, loop_reason
from .message_ids import normalize_message_id
from .model import Attachment, ParsedMail, UnparseableMail
from .parser import parse_mail
from .reply_threading import ThreadDecision, thread_target
from .ticket_numbers import ticket_number_in_subject

__all__ = [
    "Attachment",
    "ParsedMail",
    "ThreadDecision",
    "UnparseableMail",
    "ack_body",
    "ack_headers",
    "ack_subject",
    "html_to_text",
    "is_auto_reply",
    "is_bounce",
    "is_mailing_list",
    "loop_reason",
    "normalize_message_id",
    "parse_mail",
    "sanitize_html",
    "thread_target",
    "ticket_number_in_subject",
]
