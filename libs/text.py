"""Vietnamese text folding shared by search, classification and catalog look-ups."""

from __future__ import annotations

import re
import unicodedata

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
