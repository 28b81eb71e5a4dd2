"""Writes cp1258_combining.eml: a Vietnamese message in real windows-1258 bytes.

Windows-1258 has no precomposed letters with tone marks: "ậ" is written as "â" followed by
the combining dot below (0xF2). Python's cp1258 codec only encodes what it is given, so the
text is decomposed the way Windows does before encoding. Run: python make_cp1258.py
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

#: The five tone marks, which cp1258 writes as separate combining characters.
TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}

HEADERS = """\
From: {from_name} <tranthilan@kbnn-bacninh.example.vn>
To: hotrocntt@kbnn.example.vn
Subject: {subject}
Date: Tue, 05 May 2026 08:12:40 +0700
Message-ID: <cp1258.20260505081240@kbnn-bacninh.example.vn>
MIME-Version: 1.0
Content-Type: text/plain; charset="windows-1258"
Content-Transfer-Encoding: 8bit

"""

BODY = """\
Kính gửi Phòng Công nghệ thông tin,

Lỗi lệnh chuyển Có trên TTSP: các lệnh chuyển Có gửi đi từ 7 giờ 30 sáng nay vẫn ở trạng thái
"Chờ xử lý", chưa được Ngân hàng nhận. Đề nghị kiểm tra giúp đơn vị.

Trân trọng,
Trần Thị Lan
Kho bạc Nhà nước Bắc Ninh
"""


def windows_1258(text: str) -> bytes:
    """Encode like Windows does: base letter (with ^, ˘ or horn) plus a combining tone mark."""
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        decomposed = unicodedata.normalize("NFD", char)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONES))
        tones = "".join(c for c in decomposed if c in TONES)
        out += (base + tones).encode("cp1258")
    return bytes(out)


def encoded_word(text: str) -> str:
    """RFC 2047 Q-encoding of the windows-1258 bytes."""
    quoted = "".join(
        f"={b:02X}" if b > 0x7E or b in b"=?_ " else chr(b) for b in windows_1258(text)
    )
    return f"=?windows-1258?Q?{quoted}?="


def build() -> bytes:
    headers = HEADERS.format(
        from_name=encoded_word("Trần Thị Lan"),
        subject=encoded_word("Lỗi lệnh chuyển Có trên TTSP"),
    )
    headers_bytes = headers.replace("\n", "\r\n").encode("ascii")
    return headers_bytes + windows_1258(BODY).replace(b"\n", b"\r\n")


if __name__ == "__main__":
    Path(__file__).with_name("cp1258_combining.eml").write_bytes(build())
