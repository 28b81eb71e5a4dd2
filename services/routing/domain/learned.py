"""The trained part of the classifier: group, type and application guessed from wording.

The rules name what the catalog lists; this model answers for the rest ("giấy rút dự toán
bị trả về", "nhờ cài office cho máy mới"), learned from labelled tickets. It is a linear
model over TF-IDF of folded words and character n-grams: trained in about a second on a
few thousand tickets, deterministic (same examples, same model), and small enough to keep
every version. Character n-grams forgive what users do to Vietnamese: missing tone marks,
glued words ("ttlkbt4"), typos.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

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
    """Three linear heads (group, type, application) over one shared text representation."""

    def __init__(self, examples: Sequence[LabelledTicket], version: str = "") -> None:
        if len({e.group for e in examples}) < 2:
            raise ValueError("a model needs examples of at least two groups")
        ordered = sorted(examples, key=lambda e: (e.text, e.group, e.type))
        self.fingerprint = fingerprint(ordered)
        self.version = version or f"clf-{self.fingerprint}"
        self.trained_on = len(ordered)
        self._features = FeatureUnion(
            [
                ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)),
                (
                    "chars",
                    TfidfVectorizer(
                        analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2
                    ),
                ),
            ]
        )
        matrix = self._features.fit_transform([model_text(e.text) for e in ordered])
        self._heads = {
            "group": _fit(matrix, [e.group for e in ordered]),
            "type": _fit(matrix, [e.type for e in ordered]),
            "application": _fit(matrix, [e.application_label for e in ordered]),
        }

    def with_version(self, version: str) -> TicketModel:
        """The same fitted model under the name its store gave it."""
        self.version = version
        return self

    def predict(self, text: str) -> Prediction:
        row = self._features.transform([model_text(text)])
        group, type_, application = (
            _best(self._heads[name], row) for name in ("group", "type", "application")
        )
        return Prediction(
            group=group,
            type=type_,
            application=None if application.label == NO_APPLICATION else application,
        )


def _fit(matrix: object, labels: list[str]) -> LogisticRegression | str:
    """A head with one label only (e.g. no proposals yet) always answers that label."""
    if len(set(labels)) == 1:
        return labels[0]
    head = LogisticRegression(C=20.0, max_iter=5000, class_weight="balanced")
    head.fit(matrix, labels)
    return head


def _best(head: LogisticRegression | str, row: object) -> Guess:
    if isinstance(head, str):
        return Guess(head, 1.0)
    probabilities = head.predict_proba(row)[0]
    index = int(probabilities.argmax())
    return Guess(str(head.classes_[index]), round(float(probabilities[index]), 3))
