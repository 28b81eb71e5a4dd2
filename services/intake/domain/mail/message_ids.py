"""Message-IDs as intake compares and stores them: one stable text per id, whatever its bytes.

A Message-ID is an identity, not prose: two copies of one message, and a reply naming it in
In-Reply-To, must give the same text, and that text must be storable (UTF-8 without NUL, of a
length a PostgreSQL index takes). The email package hands 8-bit header bytes over as surrogate
escapes; guessing a charset for them (as for a Subject) could map two ids to one, so the bytes
are read as UTF-8 and any byte that is not UTF-8 is written as `\\xNN` — the same bytes always
give the same text. An id longer than `MAX_MESSAGE_ID` keeps its head and a hash of the whole.

Ids are found without backtracking regular expressions: a header of a few hundred kilobytes
without brackets must cost linear time (a backtracking search took 46 s on one such header).
"""

from __future__ import annotations

import hashlib
import re

from .charsets import normalize_text

#: Longest id kept as it is (characters); real ones are under 100, RFC 5322 lines under 998.
MAX_MESSAGE_ID = 250
#: References are kept newest last; older ones beyond this add nothing to threading.
MAX_REFERENCES = 100

_BRACKETED = re.compile(r"<([^<>\s]+)>")
_TOKEN = re.compile(r"[^<>\s,;]+")
_SURROGATE = re.compile("[\ud800-\udfff]")


def message_ids(raw: str | None, limit: int | None = None) -> list[str]:
    """Message-IDs of In-Reply-To / References, in order, without brackets or duplicates;
    with `limit`, only the last `limit` of them (the newest)."""
    if not raw:
        return []
    found = _BRACKETED.findall(raw) or [t for t in _TOKEN.findall(raw) if "@" in t]
    ids = [i for i in dict.fromkeys(normalize_message_id(m) for m in found) if i]
    return ids[-limit:] if limit else ids


def first_message_id(raw: str | None) -> str | None:
    """The single Message-ID of a Message-ID header (None when absent or empty)."""
    ids = message_ids(raw)
    if ids:
        return ids[0]
    cleaned = normalize_message_id(raw)
    return normalize_message_id(cleaned.split()[0]) if cleaned.split() else None


def normalize_message_id(value: str | None) -> str:
    """The comparable form of a Message-ID: no angle brackets, no spaces, no control chars,
    valid Unicode (see the module docstring for bytes that are not UTF-8).

    Outgoing Message-IDs must be stored in this form too, or replies will not thread.
    """
    if not value:
        return ""
    text = normalize_text(_from_bytes(value)).strip().strip("<>").strip()
    if len(text) <= MAX_MESSAGE_ID:
        return text
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
    return f"{text[: MAX_MESSAGE_ID - 40]}#{digest}"


def _from_bytes(value: str) -> str:
    """Surrogate escapes (raw 8-bit bytes) back to bytes, read as UTF-8 or kept as `\\xNN`."""
    if not _SURROGATE.search(value):
        return value
    try:
        data = value.encode("utf-8", errors="surrogateescape")
    except UnicodeEncodeError:  # a surrogate that is not an escaped byte
        data = value.encode("utf-8", errors="surrogatepass")
    return data.decode("utf-8", errors="backslashreplace")
