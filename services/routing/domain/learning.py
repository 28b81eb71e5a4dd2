"""Retraining: a new model version is used only if it does not do worse than the current one.

Both are measured the way the service uses them (rules, signals and model together) on the
examples held back from training (`examples.held_back`: the same slice for every version),
so a version that learned from bad reclassifications cannot quietly replace a better one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from libs.catalog.model import Catalog
from services.routing.domain.classify import TicketGuesser, classify
from services.routing.domain.examples import LabelledTicket, split_for_gate
from services.routing.domain.learned import TicketModel
from services.routing.domain.ticket_text import without_signature


@dataclass(frozen=True)
class Scores:
    """Accuracy on the held-back examples; `overall` is the mean of the three."""

    application: float
    group: float
    type: float
    examples: int

    @property
    def overall(self) -> float:
        return round((self.application + self.group + self.type) / 3, 4)

    def as_dict(self) -> dict[str, float]:
        return {
            "application": self.application,
            "group": self.group,
            "type": self.type,
            "overall": self.overall,
            "examples": self.examples,
        }


@dataclass(frozen=True)
class TrainingOutcome:
    candidate: TicketModel
    candidate_scores: Scores
    #: None when there was no model in use (the first version is always adopted).
    current_scores: Scores | None
    adopted: bool
    reason: str
    sources: dict[str, int] = field(default_factory=dict)


def train_model(examples: Sequence[LabelledTicket], version: str = "") -> TicketModel:
    """The one recipe every version follows: learn from all but the held-back slice."""
    learn_from, _ = split_for_gate(examples)
    return TicketModel(learn_from, version=version)


def train_and_gate(
    examples: Sequence[LabelledTicket],
    catalog: Catalog,
    current: TicketGuesser | None,
    version: str = "",
) -> TrainingOutcome:
    _, held_back = split_for_gate(examples)
    candidate = train_model(examples, version)
    candidate_scores = score(candidate, held_back, catalog)
    sources = {
        origin: sum(1 for e in examples if e.origin == origin)
        for origin in sorted({e.origin for e in examples})
    }
    if current is None:
        return TrainingOutcome(candidate, candidate_scores, None, True, "first version", sources)
    current_scores = score(current, held_back, catalog)
    adopted = candidate_scores.overall >= current_scores.overall
    verdict = "not worse than" if adopted else "worse than"
    reason = (
        f"{candidate.version} scores {candidate_scores.overall:.3f} on {len(held_back)}"
        f" held-back tickets, {verdict} {current.version} ({current_scores.overall:.3f})"
    )
    return TrainingOutcome(candidate, candidate_scores, current_scores, adopted, reason, sources)


def score(model: TicketGuesser, examples: Sequence[LabelledTicket], catalog: Catalog) -> Scores:
    right = {"application": 0, "group": 0, "type": 0}
    for example in examples:
        result = classify(without_signature(example.text), catalog, example.pick, model)
        right["application"] += result.application == example.application
        right["group"] += result.group == example.group
        right["type"] += result.type == example.type
    count = max(1, len(examples))
    return Scores(
        round(right["application"] / count, 4),
        round(right["group"] / count, 4),
        round(right["type"] / count, 4),
        len(examples),
    )
