"""Our parser against Zammad's public e-mail parser corpus (69 messages, see its README).

Every message must parse (or be refused with a stated reason), and each compared field must
equal Zammad's expectation unless it is listed in KNOWN_DIFFERENCES with the reason. The list is
kept honest: a listed difference that starts matching fails the test, so it gets removed.

Normalisations the corpus README asks for (not skips): U+00A0 and runs of whitespace compare as
one space; "no visible content" is Zammad's placeholder for an empty body; Zammad's extra
`message.html` attachment (the original HTML alternative) is not an attachment of the mail;
for HTML bodies (`content_type: text/html`, or no type and markup: Zammad's rewritten HTML) the rendered text of Zammad's
HTML is compared with the rendered text of our sanitised HTML; attachment `preferences` are
Zammad's own metadata and are not compared.
"""

from __future__ import annotations

import base64
import functools
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.intake.domain.mail import (
    ParsedMail,
    UnparseableMail,
    html_to_text,
    normalize_message_id,
    parse_mail,
)

#: AGPL test data kept outside the repository, in the `shared/` folder beside the checkout
#: (where CI puts it too); a missing corpus fails the test rather than passing silently.
CORPUS = Path(
    os.environ.get(
        "HOTRO_ZAMMAD_CORPUS",
        Path(__file__).resolve().parents[3].parent / "shared" / "peer-mail" / "zammad",
    )
)
assert CORPUS.is_dir(), f"the Zammad corpus is missing: {CORPUS} (set HOTRO_ZAMMAD_CORPUS)"

#: README "Raw 8-bit messages are stored as UTF-8 text": re-encode to recover the real bytes.
REENCODE = {
    "mail031": "gb18030",
    "mail032": "gb18030",
    "mail044": "gb18030",
    "mail046": "gb18030",
    "mail068": "cp1252",
    "mail093": "mac_roman",
}

#: Messages we refuse on purpose (the caller keeps them as dead letters), with the reason.
EXPECTED_UNPARSEABLE = {
    "mail016": "no From header at all; Zammad falls back to Reply-To, we refuse (dead letter) "
    "because the requester's identity would be a guess",
}

ZAMMAD_OWN_CHARSET_MISTAKE = "README: the expectation reproduces Zammad's own charset mistake"

#: (message, field) → why our value differs from Zammad's, on purpose or as a known gap.
KNOWN_DIFFERENCES: dict[tuple[str, str], str] = {
    ("mail046", "from_display_name"): ZAMMAD_OWN_CHARSET_MISTAKE
    + " (GB2312 name read as latin-1; we decode it as 武兰成)",
    ("mail072", "body"): ZAMMAD_OWN_CHARSET_MISTAKE
    + " (windows-1258 read as windows-1250: 'ŕ' for 'à'; we decode cp1258 correctly)",
    ("mail065", "from_display_name"): "Zammad splits the encoded word at its comma and keeps "
    "'=20Andreas?='; we decode the whole word: 'Bürling, Andreas'",
    ("mail071", "from_email"): "'<power quadrant system@example.com>' is not an address; "
    "Zammad keeps it with spaces, we keep the last token that is one",
    ("mail071", "attachments"): "the multipart body has no boundary; Zammad stores the empty "
    "remainder as an attachment named 'file', we read it as (empty) text",
    ("mail076", "from_email"): "broken 'From: \"…\"@example.com>': we drop the stray '>'",
    ("mail076", "from_display_name"): "broken From: Zammad invents a display name from the "
    "quoted local part; an address has no display name here",
    ("mail077", "subject"): "we strip leading/trailing spaces of subjects (' Personaländerung')",
    ("mail087", "from_email"): "'From: Test test@example.com' (no brackets): we take the "
    "address 'test@example.com', Zammad keeps the whole value",
    ("mail087", "from_display_name"): "same header: our display name is 'Test'",
    ("mail087", "attachments"): "the part without Content-Type is text/plain by RFC 2045 and "
    "becomes body text for us, an attachment named 'file' for Zammad",
    ("mail087", "body"): "same part: it is our body text, Zammad's body is empty",
    ("mail092", "from_display_name"): "'MAILER-DAEMON (Mail Delivery System) <…>': the stdlib "
    "keeps the comment in the display name, Zammad drops it",
    ("mail096", "message_id"): "the Message-ID header is empty: Zammad generates one, we "
    "report None (the caller derives its duplicate key from the raw bytes)",
    ("mail105", "attachments"): "multipart/mixed without boundary: Zammad makes the whole "
    "body an attachment 'file'; we read it as the text it is",
    ("mail105", "body"): "same message: our body is its text, Zammad's is empty",
    ("mail055", "attachments"): "an older Zammad expectation names the enclosed message after "
    "Content-Description ('Undelivered Message.eml'); the newer ones (mail033, mail078, "
    "mail092) and we use its Subject, else 'Mail.eml'",
}

FIELDS = ("from_email", "from_display_name", "subject", "message_id", "attachments", "body")


class _Loader(yaml.SafeLoader):
    """Plain YAML with the README's two rules: drop `!ruby/...` tags, `!binary` is base64."""


def _binary(loader: yaml.SafeLoader, node: yaml.Node) -> bytes:
    return base64.b64decode(loader.construct_scalar(node))  # type: ignore[arg-type]


def _ruby(loader: yaml.SafeLoader, _suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_Loader.add_constructor("!binary", _binary)
_Loader.add_multi_constructor("!ruby/", _ruby)

STEMS = sorted(p.stem for p in CORPUS.glob("*.box"))


def _raw(stem: str) -> bytes:
    data = (CORPUS / f"{stem}.box").read_bytes()
    if stem in REENCODE:
        data = data.decode("utf-8").encode(REENCODE[stem])
    return data


@functools.cache
def _expected(stem: str) -> dict[str, Any]:
    loaded = yaml.load((CORPUS / f"{stem}.yml").read_text(encoding="utf-8"), Loader=_Loader)
    assert isinstance(loaded, dict)
    return loaded


@functools.cache
def _parsed(stem: str) -> ParsedMail | UnparseableMail:
    try:
        return parse_mail(_raw(stem))
    except UnparseableMail as refused:
        return refused


def _norm(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


def _values(stem: str, field: str, parsed: ParsedMail) -> tuple[Any, Any] | None:
    """(expected, ours) for one field, or None when Zammad's test did not check it."""
    expected = _expected(stem)
    if field == "from_display_name" and field in expected:
        return expected[field], parsed.from_name
    if field == "message_id" and field in expected:
        return normalize_message_id(expected[field]), parsed.message_id
    if field == "attachments" and field in expected:
        theirs = [a["filename"] for a in expected[field] or [] if a["filename"] != "message.html"]
        return theirs, [a.filename for a in parsed.attachments]
    if field == "body" and field in expected:
        body = expected["body"] or ""
        body = "" if body == "no visible content" else body
        html = expected.get("content_type", "text/html" if body.startswith("<") else "")
        if html == "text/html":
            ours = html_to_text(parsed.html_sanitized) if parsed.html_sanitized else parsed.text
            return _norm(html_to_text(body)), _norm(ours)
        return _norm(body), _norm(parsed.text)
    if field in ("from_email", "subject") and field in expected:
        return expected[field], getattr(parsed, field)
    return None


def _compare(stem: str) -> dict[str, bool]:
    parsed = _parsed(stem)
    assert isinstance(parsed, ParsedMail)
    return {
        field: pair[0] == pair[1]
        for field in FIELDS
        if (pair := _values(stem, field, parsed)) is not None
    }


def test_the_corpus_has_all_69_messages() -> None:
    assert len(STEMS) == 69


@pytest.mark.parametrize("stem", STEMS)
def test_zammad_message_parses_like_zammad_or_differs_for_a_stated_reason(stem: str) -> None:
    parsed = _parsed(stem)
    if isinstance(parsed, UnparseableMail):
        assert stem in EXPECTED_UNPARSEABLE, f"{stem} refused: {parsed.reason}"
        assert parsed.reason
        return
    assert stem not in EXPECTED_UNPARSEABLE, f"{stem} now parses; drop it from the list"
    for field, matched in _compare(stem).items():
        expected, ours = _values(stem, field, parsed) or (None, None)
        if (stem, field) in KNOWN_DIFFERENCES:
            assert not matched, f"{stem}.{field} now matches; drop it from KNOWN_DIFFERENCES"
        else:
            assert matched, f"{stem}.{field}: expected {expected!r}, got {ours!r}"


def test_every_known_difference_names_a_checked_field() -> None:
    for stem, field in KNOWN_DIFFERENCES:
        assert stem in STEMS and field in FIELDS
        assert field in _expected(stem) or (field == "from_display_name"), (stem, field)


def test_zammad_corpus_summary(capsys: pytest.CaptureFixture[str]) -> None:
    matched: Counter[str] = Counter()
    checked: Counter[str] = Counter()
    for stem in STEMS:
        if isinstance(_parsed(stem), UnparseableMail):
            continue
        for field, ok in _compare(stem).items():
            checked[field] += 1
            matched[field] += ok
    lines = [f"  {f:18} {matched[f]:3}/{checked[f]:3}" for f in FIELDS]
    total = f"  {'all fields':18} {sum(matched.values()):3}/{sum(checked.values()):3}"
    refused = len(EXPECTED_UNPARSEABLE)
    with capsys.disabled():
        print(f"\nZammad corpus: {len(STEMS)} messages, {refused} refused on purpose")
        print("\n".join([*lines, total]))
    assert sum(checked.values()) - sum(matched.values()) == len(KNOWN_DIFFERENCES)
