"""Application, group and type of a ticket from its text (SPEC §3.1, §3.2).

Rules, not yet a trained model: every decision carries its reasons so an operator who
reclassifies can see what misled it, and `model_version` says which rules made it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

from libs.catalog.model import Catalog
from libs.text import words
from services.routing.domain import cues
from services.routing.domain.mentions import (
    Mention,
    Tokens,
    application_phrases,
    find_mentions,
    tokenize,
    topic_phrases,
)

MODEL_VERSION = "rules-1"
TRIAGE_GROUP = "SERVICE_DESK"

Source = Literal["application_pick", "text_match", "topic", "triage"]
TicketType = Literal["incident", "service_request", "proposal"]

#: A text that names another application with at least this score overrides the pick...
_CLEAR_MENTION = 1.0
#: ...unless the picked application is named too, with at least this share of the winner's score.
_PICK_HOLDS_AT = 0.5
#: "TTSP vẫn bình thường": a mention in a clause that says the system works counts far less.
_WORKING_FACTOR = 0.4


@dataclass(frozen=True)
class Classification:
    application: str | None
    group: str
    confidence: float
    source: Source
    model_version: str
    #: Applications the text named, best first, with their scores.
    candidates: tuple[tuple[str, float], ...]
    reasons: tuple[str, ...]


def classify(text: str, catalog: Catalog, picked_application: str | None = None) -> Classification:
    """Application from the text or the pick, group from the application, else from topics.

    The pick list is often left on its first entry, so a text that clearly names another
    application wins; the caller keeps the pick on the ticket.
    """
    tokens = tokenize(text)
    scores = _scores(tokens, find_mentions(tokens.words, application_phrases(catalog)))
    candidates = _ranked(scores)
    reasons: list[str] = []
    pick = picked_application if picked_application in catalog.applications else None
    if picked_application and pick is None:
        reasons.append(f"picked application {picked_application!r} is not in the catalog")
    if candidates:
        best, best_score = candidates[0]
        pick_score = scores.get(pick, 0.0) if pick else 0.0
        if pick is None or _text_overrides_pick(best, best_score, pick, pick_score):
            if pick:
                reasons.append(f"the text names {best}, not the picked {pick}")
            reasons.append(f"text names {best} (score {best_score})")
            return _decided(
                catalog, best, "text_match", _text_confidence(candidates), candidates, reasons
            )
        if pick_score > 0:
            reasons.append(f"picked {pick}, which the text names too")
        else:
            reasons.append(f"picked {pick}; the text's {best} is too faint to override it")
        confidence = 0.95 if best == pick else 0.75
        return _decided(catalog, pick, "application_pick", confidence, candidates, reasons)
    if pick:
        reasons.append(f"picked {pick}; the text names no application")
        return _decided(catalog, pick, "application_pick", 0.8, candidates, reasons)
    return _by_topic(tokens, catalog, candidates, reasons)


def ticket_type_of(text: str) -> TicketType:
    """The first cue decides: "góp ý: nên cho NSD tự reset mật khẩu" is a proposal.

    A proposal word directly before a request ("đề xuất cấp quyền cho anh A") is the
    administrative way of asking, so the request wins there.
    """
    text_words = words(text)
    request = cues.first_cue(text_words, cues.SERVICE_REQUEST)
    proposal = cues.first_cue(text_words, cues.PROPOSAL)
    if proposal and (request is None or proposal[1] + 2 < request[0]):
        return "proposal"
    return "service_request" if request else "incident"


def _ranked(scores: dict[str, float]) -> tuple[tuple[str, float], ...]:
    """Best first; on a tie, the one named first (dicts keep the order of first mention)."""
    order = {key: i for i, key in enumerate(scores)}
    ranked = sorted(scores, key=lambda key: (-round(scores[key], 2), order[key]))
    return tuple((key, round(scores[key], 2)) for key in ranked)


def _text_overrides_pick(best: str, best_score: float, pick: str, pick_score: float) -> bool:
    return (
        best != pick and best_score >= _CLEAR_MENTION and pick_score < _PICK_HOLDS_AT * best_score
    )


def _scores(tokens: Tokens, mentions: list[Mention]) -> dict[str, float]:
    """Every mention adds its weight, raised near a fault cue and lowered where "it works"."""
    problems = cues.problem_spans(tokens.words)
    working = cues.find_cues(tokens.words, cues.WORKING)
    scores: dict[str, float] = defaultdict(float)
    for mention in mentions:
        scores[mention.key] += mention.weight * _context(mention, tokens, problems, working)
    return dict(scores)


def _context(
    mention: Mention, tokens: Tokens, problems: list[cues.Span], working: list[cues.Span]
) -> float:
    clause = tokens.clause[mention.start]
    # A fault cue speaks of what stands in its own clause: right next to "lỗi" doubles the
    # weight, a few words away still counts for something.
    gaps = [
        max(0, start - mention.end, mention.start - end)
        for start, end in problems
        if tokens.clause[start] == clause
    ]
    if gaps:
        return 1.0 + 1.0 / (1.0 + min(gaps) / 2.0)
    works = any(tokens.clause[start] == clause for start, _ in working)
    return _WORKING_FACTOR if works else 1.0


def _text_confidence(candidates: tuple[tuple[str, float], ...]) -> float:
    """Higher when one application stands alone and is named strongly (not just "AP")."""
    best = candidates[0][1]
    share = best / sum(score for _, score in candidates)
    strength = min(1.0, best / 2.0)
    return round(0.4 + 0.3 * share + 0.2 * strength, 2)


def _decided(
    catalog: Catalog,
    application: str,
    source: Source,
    confidence: float,
    candidates: tuple[tuple[str, float], ...],
    reasons: list[str],
) -> Classification:
    group = catalog.applications[application].group
    reasons.append(f"{application} belongs to group {group}")
    return Classification(
        application, group, confidence, source, MODEL_VERSION, candidates, tuple(reasons)
    )


def _by_topic(
    tokens: Tokens,
    catalog: Catalog,
    candidates: tuple[tuple[str, float], ...],
    reasons: list[str],
) -> Classification:
    """No application named: the group's topic words (printers, network…), else triage."""
    topics = _scores(tokens, find_mentions(tokens.words, topic_phrases(catalog)))
    if not topics:
        reasons.append("no application or topic recognised: Service Desk triage")
        return Classification(
            None, TRIAGE_GROUP, 0.1, "triage", MODEL_VERSION, candidates, tuple(reasons)
        )
    group, score = _ranked(topics)[0]
    share = score / sum(topics.values())
    reasons.append(f"topic words of group {group} (score {score})")
    confidence = round(0.3 + 0.3 * share, 2)
    return Classification(
        None, group, confidence, "topic", MODEL_VERSION, candidates, tuple(reasons)
    )
