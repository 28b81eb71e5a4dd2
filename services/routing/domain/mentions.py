"""Where a text names catalog things (applications, group topics), on folded word boundaries.

Matching whole folded words, never substrings, is what keeps the alias "AP" out of "app" and
"khoản", while "ko vao dc tabmis" still finds TABMIS. Each mention keeps its sentence and
clause so the classifier can tell the system that fails from one merely mentioned beside it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from libs.catalog.model import Catalog
from libs.text import fold, words

# A full stop only ends a sentence when followed by a space: "TP.HCM" and "v2.1" stay whole.
_SENTENCE_END = re.compile(r"[.!?;]+(?=\s|$)|\n")
# "X vẫn bình thường, nhưng Y lỗi", "gửi email: Y lỗi": commas, colons and contrast words
# separate what is said of X from what is said of Y.
_CLAUSE_END = re.compile(r"[,:]|\b(?:nhung|but|tuy nhien|trong khi)\b")


@dataclass(frozen=True)
class Tokens:
    """The folded words of a text, each with the sentence and clause it stands in."""

    words: tuple[str, ...]
    sentence: tuple[int, ...]
    clause: tuple[int, ...]


@dataclass(frozen=True)
class Phrase:
    key: str
    words: tuple[str, ...]
    weight: float


@dataclass(frozen=True)
class Mention:
    key: str
    start: int
    end: int
    weight: float
    phrase: str


def tokenize(text: str) -> Tokens:
    all_words: list[str] = []
    sentences: list[int] = []
    clauses: list[int] = []
    clause_number = 0
    for sentence_number, sentence in enumerate(_SENTENCE_END.split(text)):
        for clause in _CLAUSE_END.split(fold(sentence)):
            found = words(clause)
            all_words.extend(found)
            sentences.extend([sentence_number] * len(found))
            clauses.extend([clause_number] * len(found))
            clause_number += 1
    return Tokens(tuple(all_words), tuple(sentences), tuple(clauses))


def phrase_weight(phrase_words: Sequence[str]) -> float:
    """Longer names are more specific: "kho dữ liệu TABMIS" > "TABMIS" > "AP"."""
    letters = sum(len(w) for w in phrase_words)
    return 1.0 + 0.5 * (len(phrase_words) - 1) + (0.25 if letters >= 4 else 0.0)


def _phrases(key: str, names: Iterable[str]) -> list[Phrase]:
    distinct = {tuple(words(name)) for name in names} - {()}
    return [Phrase(key, w, phrase_weight(w)) for w in sorted(distinct)]


def application_phrases(catalog: Catalog) -> list[Phrase]:
    """Codes are included: users type "TTSP" and "TCS-TT" more than the Vietnamese names."""
    return [
        phrase
        for app in catalog.applications.values()
        for phrase in _phrases(app.code, [app.code, app.name, *app.aliases])
    ]


def topic_phrases(catalog: Catalog) -> list[Phrase]:
    return [
        phrase
        for group in catalog.groups.values()
        for phrase in _phrases(group.code, group.topic_keywords)
    ]


def find_mentions(text_words: Sequence[str], phrases: Iterable[Phrase]) -> list[Mention]:
    """Every mention, longest name first; a shorter name inside a longer one is not counted again.

    A multi-word code is also found written as one word ("TTLKB-T4" as "ttlkbt4").
    """
    by_first: dict[str, list[Phrase]] = defaultdict(list)
    by_joined: dict[str, list[Phrase]] = defaultdict(list)
    for phrase in phrases:
        by_first[phrase.words[0]].append(phrase)
        if len(phrase.words) > 1:
            by_joined["".join(phrase.words)].append(phrase)
    found: list[Mention] = []
    for i, word in enumerate(text_words):
        for phrase in by_first.get(word, []):
            end = i + len(phrase.words)
            if tuple(text_words[i:end]) == phrase.words:
                found.append(Mention(phrase.key, i, end, phrase.weight, " ".join(phrase.words)))
        for phrase in by_joined.get(word, []):
            found.append(Mention(phrase.key, i, i + 1, phrase.weight, word))
    return _without_nested(found)


def _without_nested(found: list[Mention]) -> list[Mention]:
    kept: list[Mention] = []
    seen: set[tuple[str, int, int]] = set()
    for mention in sorted(found, key=lambda m: (-m.weight, m.start, m.key)):
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
