"""Labelled tickets: what the classifier learns from and what it is measured against.

They come from the corpus shipped under `catalog/training/` and from every operator
reclassification (SPEC §3.1: "reclassifications are events and teach the classifier").
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

NO_APPLICATION = "-"


@dataclass(frozen=True)
class LabelledTicket:
    text: str
    group: str
    type: str
    application: str | None = None
    #: The application the requester picked in the form, when the example has one.
    pick: str | None = None
    #: "corpus" or "reclassification" (an operator's correction).
    origin: str = "corpus"

    @property
    def application_label(self) -> str:
        return self.application or NO_APPLICATION


def held_back(example: LabelledTicket, every: int = 5) -> bool:
    """One example in `every`, chosen by its text: the same ones whatever else is added.

    Every model version is gated on this slice, so no version has trained on it and a
    comparison between two versions is fair.
    """
    digest = hashlib.sha256(example.text.encode()).digest()
    return int.from_bytes(digest[:8], "big") % every == 0


def split_for_gate(
    examples: Iterable[LabelledTicket], every: int = 5
) -> tuple[list[LabelledTicket], list[LabelledTicket]]:
    """(to train on, held back to compare versions)."""
    train: list[LabelledTicket] = []
    gate: list[LabelledTicket] = []
    for example in examples:
        (gate if held_back(example, every) else train).append(example)
    return train, gate


def fingerprint(examples: Sequence[LabelledTicket]) -> str:
    """Identifies a training set: the same examples give the same model and the same id."""
    digest = hashlib.sha256()
    for example in sorted(examples, key=_sort_key):
        digest.update(repr(_sort_key(example)).encode())
    return digest.hexdigest()[:10]


def _sort_key(example: LabelledTicket) -> tuple[str, str, str, str]:
    return (example.text, example.group, example.type, example.application_label)
