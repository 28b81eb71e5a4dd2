"""How a query becomes a full-text search that forgives diacritics, typos and chat spellings.

Text is folded once with `libs.text` (lower case, no tone marks, đ → d) into stored columns,
so "khong dang nhap duoc tabmis" and "Không đăng nhập được TABMIS" are the same words; no
`unaccent` wrapper is needed and one folding serves search, routing and the catalog.

A query is a list of *term groups*: each word the user typed, with its chat spellings
("ko" → "khong") and the vocabulary words within a few typos of it (found by the adapter with
trigrams over the index's vocabulary). A document matches when it holds at least `need` of
the groups; the search asks first for every group, then relaxes one group at a time down to
half of them, so a query with a stray or misspelt word still finds the case, and ranking
(PostgreSQL's cover density over every group, plus recency for tickets) orders what matched.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import combinations

from libs.text import words

#: What users type in chats and quick mails, folded; each maps to the words it stands for.
CHAT_SPELLINGS: dict[str, tuple[str, ...]] = {
    "ko": ("khong",),
    "k": ("khong",),
    "kg": ("khong",),
    "khg": ("khong",),
    "hok": ("khong",),
    "dc": ("duoc",),
    "dk": ("duoc",),
    "mk": ("mat", "khau"),
    "tk": ("tai", "khoan"),
    "dn": ("dang", "nhap"),
    "ctu": ("chung", "tu"),
    "ct": ("chung", "tu"),
    "mt": ("may", "tinh"),
    "ng": ("nguoi",),
    "j": ("gi",),
    "vs": ("voi",),
    "ms": ("moi",),
    "pass": ("mat", "khau"),
    "password": ("mat", "khau"),
    "login": ("dang", "nhap"),
}
#: More words than this and only the rarest are searched: a long ticket text is not a query.
MAX_GROUPS = 8
#: Relaxing "at least k of n" stops before it would ask for more AND-clauses than this.
MAX_CLAUSES = 64


def query_words(text: str) -> list[str]:
    """The folded words of a query, chat spellings spelt out, in order, each once."""
    seen: dict[str, None] = {}
    for word in words(text):
        for spelt in CHAT_SPELLINGS.get(word, (word,)):
            if len(spelt) > 1 or spelt.isdigit():
                seen.setdefault(spelt, None)
    return list(seen)


def keep_rarest(
    terms: Sequence[str], frequency: dict[str, int], limit: int = MAX_GROUPS
) -> list[str]:
    """The `limit` terms that say most (lowest document frequency), in the query's order.

    A word the index has never seen counts as rare: it may be a typo of a rare word."""
    if len(terms) <= limit:
        return list(terms)
    ranked = sorted(terms, key=lambda t: frequency.get(t, 0))
    kept = set(ranked[:limit])
    return [t for t in terms if t in kept]


#: A word in more than this share of the documents says little: it ranks, but does not have
#: to match (measured: "khong" is in ~40 % of tickets and its posting list dominates the cost).
COMMON_SHARE = 0.08
#: Below this many documents every word is cheap and the rule above is not applied.
LARGE_CORPUS = 20_000
#: A word seen in at most this many documents may be a typo: its near spellings are searched.
TYPO_DF = 2


def needs_spelling(term: str, frequency: dict[str, int]) -> bool:
    """Whether to look for near spellings of a word: unknown or nearly unknown words only,
    so "dang" never turns into "danh" while "tabmsi" finds "tabmis"."""
    return len(term) >= 3 and not term.isdigit() and frequency.get(term, 0) <= TYPO_DF


def informative(
    groups: Sequence[Sequence[str]], frequency: dict[str, int], documents: int
) -> list[list[str]]:
    """The groups a document must match: on a large corpus, those not made only of common
    words; when every word is common, the rarest group alone."""
    usable = [list(g) for g in groups if g]
    if documents < LARGE_CORPUS or not usable:
        return usable
    limit = COMMON_SHARE * documents

    def share(group: Sequence[str]) -> int:
        return min(frequency.get(t, 0) for t in group)

    kept = [g for g in usable if share(g) <= limit]
    return kept or [min(usable, key=share)]


def _group(alternatives: Sequence[str]) -> str:
    quoted = [f"'{a}'" for a in dict.fromkeys(alternatives) if a.isalnum()]
    return quoted[0] if len(quoted) == 1 else "(" + " | ".join(quoted) + ")"


def any_of(groups: Sequence[Sequence[str]]) -> str:
    """A tsquery (simple configuration) matching any group: the ranking query."""
    return " | ".join(_group(g) for g in groups if g)


def at_least(groups: Sequence[Sequence[str]], need: int) -> str:
    """A tsquery matching documents that hold at least `need` of the groups."""
    usable = [g for g in groups if g]
    if need >= len(usable):
        return " & ".join(_group(g) for g in usable)
    clauses = [" & ".join(_group(g) for g in chosen) for chosen in combinations(usable, need)]
    return " | ".join(f"({c})" for c in clauses)


def relaxation(count: int) -> list[int]:
    """How many groups to require, strictest first: all of them, then one fewer, … down to
    half (at least one), stopping where the query would grow past MAX_CLAUSES clauses."""
    needs: list[int] = []
    floor = max(1, math.ceil(count / 2))
    for need in range(count, floor - 1, -1):
        if math.comb(count, need) > MAX_CLAUSES:
            break
        needs.append(need)
    return needs or [count]


def fold_document(*parts: str | None) -> str:
    """The stored search text of a document: its parts folded into words, one space apart."""
    return " ".join(w for part in parts if part for w in words(part))
