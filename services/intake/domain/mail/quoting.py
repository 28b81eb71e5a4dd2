"""What the sender wrote this time: the reply without quoted history and signature.

A comment on a ticket should not repeat the whole thread, and requesters in the treasury reply
from Outlook (header blocks, "-----Original Message-----"), Gmail ("On … wrote:", in Vietnamese
"Vào … đã viết:") and webmail ("> " quoting), and close with "Trân trọng," and a signature.
Interleaved answers are kept: only the quoted lines go, not what follows them. A forwarded
message is content, not history, and is kept. If nothing would be left, the full text is
returned instead, because losing a message is worse than a noisy comment.
"""

from __future__ import annotations

import re

from libs.text import fold

_ATTRIBUTION = re.compile(
    r"^(on|vao|am|le|el|op|il)\b.*\b(wrote|da viet|viet|schrieb|a ecrit|escribio|schreef|"
    r"ha scritto)\s*:?$"
)
_ATTRIBUTION_START = re.compile(r"^(on|vao|am|le|el|op|il) ")
_SEPARATOR = re.compile(
    r"^-{2,}\s*(original message|thu goc|tin nhan goc|ursprungliche nachricht|"
    r"message d'origine|mensaje original)\s*-{2,}$"
)
_UNDERSCORES = re.compile(r"^_{10,}$")
_HEADER_START = re.compile(r"^\*?(from|tu|nguoi gui|von|de)\s*:\*?\s*\S")
_HEADER_NEXT = re.compile(
    r"^\*?(sent|date|to|subject|cc|da gui|ngay gui|ngay|gui|den|chu de|tieu de|gesendet|datum|"
    r"an|betreff|envoye|a|objet)\s*:"
)
_FORWARD = re.compile(
    r"(forwarded message|begin forwarded message|chuyen tiep|weitergeleitete nachricht|"
    r"message transfere)"
)
_CLOSER = re.compile(
    r"^(tran trong|tran trong cam on|tran trong kinh chao|kinh thu|than men|than ai|"
    r"best regards|kind regards|warm regards|regards|best|thanks (and|&) (best )?regards|"
    r"mit freundlichen grussen|viele grusse|cordialement|sincerely|yours sincerely)[\s,.!:;]*$"
)
_MOBILE = re.compile(
    r"^(sent from my |sent from mail for|get outlook for|gui tu |duoc gui tu |"
    r"von meinem .* gesendet)"
)
#: A closer or mobile footer is a signature only when little follows it.
_MAX_SIGNATURE_LINES = 8


def new_text(text: str) -> str:
    """The part of `text` the sender wrote now (see the module docstring for the rules)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    folded = [fold(line) for line in lines]
    cut, attributions = _history_start(lines, folded)
    kept = [
        (line, folded[i])
        for i, line in enumerate(lines[:cut])
        if not line.lstrip().startswith(">") and i not in attributions
    ]
    kept = _without_signature(kept)
    result = re.sub(r"\n{3,}", "\n\n", "\n".join(line for line, _ in kept)).strip()
    return result or text.strip()


def _history_start(lines: list[str], folded: list[str]) -> tuple[int, set[int]]:
    """Where unquoted history starts (or len(lines)), and the attribution lines of "> " quotes
    (dropped on their own, so answers written between quotes survive)."""
    attributions: set[int] = set()
    for i, line in enumerate(folded):
        if _SEPARATOR.match(line):
            return i, attributions
        if _UNDERSCORES.match(line.strip()) and _header_block_at(folded, i + 1, skip_blank=True):
            return i, attributions
        if _header_block_at(folded, i) and not _forwarded_before(folded, i):
            return i, attributions
        end = _attribution_end(folded, i)
        if end is not None:
            if not _next_is_quote(lines, end + 1):
                return i, attributions
            attributions.update(range(i, end + 1))
    return len(lines), attributions


def _header_block_at(folded: list[str], i: int, skip_blank: bool = False) -> bool:
    while skip_blank and i < len(folded) and not folded[i]:
        i += 1
    if i >= len(folded) or not _HEADER_START.match(folded[i]):
        return False
    return any(_HEADER_NEXT.match(f) for f in folded[i + 1 : i + 5])


def _forwarded_before(folded: list[str], i: int) -> bool:
    previous = [f for f in folded[max(0, i - 3) : i] if f]
    return any(_FORWARD.search(f) for f in previous)


def _attribution_end(folded: list[str], i: int) -> int | None:
    """Gmail wraps long attributions over two or three lines."""
    if _ATTRIBUTION.match(folded[i]):
        return i
    if not _ATTRIBUTION_START.match(folded[i]):
        return None
    for j in (i + 1, i + 2):
        if j < len(folded) and _ATTRIBUTION.match(" ".join(folded[i : j + 1])):
            return j
    return None


def _next_is_quote(lines: list[str], i: int) -> bool:
    for line in lines[i:]:
        if line.strip():
            return line.lstrip().startswith(">")
    return False


def _without_signature(kept: list[tuple[str, str]]) -> list[tuple[str, str]]:
    for i, (line, f) in enumerate(kept):
        if line.rstrip() == "--" or line == "-- ":
            return kept[:i]
        if _CLOSER.match(f) or _MOBILE.match(f):
            rest = [r for r, _ in kept[i + 1 :] if r.strip()]
            if len(rest) <= _MAX_SIGNATURE_LINES:
                return kept[:i]
    return kept
