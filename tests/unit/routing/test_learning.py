"""Versions of the model: deterministic, and used only when they do not do worse."""

from __future__ import annotations

from dataclasses import replace

from services.routing.domain.examples import fingerprint, held_back, split_for_gate
from services.routing.domain.learned import TicketModel
from services.routing.domain.learning import score, train_and_gate

from .shipped import HOLDOUT, TRAIN, catalog, examples, model


def test_the_held_back_slice_is_stable_and_about_a_fifth() -> None:
    train, gate = split_for_gate(examples(TRAIN))

    assert 0.12 <= len(gate) / len(examples(TRAIN)) <= 0.28
    assert all(held_back(e) for e in gate) and not any(held_back(e) for e in train)


def test_the_same_examples_make_the_same_model() -> None:
    shuffled = list(reversed(examples(TRAIN)))
    again = TicketModel([e for e in shuffled if not held_back(e)])

    assert again.fingerprint == model().fingerprint
    for example in examples(HOLDOUT)[:20]:
        assert again.predict(example.text) == model().predict(example.text)


def test_the_model_reads_wording_the_rules_do_not_list() -> None:
    prediction = model().predict("nho cai lai win va office cho may moi")

    assert (prediction.group.label, prediction.type.label) == ("WORKSTATION", "service_request")


def test_the_first_version_is_always_adopted() -> None:
    outcome = train_and_gate(examples(TRAIN), catalog(), None, "clf-1")

    assert outcome.adopted and outcome.current_scores is None
    assert outcome.candidate_scores.group >= 0.9
    assert outcome.sources == {"corpus": len(examples(TRAIN))}


def test_a_version_taught_wrong_labels_is_not_adopted() -> None:
    sabotaged = [
        replace(e, group="SERVICE_DESK", application=None, type="proposal", origin="operator")
        for e in examples(TRAIN)[::2]
    ]
    mixed = [*sabotaged, *examples(TRAIN)[1::2]]

    outcome = train_and_gate(mixed, catalog(), model(), "clf-2")

    assert not outcome.adopted
    assert "worse than" in outcome.reason
    assert outcome.sources == {"corpus": len(mixed) - len(sabotaged), "operator": len(sabotaged)}


def test_scores_are_measured_the_way_the_service_decides() -> None:
    scores = score(model(), examples(HOLDOUT), catalog())

    assert scores.examples == len(examples(HOLDOUT))
    assert scores.group >= 0.9 and scores.application >= 0.9 and scores.type >= 0.9
    assert fingerprint(examples(HOLDOUT)) != fingerprint(examples(TRAIN))
