"""The part of a ticket that speaks about the problem: no signature, no contact lines.

An e-mail signed "Email: an@vst.gov.vn" or "Phòng Kế toán" would otherwise name the MAIL
application or a topic on every ticket its author sends. Greetings stay: they are short and
rarely name a system, while the sentence that follows them often does.
"""

from __future__ import annotations

import re

from libs.text import fold

#: A line that closes the message: what follows is a name, a title and contact details.
_CLOSING = re.compile(
    r"^(?:tran trong|tran trong cam on|xin cam on|em cam on|cam on|chan thanh cam on|kinh thu|"
    r"thanks|thank you|best regards|regards|tks|--|__)(?:\W+(?:anh chi|anh|chi|a/c|ban|ac))?\W*$"
)
#: A line that is only contact details ("ĐT: 0243 …", "Email: an@vst.gov.vn").
_CONTACT = re.compile(
    r"^(?:dt|dtdd|sdt|tel|mobile|mob|fax|email|e-mail|mail|di dong|dien thoai)\s*[.:]"
)
_EMAIL_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?:\+?84|0)[\d .-]{8,}\d")


def problem_text(subject: str, description: str) -> str:
    """Subject and description as the classifier reads them (original case and marks kept)."""
    return f"{subject.strip()}\n{without_signature(description)}".strip()


def without_signature(text: str) -> str:
    """Drop the closing formula and what follows it, then contact-only lines and addresses."""
    kept: list[str] = []
    for line in text.splitlines():
        folded = fold(line)
        if _CLOSING.match(folded):
            break
        if _CONTACT.match(folded):
            continue
        kept.append(_PHONE.sub(" ", _EMAIL_ADDRESS.sub(" ", line)))
        if kept[-1].strip() != line.strip() and len(kept[-1].split()) <= 3:
            kept.pop()  # "Kế toán: Trần Thị Hoa - 0912 345 678" is a contact line too
    return "\n".join(kept)
