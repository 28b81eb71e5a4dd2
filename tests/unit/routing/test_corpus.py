"""The labelled corpus shipped in catalog/training/: enough, varied, and a quarter held out."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from libs.catalog import CatalogError
from services.routing.adapters.corpus import load_examples, load_scenarios

from .shipped import HOLDOUT, TRAIN, catalog, examples


def test_there_are_at_least_400_tickets_and_at_least_a_quarter_is_held_out() -> None:
    train, holdout = examples(TRAIN), examples(HOLDOUT)
    total = len(train) + len(holdout)

    assert total >= 400
    assert 0.25 <= len(holdout) / total <= 0.35
    assert not {e.text for e in train} & {e.text for e in holdout}


def test_every_application_and_every_group_has_examples_of_its_own() -> None:
    everything = [*examples(TRAIN), *examples(HOLDOUT)]
    applications = Counter(e.application for e in everything if e.application)
    topic_groups = Counter(e.group for e in everything if e.application is None)

    assert set(applications) == set(catalog().applications)
    assert min(applications.values()) >= 7
    assert {"WORKSTATION", "TECHNICAL", "SERVICE_DESK"} <= set(topic_groups)
    assert Counter(e.type for e in everything).keys() == {"incident", "service_request", "proposal"}


def test_the_styles_users_write_in_are_all_there() -> None:
    texts = [e.text for e in [*examples(TRAIN), *examples(HOLDOUT)]]

    def share(predicate: object) -> int:
        return sum(1 for t in texts if predicate(t))  # type: ignore[operator]

    assert share(lambda t: t.isascii()) >= 60  # written without tone marks
    assert share(lambda t: "\n" in t and "Trân trọng" in t) >= 10  # e-mails with a signature
    assert share(lambda t: t.startswith(("Gọi", "Operator", "Ghi nhận"))) >= 20  # phone notes
    assert share(lambda t: "ORA-" in t or "FRM-" in t or "HTTP 50" in t) >= 15  # screen errors
    assert share(lambda t: t.startswith("Dear")) >= 8  # English
    assert sum(1 for e in examples(TRAIN) if e.pick and e.pick != e.application) >= 8


def test_the_outage_scenarios_load_with_their_labels() -> None:
    scenarios = load_scenarios(catalog())

    assert len(scenarios) >= 10
    assert sum(1 for s in scenarios for r in s.reports if r.parent) >= 20
    assert sum(1 for s in scenarios for r in s.reports if not r.parent) >= 25


def test_a_bad_label_names_its_file_and_entry(tmp_path: Path) -> None:
    folder = tmp_path / "training" / "train"
    folder.mkdir(parents=True)
    (folder / "x.yaml").write_text('tickets:\n- {app: NOPE, type: incident, text: "x"}\n')

    with pytest.raises(CatalogError) as error:
        load_examples(catalog(), TRAIN, folder=tmp_path)

    assert "x.yaml" in str(error.value) and "tickets[0]" in str(error.value)
