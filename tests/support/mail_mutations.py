"""Seeded, reproducible damage to real mail, for the mail fuzz tests (issue 17).

Sample `i` of seed `s` is always the same bytes: it is drawn from `random.Random(f"{s}:{i}")`,
so a failing sample is reproduced by its index alone (`mutated_message(seed, i)`), whichever
test, channel or order produced it. The seeds are real messages: tests/data/mail/ and the
Zammad parser corpus (`HOTRO_ZAMMAD_CORPUS`, /work/shared/peer-mail/zammad by default).

Each sample gets its own Message-ID first (one sample in eight keeps the original, so
duplicates are exercised too), then one to four of the kinds of damage real transport and
broken clients do: byte flips, truncations, duplicated or missing headers, broken MIME
boundaries, lying charsets, non-UTF-8 Message-IDs and references, huge headers.
"""

from __future__ import annotations

import functools
import os
import random
import re
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OWN_CORPUS = ROOT / "tests" / "data" / "mail"
ZAMMAD_CORPUS = Path(
    os.environ.get("HOTRO_ZAMMAD_CORPUS", ROOT.parent / "shared" / "peer-mail" / "zammad")
)
DEFAULT_SEED = int(os.environ.get("HOTRO_MAIL_FUZZ_SEED", "17"))

#: The 10,000 samples of issue 17, split by path (disjoint index ranges, so every path sees
#: different messages): most through the pure parser and decision in-process (~150/s), a
#: batch through the HTTP mail gateway (the whole path, storage included), and a few hundred
#: through a real SMTP conversation and a real IMAP mailbox (their framing is all they add).
VOLUME = {"domain": 9_200, "http": 500, "smtp": 150, "imap": 150}


def index_range(path: str) -> range:
    """The sample indices of one path (`VOLUME` order), e.g. http → 9200..9699."""
    start = 0
    for name, count in VOLUME.items():
        if name == path:
            return range(start, start + count)
        start += count
    raise KeyError(path)


_HEADER_LINE = re.compile(rb"^[!-9;-~]+:[^\n]*\n(?:[ \t][^\n]*\n)*", re.MULTILINE)
_MESSAGE_ID = re.compile(rb"^Message-ID:[^\n]*\n(?:[ \t][^\n]*\n)*", re.IGNORECASE | re.MULTILINE)
_BOUNDARY = re.compile(rb'boundary="?([^";\r\n]+)"?', re.IGNORECASE)
_CHARSET = re.compile(rb'charset="?[^";\s]+"?', re.IGNORECASE)
_LABELS = (
    b"utf-8", b"us-ascii", b"windows-1258", b"iso-8859-1", b"utf-16", b"utf-7", b"iso-2022-jp",
    b"gb2312", b"x-unknown", b"", b"\xff\xfe", b"utf-8*vi", b"koi8-r",
)  # fmt: skip
_NOT_UTF8 = (
    b"\xff\xfe",
    b"\xc3",
    b"\xe1\xbb",
    b"\x80\x81\x82",
    b"Ti\xea\xcc\xa3ng",
    b"\xed\xa0\x80",
)


@functools.cache
def seeds() -> tuple[bytes, ...]:
    """The real messages every sample starts from (both corpora must be there)."""
    own = sorted(OWN_CORPUS.glob("*.eml"))
    zammad = sorted(ZAMMAD_CORPUS.glob("*.box"))
    assert own and zammad, f"mail corpora missing: {OWN_CORPUS}, {ZAMMAD_CORPUS}"
    return tuple(p.read_bytes() for p in (*own, *zammad))


def mutated_message(seed: int, index: int) -> bytes:
    """Sample `index` of `seed`: a real message with its own Message-ID, then damaged."""
    rng = random.Random(f"{seed}:{index}")
    data = rng.choice(seeds())
    if rng.random() >= 0.125:
        data = _with_message_id(data, f"<fuzz.{seed}.{index}@fuzz.example>".encode())
    for _ in range(rng.randint(1, 4)):
        data = rng.choice(MUTATIONS)(rng, data)
    return data


def _with_message_id(data: bytes, value: bytes) -> bytes:
    line = b"Message-ID: " + value + b"\n"
    if _MESSAGE_ID.search(data):
        return _MESSAGE_ID.sub(lambda _: line, data, count=1)
    return line + data


def _headers(data: bytes) -> list[re.Match[bytes]]:
    end = data.find(b"\n\n")
    end = data.find(b"\r\n\r\n") if end < 0 else end
    return [m for m in _HEADER_LINE.finditer(data) if end < 0 or m.start() < end]


def flip_bytes(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if out:
            out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(len(data) + 1)] if data else data


def duplicate_header(rng: random.Random, data: bytes) -> bytes:
    found = _headers(data)
    if not found:
        return data
    line = rng.choice(found).group(0)
    return line + data if rng.random() < 0.5 else data.replace(line, line + line, 1)


def drop_header(rng: random.Random, data: bytes) -> bytes:
    found = _headers(data)
    wanted = [m for m in found if re.match(rb"(?i)(from|message-id|content-type|date):", m[0])]
    victim = rng.choice(wanted or found) if found else None
    return data.replace(victim.group(0), b"", 1) if victim else data


def break_boundary(rng: random.Random, data: bytes) -> bytes:
    match = _BOUNDARY.search(data)
    if match is None:
        head = b"Content-Type: multipart/mixed; boundary=zz\n"
        return head + data if rng.random() < 0.5 else data
    boundary = match.group(1)
    how = rng.randrange(4)
    if how == 0:  # the declared boundary no longer appears in the body
        return data[: match.start(1)] + b"other" + data[match.end(1) :]
    if how == 1:  # the closing delimiter is lost
        return data.replace(b"--" + boundary + b"--", b"", 1)
    if how == 2:  # an empty boundary parameter
        return data[: match.start()] + b'boundary=""' + data[match.end() :]
    return data.replace(b"--" + boundary, b"--" + boundary[: len(boundary) // 2], 2)


def lie_about_charset(rng: random.Random, data: bytes) -> bytes:
    label = rng.choice(_LABELS)
    return _CHARSET.sub(lambda _: b"charset=" + label, data, count=rng.randint(1, 3))


def non_utf8_message_id(rng: random.Random, data: bytes) -> bytes:
    junk = rng.choice(_NOT_UTF8)
    header = rng.choice((b"Message-ID", b"In-Reply-To", b"References"))
    value = b"<" + bytes(rng.randrange(97, 123) for _ in range(6)) + junk + b"@x\xe9.example>"
    return header + b": " + value + b"\n" + _strip_header(data, header)


def _strip_header(data: bytes, name: bytes) -> bytes:
    pattern = re.compile(rb"^" + name + rb":[^\n]*\n(?:[ \t][^\n]*\n)*", re.I | re.M)
    return pattern.sub(b"", data, count=1)


def huge_header(rng: random.Random, data: bytes) -> bytes:
    size = rng.choice((2_000, 20_000, 200_000))
    kind = rng.randrange(4)
    if kind == 0:
        line = b"Subject: " + b"L\xe1\xbb\x97i " * (size // 6)
    elif kind == 1:
        refs = b" ".join(b"<r%d@x.example>" % i for i in range(size // 16))
        line = b"References: " + refs
    elif kind == 2:
        line = b"Message-ID: <" + b"m" * size + b"@x.example>"
    else:
        line = b"X-Junk: " + b"=?utf-8?b?" + b"QQ" * (size // 2) + b"?="
    return line + b"\n" + data


def non_utf8_sender(rng: random.Random, data: bytes) -> bytes:
    name = rng.choice(_NOT_UTF8)
    return b"From: " + name + b" <a" + name + b"@kbnn.example.vn>\n" + _strip_header(data, b"From")


def deep_nesting(rng: random.Random, data: bytes) -> bytes:
    depth = rng.choice((50, 400))
    head = b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" % (i, i) for i in range(depth)
    )
    return data.split(b"\n\n", 1)[0] + b"\n" + head + b"\n" + data


MUTATIONS: tuple[Callable[[random.Random, bytes], bytes], ...] = (
    flip_bytes, flip_bytes, truncate, duplicate_header, drop_header, break_boundary,
    lie_about_charset, non_utf8_message_id, non_utf8_message_id, huge_header, non_utf8_sender,
    deep_nesting,
)  # fmt: skip
