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
#: A code misspelt by one letter ("tamis", "tabmiss", "dmfass"): still the application, but
#: less sure than the code itself.
MISSPELT_CODE = 1.5
#: Only codes this long are recognised misspelt: one letter off a short code is another word.
_MISSPELT_MIN_LENGTH = 5
_VOWELS = frozenset("aeiouy")


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
        if not _VOWELS.intersection(phrase_words[0]):
            return CODE_IN_LOWER_CASE  # "tcs", "ttsp", "dmdc": no plain word looks like it
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


#: An application's full official name ("Thu ngân sách nhà nước và trao đổi thông tin thu")
#: is as specific as its code written in capitals.
OFFICIAL_NAME = CODE_IN_CAPITALS
_OFFICIAL_NAME_MIN_WORDS = 3


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
            [app.code, *app.aliases],
            [*signals[app.code], *_official_names(app.code, app.name)],
        )
    ]


def _official_names(code: str, name: str) -> list[Signal]:
    """The catalog name, with and without its parenthesised code, weighed as a code; a short
    name ("Quản lý tài sản (QLTS)") weighs as any alias."""
    names = {name, _PARENTHETICAL.sub("", name).strip()}
    return [
        Signal(phrase=n, application=code, weight=_name_weight(n))
        for n in sorted(names)
        if words(n)
    ]


def _name_weight(name: str) -> float:
    name_words = words(name)
    if len(name_words) >= _OFFICIAL_NAME_MIN_WORDS:
        return OFFICIAL_NAME
    return phrase_weight(name, name_words)


def topic_phrases(catalog: Catalog) -> list[Phrase]:
    """Each group's topic keywords, and its own name: "nhờ nhóm kỹ thuật kiểm tra…" says whom
    the requester means."""
    return [
        phrase
        for group in catalog.groups.values()
        for phrase in _phrases(group.code, [group.name, *group.topic_keywords])
    ]


class PhraseIndex:
    """Phrases by their first word, and multi-word codes by their glued form ("ttlkbt4")."""

    def __init__(self, phrases: Iterable[Phrase]) -> None:
        self.by_first: dict[str, list[Phrase]] = defaultdict(list)
        self.by_joined: dict[str, list[Phrase]] = defaultdict(list)
        #: One-word codes long enough to be recognised misspelt, by their first letter.
        self.codes: dict[str, list[Phrase]] = defaultdict(list)
        for phrase in phrases:
            self.by_first[phrase.words[0]].append(phrase)
            if len(phrase.words) > 1:
                self.by_joined["".join(phrase.words)].append(phrase)
            elif _misspellable(phrase):
                self.codes[phrase.words[0][0]].append(phrase)

    def misspelt(self, word: str) -> list[Phrase]:
        """The codes `word` is one typo away from (a letter missing, extra, wrong or swapped)."""
        if len(word) < _MISSPELT_MIN_LENGTH - 1 or word in self.by_first:
            return []
        return [p for p in self.codes.get(word[0], ()) if _one_typo(word, p.words[0])]


def _misspellable(phrase: Phrase) -> bool:
    word = phrase.words[0]
    return (
        phrase.capital_weight is not None and len(word) >= _MISSPELT_MIN_LENGTH and word.isalpha()
    )


def _one_typo(word: str, code: str) -> bool:
    """Damerau distance exactly 1, keeping the first letter (users rarely mistype it)."""
    if word == code or word[0] != code[0] or abs(len(word) - len(code)) > 1:
        return False
    if len(word) == len(code):
        diff = [i for i, (a, b) in enumerate(zip(word, code, strict=True)) if a != b]
        if len(diff) == 1:
            return True
        i, j = diff[0], diff[-1]
        return len(diff) == 2 and j == i + 1 and word[i] == code[j] and word[j] == code[i]
    short, long_ = sorted((word, code), key=len)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


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
        for phrase in index.misspelt(word):
            found.append(Mention(phrase.key, i, i + 1, MISSPELT_CODE, word))
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
