"""The measures `make eval` prints: accuracy per group, confusion, and link precision/recall."""

from __future__ import annotations

from datetime import UTC, datetime

from libs.catalog.model import DuplicatePolicy
from services.routing.domain.evaluation import (
    confusion_table,
    evaluate_classification,
    evaluate_linking,
)
from services.routing.domain.examples import LabelledTicket
from services.routing.domain.outage_scenarios import Scenario, ScenarioReport

POLICY = DuplicatePolicy()


def test_accuracy_is_counted_per_true_group_and_overall() -> None:
    examples = [
        LabelledTicket("a", "TABMIS", "incident", "TABMIS"),
        LabelledTicket("b", "TABMIS", "incident", "TABMIS"),
        LabelledTicket("c", "PAYMENT", "service_request", "TTSP"),
    ]
    answers = {"a": ("TABMIS", "TABMIS", "incident"), "b": ("TTSP", "PAYMENT", "incident")}

    report = evaluate_classification(
        examples, lambda text, _: answers.get(text, ("TTSP", "PAYMENT", "incident"))
    )

    assert report.group.rate("TABMIS") == 0.5 and report.group.rate("PAYMENT") == 1.0
    assert round(report.type.rate(), 2) == 0.67
    assert report.group_confusion[("TABMIS", "PAYMENT")] == 1
    assert len(report.mistakes) == 2
    table = confusion_table(report.group_confusion, ["TABMIS", "PAYMENT"])
    assert table[1].split() == ["TABMIS", "1", "1"]


def test_links_are_scored_against_the_labelled_parents() -> None:
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    scenario = Scenario(
        "s",
        start,
        (
            ScenarioReport("a", 0, "Không vào được QLTS, lỗi 500"),
            ScenarioReport("b", 5, "QLTS không truy cập được, lỗi 500", parent="a"),
            ScenarioReport("c", 9, "QLTS in thẻ tài sản sai mẫu in", parent="a"),
            ScenarioReport("d", 40, "QLTS lại không vào được"),
        ),
        {"a": 30},
    )

    report = evaluate_linking([scenario], lambda text, _: ("QLTS", "incident"), POLICY)

    assert (report.true_links, report.predicted_links, report.correct_links) == (2, 1, 1)
    assert (report.precision, report.recall) == (1.0, 0.5)
    assert report.disagreements == (("s", "c", "a", None),)
