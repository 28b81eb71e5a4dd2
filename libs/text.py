"""Vietnamese text shared by every service: folding for search, classification and catalog
look-ups, and the way a Vietnamese letter writes a date."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

_WORD = re.compile(r"[a-z0-9]+")


def fold(text: str) -> str:
    """Lower-case, strip diacritics (đ → d) and collapse spaces.

    Users type "tabmis khong dang nhap duoc" for "TABMIS không đăng nhập được"; every match
    that must forgive missing tone marks compares folded strings.
    """
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return " ".join(stripped.lower().split())


def words(text: str) -> list[str]:
    """The folded words of a text (letters and digits only)."""
    return _WORD.findall(fold(text))


#: The zone every Vietnamese reader's times are in (SPEC: dates in Asia/Ho_Chi_Minh).
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def vietnamese_datetime(moment: datetime | str | None, seconds: bool = False) -> str:
    """`09:00 ngày 01/06/2018` (Hà Nội time) — how a Vietnamese letter writes a moment.

    Mails and reports print this, never raw ISO 8601; an ISO string (as events carry times) is
    accepted, and a naive time is taken as UTC, the suite's storage zone. `seconds` for logs of
    checks and readiness rounds, where the second matters."""
    if moment is None or moment == "":
        return "—"
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    clock = "%H:%M:%S" if seconds else "%H:%M"
    return moment.astimezone(VIETNAM).strftime(f"{clock} ngày %d/%m/%Y")
