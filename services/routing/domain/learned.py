"""The trained part of the classifier: group, type and application guessed from wording.

The rules name what the catalog lists; this model answers for the rest ("giấy rút dự toán
bị trả về", "nhờ cài office cho máy mới"), learned from labelled tickets. It is a linear
model over TF-IDF of folded words and character n-grams: trained in about a second on a
few thousand tickets, deterministic (same examples, same model), and small enough to keep
every version. Character n-grams forgive what users do to Vietnamese: missing tone marks,
glued words ("ttlkbt4"), typos.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

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
        self._heads = {
            "group": _Head.fit(matrix, [e.group for e in ordered]),
            "type": _Head.fit(matrix, [e.type for e in ordered]),
            "application": _Head.fit(matrix, [e.application_label for e in ordered]),
        }

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

    @classmethod
    def fit(cls, matrix: object, labels: list[str]) -> _Head:
        """A head with one label only (e.g. no proposals yet) always answers that label."""
        if len(set(labels)) == 1:
            return cls((labels[0],), np.zeros((0, 0)), np.zeros(0))
        head = LogisticRegression(C=20.0, max_iter=5000, class_weight="balanced")
        head.fit(matrix, labels)
        return cls(tuple(str(c) for c in head.classes_), head.coef_, head.intercept_)

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
