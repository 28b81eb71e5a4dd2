"""Turning the bytes of real mail into clean Unicode text, whatever the message claims.

Mail from the provinces arrives in UTF-8 and in windows-1258 (Vietnamese Windows code page,
which writes tone marks as separate combining characters), often with a missing or wrong
charset label. Decoding must never fail: a label is tried first, then UTF-8, then the charsets
other parts of the message declare, then cp1258 and finally latin-1, which accepts any byte.
Everything leaves here normalised to NFC, so "ệ" is one code point whichever way it was written.
"""

from __future__ import annotations

import codecs
import functools
import re
import unicodedata
from collections.abc import Iterable

#: Labels mail clients use for which a superset or the intended codec is better than Python's.
_ALIASES: dict[str, str] = {
    # GB2312 mail routinely contains GBK/GB18030 characters; the superset decodes all of them.
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "euc-cn": "gb18030",
    "cn-gb": "gb18030",
    # 0x80-0x9F are C1 controls in latin-1 but curly quotes and dashes in what clients really
    # send (the WHATWG encoding standard makes the same choice).
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    # Microsoft's ISO-2022-JP carries NEC/IBM extensions (circled digits ...).
    "iso-2022-jp": "iso2022_jp_ext",
    "big5": "big5hkscs",
    "tis-620": "cp874",
    "unicode-1-1-utf-7": "utf-7",
    "utf8": "utf-8",
}

#: ASCII and its spellings promise nothing about 8-bit bytes; UTF-8 is then the best first guess.
_ASCII_LABELS = frozenset({"us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us", "646", "us"})

#: Codecs whose encoded form is pure 7-bit ASCII; ASCII bytes do not prove the text is ASCII.
_SEVEN_BIT_CODECS = ("iso2022", "utf_7", "utf-7", "hz")

#: Tried, in order, when the declared charset is missing, unknown or wrong.
_FALLBACKS = ("utf-8", "cp1258", "cp1252", "latin-1")

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: A raw 8-bit byte as the stdlib's `surrogateescape` hands it over; any surrogate at all.
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def codec_for(label: str | None) -> str | None:
    """The Python codec for a MIME charset label, or None when it is missing or unknown."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    if "*" in name:  # RFC 2231 language suffix: "utf-8*vi"
        name = name.split("*", 1)[0]
    if name in _ASCII_LABELS:
        return "utf-8"
    name = _ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):
        return None


def decode_bytes(data: bytes, declared: str | None = None, hints: Iterable[str] = ()) -> str:
    """Decode `data` as text without ever raising; the result is NFC and free of NUL bytes.

    `hints` are other charset labels seen in the same message: a raw 8-bit header is usually
    written in the charset the body declares.
    """
    if not data:
        return ""
    codec = codec_for(declared)
    if codec and codec.startswith(_SEVEN_BIT_CODECS):
        return normalize_text(_decode_seven_bit(data, codec))
    if data.isascii():
        return normalize_text(data.decode("ascii"))
    candidates: list[str] = []
    if codec and not _is_single_byte(codec):
        candidates.append(codec)
    # A valid multi-byte UTF-8 sequence is almost never real text in a single-byte charset, so
    # a body labelled latin-1 or windows-1258 that decodes as UTF-8 was mislabelled.
    candidates.append("utf-8")
    if codec:
        candidates.append(codec)
    # A strict multi-byte decode is evidence, a single-byte one is not (every byte is valid):
    # so charsets the message declares elsewhere are tried multi-byte first.
    hinted = [c for h in hints for c in _family(codec_for(h))]
    candidates.extend(c for c in hinted if not _is_single_byte(c))
    candidates.extend(c for c in hinted if _is_single_byte(c))
    candidates.extend(_FALLBACKS)
    for candidate in dict.fromkeys(candidates):
        if candidate == "cp1258":  # first guess that cannot fail: is it broken UTF-8 instead?
            mostly = _mostly_utf8(data)
            if mostly is not None:
                return normalize_text(mostly)
        try:
            return normalize_text(data.decode(candidate))
        except (UnicodeDecodeError, LookupError, ValueError):
            continue
    return normalize_text(data.decode("latin-1", errors="replace"))  # pragma: no cover


def _mostly_utf8(data: bytes) -> str | None:
    """UTF-8 text with a few broken bytes (a truncated part, a stray byte) stays UTF-8, with
    U+FFFD for the broken bytes, instead of turning wholly into windows-1258 mojibake. Legacy
    8-bit text almost never forms valid multi-byte UTF-8 sequences, so counting them decides."""
    decoded = data.decode("utf-8", errors="replace")
    bad = decoded.count("\ufffd")
    good = sum(1 for ch in decoded if ch > "\x7f") - bad
    return decoded if good >= 2 and good >= 3 * bad else None


def _family(codec: str | None) -> list[str]:
    """A codec plus the 8-bit codecs its label is commonly (wrongly) put on."""
    if not codec:
        return []
    if codec.startswith("iso2022_jp"):
        return [codec, "cp932", "euc_jp"]
    return [codec]


def _decode_seven_bit(data: bytes, codec: str) -> str:
    """ISO-2022-JP and UTF-7 are ASCII bytes, so the UTF-8 fallback would accept them as junk."""
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError, ValueError):
        pass
    if not data.isascii():  # 8-bit bytes: the label is wrong (UTF-8 or Shift_JIS in practice)
        return decode_bytes(data, None, _family(codec))
    if codec.startswith("iso2022_jp"):
        return _iso2022jp_via_cp932(data)
    return data.decode(codec, errors="replace")


_JIS_ESCAPES = re.compile(rb"\x1b(\(B|\(J|\(I|\$@|\$B|\$\(D)")


def _iso2022jp_via_cp932(data: bytes) -> str:
    """Microsoft's ISO-2022-JP (CP50221) carries NEC row-13 characters (①, ㈱ …) that Python's
    ISO-2022-JP codecs reject; mapping each JIS pair to Shift_JIS and decoding as cp932 keeps them.
    """
    out = bytearray()
    mode = b"(B"
    for i, chunk in enumerate(_JIS_ESCAPES.split(data)):
        if i % 2 == 1:
            mode = chunk
            continue
        if mode in (b"$@", b"$B"):
            for j1, j2 in zip(chunk[::2], chunk[1::2], strict=False):
                out.extend(_jis_to_sjis(j1, j2))
        elif mode == b"(I":
            out.extend(b + 0x80 if 0x21 <= b <= 0x5F else b for b in chunk)
        else:
            out.extend(chunk)
    return bytes(out).decode("cp932", errors="replace")


def _jis_to_sjis(j1: int, j2: int) -> bytes:
    if not (0x21 <= j1 <= 0x7E and 0x21 <= j2 <= 0x7E):
        return b"?"
    s1 = ((j1 + 1) >> 1) + (0x70 if j1 <= 0x5E else 0xB0)
    s2 = j2 + (0x1F if j1 & 1 else 0x7E)
    if j1 & 1 and s2 >= 0x7F:
        s2 += 1
    return bytes([s1, s2])


@functools.lru_cache(maxsize=64)
def _is_single_byte(codec: str) -> bool:
    """Whether every byte is one character on its own (cp1258, latin-1, koi8-r ...)."""
    if codec.startswith(_SEVEN_BIT_CODECS):
        return False
    try:
        return len(bytes(range(256)).decode(codec, errors="replace")) == 256
    except (LookupError, ValueError, TypeError):
        return False


def normalize_text(text: str) -> str:
    """NFC, with NUL and other C0 controls removed (PostgreSQL text cannot even hold NUL) and
    any lone surrogate (a codec such as UTF-7 can decode to one) made U+FFFD: what leaves here
    is always valid Unicode, storable and encodable. Raw header values must go through
    `recover_surrogates` first, or their 8-bit bytes would be lost here."""
    text = _SURROGATE.sub("\ufffd", _CONTROL.sub("", text))
    return unicodedata.normalize("NFC", text)


def recover_surrogates(value: str, hints: Iterable[str] = ()) -> str:
    """Undo the `surrogateescape` the stdlib uses for raw 8-bit bytes in headers and bodies.

    The email package decodes 8-bit header bytes as ASCII with surrogate escapes; turning them
    back into bytes and through `decode_bytes` recovers UTF-8 or windows-1258 header text.
    """
    if not _ESCAPED_BYTE.search(value):
        return value
    data = value.encode("utf-8", errors="surrogateescape")
    return decode_bytes(data, None, hints)
