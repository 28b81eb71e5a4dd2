"""The trained part of the classifier: group, type and application guessed from wording.

The rules name what the catalog lists; this model answers for the rest ("giấy rút dự toán
bị trả về", "nhờ cài office cho máy mới"), learned from labelled tickets. It is a linear
model over TF-IDF of folded words and character n-grams: trained in about a second on a
few thousand tickets, deterministic (same examples, same model), and small enough to keep
every version. Character n-grams forgive what users do to Vietnamese: missing tone marks,
glued words ("ttlkbt4"), typos.

Its probabilities are *calibrated* against over-confidence: each head's scores are divided by
a temperature fitted on out-of-fold predictions (the scores the head gives to tickets it did
not learn from), never below 1, so that "unsure" sends a ticket to Service Desk triage rather
than to a group the model merely leans towards.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from libs.text import words
from services.routing.domain.cues import spell_out
from services.routing.domain.examples import NO_APPLICATION, LabelledTicket, fingerprint


@dataclass(frozen=True)
class Guess:
    """The model's best label of one kind and how sure it is (its probability)."""

    label: str
    probability: float


@dataclass(frozen=True)
class Prediction:
    group: Guess
    type: Guess
    #: None when the model's best guess is "no application".
    application: Guess | None


def model_text(text: str) -> str:
    """Folded words with chat abbreviations spelled out: "ko vao dc" → "khong vao duoc"."""
    expanded, _ = spell_out(words(text))
    return " ".join(expanded)


class TicketModel:
    """Three linear heads (group, type, application) over one shared text representation.

    Prediction computes the TF-IDF weights and the heads' scores directly with numpy:
    scikit-learn's per-call checks cost ten times the arithmetic for one ticket.
    """

    def __init__(self, examples: Sequence[LabelledTicket], version: str = "") -> None:
        if len({e.group for e in examples}) < 2:
            raise ValueError("a model needs examples of at least two groups")
        ordered = sorted(examples, key=lambda e: (e.text, e.group, e.type))
        self.fingerprint = fingerprint(ordered)
        self.version = version or f"clf-{self.fingerprint}"
        self.trained_on = len(ordered)
        texts = [model_text(e.text) for e in ordered]
        vectorizers = [
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
        ]
        matrix = hstack([v.fit_transform(texts) for v in vectorizers]).tocsr()
        self._features = _Features(vectorizers)
        # Group and type probabilities decide (triage below `min_confidence`, the type over
        # the default): those heads are calibrated. The application's only confirms a group.
        self._heads = {
            "group": _Head.fit(matrix, [e.group for e in ordered], calibrate=True),
            "type": _Head.fit(matrix, [e.type for e in ordered], calibrate=True),
            "application": _Head.fit(matrix, [e.application_label for e in ordered]),
        }

    @property
    def temperatures(self) -> dict[str, float]:
        """Each head's calibration temperature, for the evaluation's report."""
        return {name: getattr(head, "temperature", 1.0) for name, head in self._heads.items()}

    def with_version(self, version: str) -> TicketModel:
        """The same fitted model under the name its store gave it."""
        self.version = version
        return self

    def predict(self, text: str) -> Prediction:
        columns, weights = self._features.weights(model_text(text))
        group, type_, application = (
            self._heads[name].best(columns, weights) for name in ("group", "type", "application")
        )
        return Prediction(
            group=group,
            type=type_,
            application=None if application.label == NO_APPLICATION else application,
        )


class _Features:
    """TF-IDF of one text as (column, weight) pairs, the way the fitted vectorizers weigh it."""

    def __init__(self, vectorizers: list[TfidfVectorizer]) -> None:
        self._parts = []
        offset = 0
        for vectorizer in vectorizers:
            vocabulary: dict[str, int] = vectorizer.vocabulary_
            self._parts.append((vectorizer.build_analyzer(), vocabulary, vectorizer.idf_, offset))
            offset += len(vocabulary)

    def weights(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        columns: list[np.ndarray] = []
        weights: list[np.ndarray] = []
        for analyze, vocabulary, idf, offset in self._parts:
            counts = Counter(t for t in analyze(text) if t in vocabulary)
            if not counts:
                continue
            index = np.fromiter((vocabulary[t] for t in counts), dtype=np.int64, count=len(counts))
            tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=float, count=len(counts)))
            weight = tf * idf[index]
            columns.append(index + offset)
            weights.append(weight / np.linalg.norm(weight))
        if not columns:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        return np.concatenate(columns), np.concatenate(weights)


@dataclass(frozen=True)
class _Head:
    classes: tuple[str, ...]
    #: (classes, features) for a multinomial head, (1, features) for a binary one.
    coef: np.ndarray
    intercept: np.ndarray
    #: What the raw scores were divided by (1: not calibrated, or not over-confident).
    temperature: float = 1.0

    @classmethod
    def fit(cls, matrix: Any, labels: list[str], calibrate: bool = False) -> _Head:
        """A head with one label only (e.g. no proposals yet) always answers that label."""
        if len(set(labels)) == 1:
            return cls((labels[0],), np.zeros((0, 0)), np.zeros(0))
        head = _regression().fit(matrix, labels)
        classes = tuple(str(c) for c in head.classes_)
        temperature = _temperature(matrix, labels, classes) if calibrate else 1.0
        return cls(classes, head.coef_ / temperature, head.intercept_ / temperature, temperature)

    def best(self, columns: np.ndarray, weights: np.ndarray) -> Guess:
        if len(self.classes) == 1:
            return Guess(self.classes[0], 1.0)
        scores = self.coef[:, columns] @ weights + self.intercept
        if len(self.classes) == 2:  # binary: one score, for the second class
            second = 1.0 / (1.0 + np.exp(-scores[0]))
            probabilities = np.array([1.0 - second, second])
        else:
            exp = np.exp(scores - scores.max())
            probabilities = exp / exp.sum()
        index = int(probabilities.argmax())
        return Guess(self.classes[index], round(float(probabilities[index]), 3))


def _regression(tol: float = 1e-4) -> LogisticRegression:
    """Newton-CG reaches the same optimum as the default solver in a tenth of the time here."""
    return LogisticRegression(
        C=20.0, max_iter=5000, class_weight="balanced", solver="newton-cg", tol=tol
    )


#: The folds only estimate how sure the head is: a looser fit is enough and much quicker.
_FOLD_TOLERANCE = 1e-2


#: Temperatures tried when calibrating (1 = the raw scores; higher = less sure). Never below 1:
#: the folds are the corpus's own writing, on which the model is if anything too modest
#: (fitted 0.5-0.75), while on other people's tickets it is too sure (the second evaluation
#: set, catalog/training/second/): sharpening it would send fewer unsure tickets to triage.
_TEMPERATURES = tuple(round(1.0 + 0.25 * i, 2) for i in range(17))
_FOLDS = 3


def _temperature(matrix: Any, labels: list[str], classes: tuple[str, ...]) -> float:
    """The temperature that makes out-of-fold probabilities best predict the true labels (the
    lowest log loss); 1 when a label is too rare to hold some of it out."""
    counts = Counter(labels)
    if min(counts.values()) < _FOLDS:
        return 1.0
    target = np.array([classes.index(label) for label in labels])
    scores = np.zeros((len(labels), len(classes)))
    folds = StratifiedKFold(n_splits=_FOLDS, shuffle=True, random_state=0)
    for learn, held in folds.split(np.zeros(len(labels)), labels):
        fold = _regression(_FOLD_TOLERANCE).fit(matrix[learn], [labels[i] for i in learn])
        raw = fold.decision_function(matrix[held])
        if len(classes) == 2:
            raw = np.column_stack([np.zeros_like(raw), raw])
        scores[held] = raw
    return min(_TEMPERATURES, key=lambda t: _log_loss(scores / t, target))


def _log_loss(scores: np.ndarray, target: np.ndarray) -> float:
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probabilities = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_probabilities[np.arange(len(target)), target].mean())
