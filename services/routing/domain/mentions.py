"""Where a text names catalog things (applications, group topics), on folded word boundaries.

Matching whole folded words, never substrings, is what keeps the alias "AP" out of "app" and
"khoản", while "ko vao dc tabmis" still finds TABMIS. Each mention keeps its sentence and
clause so the classifier can tell the system that fails from one merely mentioned beside it.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from libs.catalog.model import Catalog, Signal
from libs.text import words
from services.routing.domain.cues import spell_out

# A full stop only ends a sentence when followed by a space: "TP.HCM" and "v2.1" stay whole.
_SENTENCE_END = re.compile(r"[.!?;]+(?=\s|$)|\n")
# "X vẫn bình thường, nhưng Y lỗi", "gửi email: Y lỗi": commas, colons and contrast words
# separate what is said of X from what is said of Y.
_CLAUSE_END = re.compile(r"[,:]|\b(?:nhung|but|tuy nhien|trong khi)\b", re.IGNORECASE)
_RAW_WORD = re.compile(r"[A-Za-z0-9]+")
_PARENTHETICAL = re.compile(r"\s*\([^)]*\)")

#: A code written in capitals ("TABMIS", "TTLKB-T4", "ĐKTS") is the most specific thing a
#: user can write; in lower case ("dtkb lan") only slightly less.
CODE_IN_CAPITALS = 2.5
CODE_IN_LOWER_CASE = 2.0


@dataclass(frozen=True)
class Tokens:
    """The folded words of a text, each with the sentence and clause it stands in."""

    words: tuple[str, ...]
    sentence: tuple[int, ...]
    clause: tuple[int, ...]
    #: Whether each word was written in capitals ("BA" the TABMIS module, not "ba" = three).
    upper: tuple[bool, ...] = ()


@dataclass(frozen=True)
class Phrase:
    key: str
    words: tuple[str, ...]
    weight: float
    #: A two-letter code ("AP", "BA") only counts when written in capitals: folded, it is
    #: also a Vietnamese word ("ấp", "ba").
    needs_capitals: bool = False
    #: The weight of a code written in capitals ("PORTAL", not "the portal"), when higher.
    capital_weight: float | None = None


@dataclass(frozen=True)
class Mention:
    key: str
    start: int
    end: int
    weight: float
    phrase: str


def tokenize(text: str) -> Tokens:
    """Folded words with chat abbreviations spelled out, and where each one stands."""
    all_words: list[str] = []
    sentences: list[int] = []
    clauses: list[int] = []
    upper: list[bool] = []
    clause_number = 0
    for sentence_number, sentence in enumerate(_SENTENCE_END.split(_strip_marks(text))):
        for clause in _CLAUSE_END.split(sentence):
            found = words(clause)
            written = _RAW_WORD.findall(clause)
            # Folding can merge or split a rare character: then assume lower case, the safe side.
            capitals = [w.isupper() for w in written] if len(written) == len(found) else []
            expanded, origin = spell_out(found)  # "kho DL TABMIS" → "kho du lieu tabmis"
            all_words.extend(expanded)
            sentences.extend([sentence_number] * len(expanded))
            clauses.extend([clause_number] * len(expanded))
            upper.extend(bool(capitals) and capitals[i] for i in origin)
            clause_number += 1
    return Tokens(tuple(all_words), tuple(sentences), tuple(clauses), tuple(upper))


def _strip_marks(text: str) -> str:
    """Diacritics removed, case kept: "Đăng nhập TABMIS" → "Dang nhap TABMIS"."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def phrase_weight(written: str, phrase_words: Sequence[str]) -> float:
    """How much naming this phrase says about its application.

    A name weighs more the more words it has, up to 2; a code is the most specific thing a
    user can write (below), so a long description never outweighs it; a two-letter module
    ("AP", "GL") says little, and a one-word code in lower case may be a plain word
    ("mail", "portal").
    """
    alnum = sum(len(w) for w in phrase_words)
    if _is_code(written):
        if alnum < 3:
            return 1.0
        if len(phrase_words) > 1 or any(c.isdigit() for c in written):
            return CODE_IN_LOWER_CASE
    return min(1.75, 1.0 + 0.25 * (len(phrase_words) - 1)) + (0.25 if alnum >= 4 else 0.0)


def _is_code(written: str) -> bool:
    letters = [c for c in written if c.isalpha()]
    return bool(letters) and not any(c.islower() for c in letters)


def _phrases(key: str, names: Iterable[str], signals: Iterable[Signal] = ()) -> list[Phrase]:
    best: dict[tuple[str, ...], Phrase] = {}
    candidates: list[tuple[str, float | None]] = [(name, None) for name in names]
    candidates += [(signal.phrase, signal.weight) for signal in signals]
    for written, weight in candidates:
        phrase_words = tuple(words(written))
        if not phrase_words:
            continue
        code = _is_code(written)
        short_code = code and len(phrase_words) == 1 and len(phrase_words[0]) <= 2
        phrase = Phrase(
            key,
            phrase_words,
            weight if weight is not None else phrase_weight(written, phrase_words),
            needs_capitals=short_code and phrase_words[0].isalpha(),
            capital_weight=CODE_IN_CAPITALS if code and not short_code and weight is None else None,
        )
        if phrase_words not in best or phrase.weight > best[phrase_words].weight:
            best[phrase_words] = phrase
    return [best[w] for w in sorted(best)]


def application_phrases(catalog: Catalog) -> list[Phrase]:
    """Codes, names (also without their parenthesised code), aliases and routing signals."""
    signals: dict[str, list[Signal]] = defaultdict(list)
    for signal in catalog.routing.signals:
        signals[signal.application].append(signal)
    return [
        phrase
        for app in catalog.applications.values()
        for phrase in _phrases(
            app.code,
            [app.code, app.name, _PARENTHETICAL.sub("", app.name), *app.aliases],
            signals[app.code],
        )
    ]


def topic_phrases(catalog: Catalog) -> list[Phrase]:
    return [
        phrase
        for group in catalog.groups.values()
        for phrase in _phrases(group.code, group.topic_keywords)
    ]


class PhraseIndex:
    """Phrases by their first word, and multi-word codes by their glued form ("ttlkbt4")."""

    def __init__(self, phrases: Iterable[Phrase]) -> None:
        self.by_first: dict[str, list[Phrase]] = defaultdict(list)
        self.by_joined: dict[str, list[Phrase]] = defaultdict(list)
        for phrase in phrases:
            self.by_first[phrase.words[0]].append(phrase)
            if len(phrase.words) > 1:
                self.by_joined["".join(phrase.words)].append(phrase)


def find_mentions(
    tokens: Tokens | Sequence[str], phrases: PhraseIndex | Iterable[Phrase]
) -> list[Mention]:
    """Every mention, longest name first; a shorter name inside a longer one is not counted again.

    A multi-word code is also found written as one word ("TTLKB-T4" as "ttlkbt4").
    """
    text_words = tokens.words if isinstance(tokens, Tokens) else tuple(tokens)
    upper = tokens.upper if isinstance(tokens, Tokens) else ()
    index = phrases if isinstance(phrases, PhraseIndex) else PhraseIndex(phrases)
    found: list[Mention] = []
    for i, word in enumerate(text_words):
        for phrase in index.by_first.get(word, ()):
            end = i + len(phrase.words)
            if phrase.needs_capitals and not (upper and upper[i]):
                continue
            if tuple(text_words[i:end]) == phrase.words:
                weight = phrase.weight
                if phrase.capital_weight and upper and all(upper[i:end]):
                    weight = max(weight, phrase.capital_weight)
                found.append(Mention(phrase.key, i, end, weight, " ".join(phrase.words)))
        for phrase in index.by_joined.get(word, ()):
            weight = phrase.weight
            if phrase.capital_weight and upper and upper[i]:
                weight = max(weight, phrase.capital_weight)
            found.append(Mention(phrase.key, i, i + 1, weight, word))
    return _without_nested(found)


def _without_nested(found: list[Mention]) -> list[Mention]:
    kept: list[Mention] = []
    seen: set[tuple[str, int, int]] = set()
    # The longest name wins a span ("kho dữ liệu TABMIS" over "TABMIS"), then the heaviest.
    for mention in sorted(found, key=lambda m: (m.start - m.end, -m.weight, m.start, m.key)):
        span = (mention.start, mention.end)
        # The same name listed for two applications stays ambiguous: both keep the mention.
        overlaps = any(
            k.start < mention.end and mention.start < k.end and (k.start, k.end) != span
            for k in kept
        )
        if not overlaps and (mention.key, *span) not in seen:
            kept.append(mention)
            seen.add((mention.key, *span))
    return sorted(kept, key=lambda m: (m.start, m.key))
