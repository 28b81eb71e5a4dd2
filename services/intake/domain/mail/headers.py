"""Header values as intake needs them: decoded text, addresses and a date (ids: message_ids).

The stdlib's structured header classes raise or guess on the broken headers real mail carries
(8-bit bytes, encoded words with spaces or commas inside, addresses without brackets), so
values are read raw and decoded here by rules that cannot raise.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from .charsets import codec_for, decode_bytes, normalize_text, recover_surrogates

#: RFC 2047 encoded word. The text may (wrongly) contain spaces: several clients do that.
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?(.*?)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])|\r?\n|\r")
#: Characters a local part may hold unquoted (RFC 5322 atext plus the dot).
_ATEXT = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]+")
_EMAILISH = re.compile(r"[^\s<>\"(),;:]+@[^\s<>\"(),;:]+")
_CHARSET = re.compile(r"charset\s*=\s*\"?([^\";\s]+)", re.IGNORECASE)
_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")


def raw_header(msg: Message, name: str) -> str | None:
    """The first raw value of a header, unfolded, or None; never triggers header parsing."""
    values = raw_headers(msg, name)
    return values[0] if values else None


def raw_headers(msg: Message, name: str) -> list[str]:
    """Every raw value of a header, unfolded (the stdlib would parse them, and can raise)."""
    wanted = name.lower()
    found: list[str] = []
    for key, value in getattr(msg, "_headers", []):
        if isinstance(key, str) and key.lower() == wanted:
            found.append(_FOLD.sub("", str(value)))
    return found


def decode_text(raw: str | None, hints: Iterable[str] = ()) -> str:
    """Decode an unstructured header (Subject, a display name) to clean single-line text."""
    if not raw:
        return ""
    text = recover_surrogates(_FOLD.sub("", raw), tuple(hints))
    text = _decode_encoded_words(text, tuple(hints))
    return normalize_text(text.replace("\t", " ").replace("\n", " ").replace("\r", " ")).strip()


def _decode_encoded_words(text: str, hints: tuple[str, ...]) -> str:
    """RFC 2047: adjacent words of one charset are joined as bytes before decoding, because
    clients split a UTF-8 character across two words; whitespace between words is dropped."""
    out: list[str] = []
    pos = 0
    pending = bytearray()
    pending_charset: str | None = None
    after_word = False

    def flush() -> None:
        nonlocal pending, pending_charset
        if pending:
            out.append(decode_bytes(bytes(pending), pending_charset, hints))
        pending = bytearray()
        pending_charset = None

    for match in _ENCODED_WORD.finditer(text):
        data = _word_bytes(match.group(2), match.group(3))
        if data is None:
            continue  # left in place: it becomes part of the next literal gap
        gap = text[pos : match.start()]
        if not (after_word and not gap.strip()):
            flush()
            out.append(gap)
        charset = match.group(1)
        if pending and codec_for(charset) != codec_for(pending_charset):
            flush()
        pending.extend(data)
        pending_charset = charset
        after_word = True
        pos = match.end()
    flush()
    out.append(text[pos:])
    return "".join(out)


def _word_bytes(encoding: str, payload: str) -> bytes | None:
    try:
        if encoding in "bB":
            cleaned = re.sub(r"[^A-Za-z0-9+/]", "", payload)
            return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4))
        raw = payload.replace("_", " ").encode("utf-8", errors="surrogateescape")
        return re.sub(rb"=([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)
    except (binascii.Error, ValueError):
        return None


def addresses(raw_values: Iterable[str], hints: Iterable[str] = ()) -> list[tuple[str, str]]:
    """(display name, address) pairs of address headers, best effort, never raising.

    Encoded words are hidden behind placeholders while the list is split, so a comma inside an
    encoded display name cannot split it; afterwards an encoded word inside an address is decoded
    only if the result is plain atext — otherwise "=?utf-8?q?x=40evil?=@victim" could turn into
    a different mailbox than the one the server saw.
    """
    hint_tuple = tuple(hints)
    return [pair for raw in raw_values for pair in _address_list(raw, hint_tuple)]


def _address_list(raw: str, hints: tuple[str, ...]) -> list[tuple[str, str]]:
    value = recover_surrogates(_FOLD.sub("", raw), hints)
    words: list[str] = []

    def hide(match: re.Match[str]) -> str:
        words.append(match.group(0))
        return f"\ue000{len(words) - 1}\ue001"

    def word(match: re.Match[str]) -> str:
        index = int(match.group(1))
        return words[index] if index < len(words) else ""

    def local_part(match: re.Match[str]) -> str:
        return _safe_local(word(match), hints)

    pairs: list[tuple[str, str]] = []
    for name, addr in getaddresses([_ENCODED_WORD.sub(hide, value)]):
        name, addr = _repair(name, addr)
        if not addr:
            continue
        name = _PLACEHOLDER.sub(word, name)
        addr = normalize_text(_PLACEHOLDER.sub(local_part, addr)).strip()
        if addr:
            pairs.append((decode_text(name, hints).strip("\"' "), addr))
    return pairs


def _repair(name: str, addr: str) -> tuple[str, str]:
    """Fix what getaddresses leaves of broken headers such as `From: Test test@example.com`."""
    addr = addr.strip()
    if any(ch.isspace() for ch in addr) and not addr.startswith('"'):
        found = _EMAILISH.findall(addr)
        if found:
            rest = addr.replace(found[-1], " ").strip()
            return (name or rest), found[-1]
    return name, addr


def _safe_local(word: str, hints: tuple[str, ...]) -> str:
    match = _ENCODED_WORD.fullmatch(word)
    if not match:
        return word
    data = _word_bytes(match.group(2), match.group(3))
    decoded = decode_bytes(data, match.group(1), hints) if data is not None else ""
    return decoded if _ATEXT.fullmatch(decoded) else word


def parse_date(raw: str | None) -> datetime | None:
    """An aware datetime from a Date header; "-0000" (zone unknown) is read as UTC per RFC 5322."""
    if not raw:
        return None
    try:
        parsed = parsedate_to_datetime(raw.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:  # pragma: no cover - older Pythons
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def subparts(part: Message) -> list[Message]:
    """Child parts, without `get_payload()` decoding a leaf (which raises on odd charsets)."""
    if not part.is_multipart():
        return []
    payload = part.get_payload()
    return [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []


def declared_charsets(msg: Message, limit: int = 200) -> list[str]:
    """Charset labels declared anywhere in the message (hints for raw 8-bit headers).

    Walks with an explicit stack and a part limit: `Message.walk` recurses without bound.
    """
    found: list[str] = []
    stack = [msg]
    seen = 0
    while stack and seen < limit:
        part = stack.pop()
        seen += 1
        for value in raw_headers(part, "content-type"):
            match = _CHARSET.search(value)
            if match:
                found.append(match.group(1))
        stack.extend(reversed(subparts(part)))
    return list(dict.fromkeys(found))
