"""Application, group and type of a ticket from its text (SPEC §3.1, §3.2).

In order: the applications the text names (catalog names, aliases, codes and the routing
signals, weighed by how specific they are and whether a fault is said of them), else the
topics of a group (printers, network…), else the trained model, else Service Desk triage.
Every decision carries its reasons, so an operator who reclassifies sees what misled it,
and `model_version` names the rules and the model that made it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Literal, Protocol

from libs.catalog.model import Catalog
from services.routing.domain import cues
from services.routing.domain.learned import Prediction
from services.routing.domain.mentions import (
    Mention,
    PhraseIndex,
    Tokens,
    application_phrases,
    find_mentions,
    tokenize,
    topic_phrases,
)
from services.routing.domain.ticket_type import TicketType, type_of

MODEL_VERSION = "rules-2"
TRIAGE_GROUP = "SERVICE_DESK"

Source = Literal["application_pick", "text_match", "topic", "model", "triage"]

#: A text that names another application with at least this score overrides the pick...
_CLEAR_MENTION = 1.0
#: ...unless the picked application is named too, with at least this share of the winner's score.
_PICK_HOLDS_AT = 0.5
#: "TTSP vẫn bình thường": a mention in a clause that says the system works counts far less.
_WORKING_FACTOR = 0.4
#: "mã QHNS 1023456" identifies the requester's unit; it does not say QHNS is at fault.
_IDENTIFIER_FACTOR = 0.3
#: Topic words outweigh a named application only when they weigh this many times more
#: ("máy tính tại bộ phận một cửa bị nhiễm virus" is about the computer, not DVC).
_TOPIC_OVER_APPLICATION = 2.0
#: Two scores within this factor are "about the same": the model arbitrates between them.
_CLOSE = 1.5
#: A topic this strong (a fault said of it, or named twice) overrides the requester's pick.
_STRONG_TOPIC = 2.0
#: The model names an application only when this sure of it.
_MODEL_APPLICATION_AT = 0.6


class TicketGuesser(Protocol):
    """The trained model as the classifier uses it (services/routing/domain/learned.py)."""

    version: str

    def predict(self, text: str) -> Prediction: ...


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
    type: TicketType = "incident"


@dataclass(frozen=True)
class _Vocabulary:
    applications: PhraseIndex
    topics: PhraseIndex


_VOCABULARIES: dict[int, tuple[Catalog, _Vocabulary]] = {}


def classify(
    text: str,
    catalog: Catalog,
    picked_application: str | None = None,
    model: TicketGuesser | None = None,
    min_confidence: float | None = None,
    pick_is_known: bool = False,
) -> Classification:
    """Application and group from the text or the pick, then the ticket's type.

    The pick list is often left on its first entry, so a text that clearly names another
    application (or clearly speaks of a printer) wins; the caller keeps the pick on the ticket.
    A pick that is known rather than chosen (`pick_is_known`: the monitoring service names
    the application it watches) is never overridden by the text.
    """
    decision = _Decision(text, catalog, picked_application, model, min_confidence)
    if pick_is_known and decision.pick:
        decision.reasons.append(f"{decision.pick} is known, not picked: the alert is about it")
        decision.known = True
    return decision.classification()


class _Decision:
    """One classification, computed step by step; `reasons` records each step taken."""

    def __init__(
        self,
        text: str,
        catalog: Catalog,
        picked: str | None,
        model: TicketGuesser | None,
        min_confidence: float | None,
    ) -> None:
        self.text = text
        self.catalog = catalog
        self.model = model
        self.min_confidence = (
            catalog.routing.classifier.min_confidence if min_confidence is None else min_confidence
        )
        self.version = f"{MODEL_VERSION}+{model.version}" if model else MODEL_VERSION
        self.reasons: list[str] = []
        self.pick = picked if picked in catalog.applications else None
        if picked and self.pick is None:
            self.reasons.append(f"picked application {picked!r} is not in the catalog")
        vocabulary = _vocabulary(catalog)
        tokens = self.tokens = tokenize(text)
        self.app_scores = _scores(tokens, find_mentions(tokens, vocabulary.applications))
        self.topic_scores = _scores(tokens, find_mentions(tokens, vocabulary.topics))
        self.candidates = _ranked(self.app_scores)
        self._prediction: Prediction | None = None
        #: The pick is a fact (a monitored application), not a requester's choice.
        self.known = False

    @property
    def prediction(self) -> Prediction | None:
        if self._prediction is None and self.model is not None:
            self._prediction = self.model.predict(self.text)
        return self._prediction

    def classification(self) -> Classification:
        application, group, confidence, source = self._application_and_group()
        ticket_type = self._type()
        return Classification(
            application,
            group,
            round(confidence, 3),
            source,
            self.version,
            self.candidates,
            tuple(self.reasons),
            ticket_type,
        )

    # -- application and group ----------------------------------------------------------

    def _application_and_group(self) -> tuple[str | None, str, float, Source]:
        if self.known and self.pick:
            return self._decided(self.pick, "application_pick", 1.0)
        topic = self._topic()
        if self.candidates:
            best, best_score = self.candidates[0]
            if topic and self._topic_outweighs(topic, best, best_score):
                return self._by_topic(topic)
            return self._by_application(best, best_score)
        if self.pick:
            if topic and topic[1] >= _STRONG_TOPIC:
                self.reasons.append(
                    f"the text names no application but clearly speaks of group {topic[0]}"
                    f" (score {topic[1]}), not of the picked {self.pick}"
                )
                return self._by_topic(topic)
            self.reasons.append(f"picked {self.pick}; the text names no application")
            return self._decided(self.pick, "application_pick", 0.8)
        if cues.unidentified(self.tokens.words, self.tokens.sentence):
            self.reasons.append(
                "the requester cannot tell which application fails: Service Desk triage"
            )
            return None, TRIAGE_GROUP, 0.5, "triage"
        if topic:
            return self._by_topic(topic)
        return self._by_model()

    def _topic(self) -> tuple[str, float] | None:
        """The best topic; between two close ones, the one the model prefers."""
        ranked = _ranked(self.topic_scores)
        if not ranked:
            return None
        if len(ranked) > 1 and ranked[1][1] * _CLOSE >= ranked[0][1]:
            preferred = self._model_group()
            if preferred == ranked[1][0]:
                self.reasons.append(
                    f"topics of {ranked[0][0]} and {ranked[1][0]} weigh about the same;"
                    f" the model reads {preferred}"
                )
                return ranked[1]
        return ranked[0]

    def _topic_outweighs(self, topic: tuple[str, float], best: str, best_score: float) -> bool:
        """Topic words of another group beat a named application when far heavier, or when
        about as heavy and the model reads the topic's group ("em gửi yêu cầu qua hotrocntt
        mà không nhận được mail" is about the request system)."""
        group, score = topic
        if score >= _TOPIC_OVER_APPLICATION * best_score:
            self.reasons.append(
                f"topic words of group {group} (score {score}) outweigh the mention of"
                f" {best} (score {best_score})"
            )
            return True
        other_group = group != self._group_of(best)
        if other_group and score * _CLOSE >= best_score and self._model_group() == group:
            self.reasons.append(
                f"topic words of group {group} (score {score}) weigh about as much as the"
                f" mention of {best} (score {best_score}), and the model reads {group}"
            )
            return True
        return False

    def _model_group(self) -> str | None:
        """The model's group when it is sure enough to arbitrate, else None."""
        prediction = self.prediction
        if prediction is None or prediction.group.probability < self.min_confidence:
            return None
        return prediction.group.label

    def _by_application(self, best: str, best_score: float) -> tuple[str, str, float, Source]:
        pick = self.pick
        pick_score = self.app_scores.get(pick, 0.0) if pick else 0.0
        if pick is None or _text_overrides_pick(best, best_score, pick, pick_score):
            if pick:
                self.reasons.append(f"the text names {best}, not the picked {pick}")
            self.reasons.append(f"text names {best} (score {best_score})")
            return self._decided(best, "text_match", _text_confidence(self.candidates))
        if pick_score > 0:
            self.reasons.append(f"picked {pick}, which the text names too")
        else:
            self.reasons.append(f"picked {pick}; the text's {best} is too faint to override it")
        return self._decided(pick, "application_pick", 0.95 if best == pick else 0.75)

    def _by_topic(self, topic: tuple[str, float]) -> tuple[None, str, float, Source]:
        group, score = topic
        share = score / sum(self.topic_scores.values())
        self.reasons.append(f"topic words of group {group} (score {score})")
        return None, group, 0.3 + 0.3 * share, "topic"

    def _by_model(self) -> tuple[str | None, str, float, Source]:
        prediction = self.prediction
        if prediction is None:
            self.reasons.append("no application or topic recognised: Service Desk triage")
            return None, TRIAGE_GROUP, 0.1, "triage"
        guess = prediction.group
        if guess.probability < self.min_confidence:
            self.reasons.append(
                f"no application or topic recognised; the model's best guess {guess.label}"
                f" ({guess.probability:.2f}) is below {self.min_confidence}: Service Desk triage"
            )
            return None, TRIAGE_GROUP, guess.probability, "triage"
        application = prediction.application
        if (
            application is not None
            and application.probability >= _MODEL_APPLICATION_AT
            and self._group_of(application.label) == guess.label
        ):
            self.reasons.append(
                f"model {self.version} reads {application.label}"
                f" ({application.probability:.2f}) in the wording"
            )
            return self._decided(application.label, "model", guess.probability)
        self.reasons.append(
            f"model {self.version} reads group {guess.label} ({guess.probability:.2f})"
        )
        return None, guess.label, guess.probability, "model"

    def _decided(
        self, application: str, source: Source, confidence: float
    ) -> tuple[str, str, float, Source]:
        group = self._group_of(application)
        self.reasons.append(f"{application} belongs to group {group}")
        return application, group, confidence, source

    def _group_of(self, application: str) -> str:
        return self.catalog.applications[application].group

    # -- type -----------------------------------------------------------------------------

    def _type(self) -> TicketType:
        ticket_type, why = type_of(self.tokens, lambda: self.prediction)
        if why:
            self.reasons.append(why)
        return ticket_type


def _vocabulary(catalog: Catalog) -> _Vocabulary:
    """Phrases built once per catalog (a catalog is immutable once loaded)."""
    cached = _VOCABULARIES.get(id(catalog))
    if cached is not None and cached[0] is catalog:
        return cached[1]
    if len(_VOCABULARIES) > 16:
        _VOCABULARIES.clear()
    vocabulary = _Vocabulary(
        PhraseIndex(application_phrases(catalog)), PhraseIndex(topic_phrases(catalog))
    )
    _VOCABULARIES[id(catalog)] = (catalog, vocabulary)
    return vocabulary


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
    """Every mention adds its weight, raised near a fault cue and lowered where "it works".

    A mention inside a "the screen says" phrase is no mention of a monitor, and "gửi ảnh qua
    mail" says how the user writes, not what fails.
    """
    problems = cues.problem_spans(tokens.words)
    working = cues.find_cues(tokens.words, cues.WORKING)
    display = cues.find_cues(tokens.words, (*cues.DISPLAY, *cues.CHANNEL))
    scores: dict[str, float] = defaultdict(float)
    for mention in mentions:
        if any(start <= mention.start and mention.end <= end for start, end in display):
            continue
        scores[mention.key] += mention.weight * _context(mention, tokens, problems, working)
    return dict(scores)


def _context(
    mention: Mention, tokens: Tokens, problems: list[cues.Span], working: list[cues.Span]
) -> float:
    if _is_identifier(mention, tokens):
        return _IDENTIFIER_FACTOR
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


def _is_identifier(mention: Mention, tokens: Tokens) -> bool:
    """A code followed by a long number is a unit's identifier ("mã QHNS 1023456")."""
    after = tokens.words[mention.end] if mention.end < len(tokens.words) else ""
    return after.isdigit() and len(after) >= 5


def _text_confidence(candidates: tuple[tuple[str, float], ...]) -> float:
    """Higher when one application stands alone and is named strongly (not just "AP")."""
    best = candidates[0][1]
    share = best / sum(score for _, score in candidates)
    strength = min(1.0, best / 2.0)
    return round(0.4 + 0.3 * share + 0.2 * strength, 2)
