"""Fuzzing the parser's promise: any bytes give a ParsedMail or an UnparseableMail, nothing else.

Real messages from tests/data/mail/ are mutated the way transport and broken clients damage
mail (truncation, flipped bytes, lost header lines, stray bytes, wrong charset labels), and pure
random bytes are thrown in too. A refusal must come from a rule, never from the parser's own
safety net (PARSER_FAILURE), which only exists so that production never crashes on a bug.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.intake.domain.mail import ParsedMail, UnparseableMail, parse_mail
from services.intake.domain.mail.parser import PARSER_FAILURE

DATA = Path(__file__).resolve().parents[2] / "data" / "mail"
SEEDS = [p.read_bytes() for p in sorted(DATA.glob("*.eml"))]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_parses_or_refuses(data: bytes) -> None:
    try:
        mail = parse_mail(data)
    except UnparseableMail as refused:
        assert refused.reason and not refused.reason.startswith(PARSER_FAILURE), refused.reason
        return
    assert isinstance(mail, ParsedMail)
    assert mail.from_email
    for text in (mail.subject, mail.from_name, mail.text, mail.new_text):
        assert isinstance(text, str)
        assert unicodedata.normalize("NFC", text) == text
        assert "\x00" not in text
    if mail.html_sanitized is not None:
        assert "<script" not in mail.html_sanitized.lower()
    for attachment in mail.attachments:
        assert attachment.size == len(attachment.data)
        assert "/" not in attachment.filename


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["truncate", "flip", "insert", "drop_line", "charset"]))
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        if kind == "truncate":
            del data[at:]
        elif kind == "flip":
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "drop_line":
            end = data.find(b"\n", at)
            start = data.rfind(b"\n", 0, at) + 1
            del data[start : end + 1 if end >= 0 else len(data)]
        else:
            label = draw(st.sampled_from([b"x-bogus", b"utf-7", b"iso-2022-jp", b"", b"utf-16"]))
            data = bytearray(bytes(data).replace(b"charset=utf-8", b"charset=" + label))
    return bytes(data)


@FUZZ
@given(mutated())
def test_mutated_real_messages_parse_or_are_refused_with_a_reason(data: bytes) -> None:
    assert_parses_or_refuses(data)


@FUZZ
@given(st.binary(max_size=2048))
def test_random_bytes_parse_or_are_refused_with_a_reason(data: bytes) -> None:
    assert_parses_or_refuses(data)


@FUZZ
@given(
    st.text(max_size=80),
    st.text(max_size=80),
    st.sampled_from(["text/plain", "text/html", "multipart/mixed", "message/rfc822", "x/y"]),
    st.binary(max_size=300),
)
def test_arbitrary_header_values_and_bodies_parse_or_are_refused(
    sender: str, subject: str, content_type: str, body: bytes
) -> None:
    head = f"From: {sender}\r\nSubject: {subject}\r\nContent-Type: {content_type}; boundary=b\r\n"
    assert_parses_or_refuses(head.encode("utf-8", errors="surrogateescape") + b"\r\n" + body)
