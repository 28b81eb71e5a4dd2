"""How well routing classifies and links, measured on labelled data it never trained on."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from libs.catalog.model import DuplicatePolicy
from services.routing.domain.examples import LabelledTicket
from services.routing.domain.outage_scenarios import Scenario
from services.routing.domain.outages import OpenIncident, Report, parent_for

#: text, picked application → (application, group, type) as routing decides them.
Classifier = Callable[[str, str | None], tuple[str | None, str, str]]
#: text, picked application → (application, type): what duplicate detection needs.
Reader = Callable[[str, str | None], tuple[str | None, str]]


@dataclass
class Accuracy:
    """Correct answers out of a count, overall and per (true) group."""

    correct: Counter[str] = field(default_factory=Counter)
    total: Counter[str] = field(default_factory=Counter)

    def add(self, group: str, ok: bool) -> None:
        for key in ("all", group):
            self.total[key] += 1
            self.correct[key] += ok

    def rate(self, key: str = "all") -> float:
        return self.correct[key] / self.total[key] if self.total[key] else 0.0


@dataclass
class ClassificationReport:
    application: Accuracy = field(default_factory=Accuracy)
    group: Accuracy = field(default_factory=Accuracy)
    type: Accuracy = field(default_factory=Accuracy)
    #: (true group, decided group) → count.
    group_confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    type_confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    mistakes: list[tuple[LabelledTicket, tuple[str | None, str, str]]] = field(default_factory=list)

    @property
    def groups(self) -> list[str]:
        return sorted(k for k in self.group.total if k != "all")


def evaluate_classification(
    examples: Iterable[LabelledTicket], classify: Classifier
) -> ClassificationReport:
    report = ClassificationReport()
    for example in examples:
        decided = classify(example.text, example.pick)
        application, group, type_ = decided
        report.application.add(example.group, application == example.application)
        report.group.add(example.group, group == example.group)
        report.type.add(example.group, type_ == example.type)
        report.group_confusion[(example.group, group)] += 1
        report.type_confusion[(example.type, type_)] += 1
        if decided != (example.application, example.group, example.type):
            report.mistakes.append((example, decided))
    return report


@dataclass(frozen=True)
class LinkReport:
    true_links: int
    predicted_links: int
    correct_links: int
    #: (scenario, report id, expected parent, linked parent) for every disagreement.
    disagreements: tuple[tuple[str, str, str | None, str | None], ...]

    @property
    def precision(self) -> float:
        return self.correct_links / self.predicted_links if self.predicted_links else 1.0

    @property
    def recall(self) -> float:
        return self.correct_links / self.true_links if self.true_links else 1.0


def evaluate_linking(
    scenarios: Sequence[Scenario], read: Reader, policy: DuplicatePolicy
) -> LinkReport:
    true_links = predicted = correct = 0
    disagreements: list[tuple[str, str, str | None, str | None]] = []
    for scenario in scenarios:
        linked = replay(scenario, read, policy)
        for item in scenario.reports:
            got = linked.get(item.id)
            true_links += item.parent is not None
            predicted += got is not None
            correct += got is not None and got == item.parent
            if got != item.parent:
                disagreements.append((scenario.name, item.id, item.parent, got))
    return LinkReport(true_links, predicted, correct, tuple(disagreements))


def replay(scenario: Scenario, read: Reader, policy: DuplicatePolicy) -> dict[str, str | None]:
    """Feed the reports in time order, as routing would, resolving parents when told to.

    Monitoring's incidents carry their application and are parents, never children."""
    roots: dict[str, OpenIncident] = {}
    parent_of: dict[str, str | None] = {}
    for item in sorted(scenario.reports, key=lambda r: r.minute):
        for resolved, minute in scenario.resolutions.items():
            if minute <= item.minute:
                roots.pop(resolved, None)
        at = scenario.start + timedelta(minutes=item.minute)
        if item.from_monitoring:
            parent_of[item.id] = None
            application = item.known_application or read(item.text, item.pick)[0]
            roots[item.id] = OpenIncident(item.id, application, at, at, item.text, monitoring=True)
            continue
        application, type_ = read(item.text, item.pick)
        report = Report(item.id, application, type_, at, item.text, item.unit)
        match = parent_for(report, roots.values(), policy)
        parent_of[item.id] = match.parent_id if match else None
        if match:
            roots[match.parent_id] = roots[match.parent_id].reported_by(item.unit, at)
        elif type_ == "incident" and application:
            units = frozenset({item.unit}) if item.unit else frozenset()
            roots[item.id] = OpenIncident(item.id, application, at, at, item.text, units=units)
    return parent_of


def confusion_table(counts: Counter[tuple[str, str]], labels: Sequence[str]) -> list[str]:
    """Rows: the true label; columns: what was decided."""
    width = max(len(label) for label in labels) + 1
    short = {label: label[:7] for label in labels}
    lines = [" " * width + "".join(f"{short[c]:>8}" for c in labels)]
    for row in labels:
        cells = "".join(f"{counts.get((row, col), 0):>8}" for col in labels)
        lines.append(f"{row:<{width}}{cells}")
    return lines


def per_group_rows(report: ClassificationReport) -> list[tuple[str, int, float, float, float]]:
    """(group, tickets, application, group and type accuracy) per true group, then "all"."""
    return [
        (
            group,
            report.group.total[group],
            report.application.rate(group),
            report.group.rate(group),
            report.type.rate(group),
        )
        for group in [*report.groups, "all"]
    ]
