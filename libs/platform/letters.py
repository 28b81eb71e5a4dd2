"""The parts every Vietnamese mail of Hotro shares: the salutation and the signature.

One copy, so that an acknowledgement, a breach notice to a group lead and a digest to a
department open and close the same way (issue 13); each template only writes its middle.
Pure text: the domain modules that compose mails import it without any I/O.
"""

from __future__ import annotations

import re

#: Who signs every mail: the desk, as requesters know it.
SIGNATURE = ("Trân trọng,", "Bộ phận Hỗ trợ CNTT - Kho bạc Nhà nước")
#: A requester, or anyone whose title we do not know.
REQUESTER_TITLE = "anh/chị"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def one_line(text: str) -> str:
    """A name or subject as one clean line (a decoded header could carry CR/LF)."""
    return " ".join(_CONTROL.sub(" ", text).split())


def salutation(name: str = "", title: str = REQUESTER_TITLE) -> str:
    """`Kính gửi anh/chị Nguyễn Thị Lan,` — or `Kính gửi Trưởng nhóm,` with a title only."""
    words = " ".join(part for part in (one_line(title), one_line(name)) if part)
    return f"Kính gửi {words}," if words else "Kính gửi anh/chị,"


def letter(name: str, *paragraphs: str, title: str = REQUESTER_TITLE) -> str:
    """A whole plain-text mail: salutation, the paragraphs (empty ones dropped), signature."""
    middle = [p.strip("\n") for p in paragraphs if p and p.strip()]
    return "\n\n".join([salutation(name, title), *middle, "\n".join(SIGNATURE)]) + "\n"
