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
from libs.text import fold, words

# A full stop only ends a sentence when followed by a space: "TP.HCM" and "v2.1" stay whole.
_SENTENCE_END = re.compile(r"[.!?;]+(?=\s|$)|\n")
# "X vẫn bình thường, nhưng Y lỗi", "gửi email: Y lỗi": commas, colons and contrast words
# separate what is said of X from what is said of Y.
_CLAUSE_END = re.compile(r"[,:]|\b(?:nhung|but|tuy nhien|trong khi|con|thi)\b")
_RAW_WORD = re.compile(r"[A-Za-z0-9]+")
_PARENTHETICAL = re.compile(r"\s*\([^)]*\)")


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
    upper: list[bool] = []
    clause_number = 0
    for sentence_number, sentence in enumerate(_SENTENCE_END.split(text)):
        for clause in _split_clauses(sentence):
            found = words(clause)
            written = _RAW_WORD.findall(_strip_marks(clause))
            all_words.extend(found)
            sentences.extend([sentence_number] * len(found))
            clauses.extend([clause_number] * len(found))
            if len(written) == len(found):
                upper.extend(w.isupper() for w in written)
            else:  # a character that folds differently: assume lower case, the safe side
                upper.extend([False] * len(found))
            clause_number += 1
    return Tokens(tuple(all_words), tuple(sentences), tuple(clauses), tuple(upper))


def _split_clauses(sentence: str) -> list[str]:
    """Clause boundaries found on the folded sentence, cut from the original one."""
    folded = _strip_marks(sentence).lower()
    cuts = [0]
    for match in _CLAUSE_END.finditer(folded):
        cuts.extend((match.start(), match.end()))
    cuts.append(len(sentence))
    return [sentence[cuts[i] : cuts[i + 1]] for i in range(0, len(cuts), 2)]


def _strip_marks(text: str) -> str:
    """Diacritics removed, case and length kept (so cuts on it apply to the original)."""
    decomposed = (unicodedata.normalize("NFD", c) for c in text.replace("đ", "d").replace("Đ", "D"))
    return "".join(
        (kept[0] if kept else " ")
        for kept in ([ch for ch in d if unicodedata.category(ch) != "Mn"] for d in decomposed)
    )


def phrase_weight(written: str, phrase_words: Sequence[str]) -> float:
    """How much naming this phrase says about its application.

    A code ("TABMIS", "TTLKB-T4", "ĐKTS") is the most specific thing a user can write; a
    two-letter module ("AP", "GL") says little; a name weighs more the more words it has,
    up to a code's weight, so a long description does not drown an explicit code.
    """
    alnum = sum(len(w) for w in phrase_words)
    if _is_code(written):
        return 2.5 if alnum >= 3 else 1.0
    return min(2.0, 1.0 + 0.25 * (len(phrase_words) - 1)) + (0.25 if alnum >= 4 else 0.0)


def _is_code(written: str) -> bool:
    letters = [c for c in written if c.isalpha()]
    return bool(letters) and not any(c.islower() for c in letters)


def _phrases(key: str, names: Iterable[str], signals: Iterable[Signal] = ()) -> list[Phrase]:
    best: dict[tuple[str, ...], Phrase] = {}
    candidates = [(name, None) for name in names]
    candidates += [(signal.phrase, signal.weight) for signal in signals]
    for written, weight in candidates:
        phrase_words = tuple(words(written))
        if not phrase_words:
            continue
        short_code = len(phrase_words) == 1 and len(phrase_words[0]) <= 2 and _is_code(written)
        phrase = Phrase(
            key,
            phrase_words,
            weight if weight is not None else phrase_weight(written, phrase_words),
            needs_capitals=short_code and phrase_words[0].isalpha(),
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


def find_mentions(tokens: Tokens | Sequence[str], phrases: Iterable[Phrase]) -> list[Mention]:
    """Every mention, longest name first; a shorter name inside a longer one is not counted again.

    A multi-word code is also found written as one word ("TTLKB-T4" as "ttlkbt4").
    """
    text_words = tokens.words if isinstance(tokens, Tokens) else tuple(tokens)
    upper = tokens.upper if isinstance(tokens, Tokens) else ()
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
            if phrase.needs_capitals and not (upper and upper[i]):
                continue
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
