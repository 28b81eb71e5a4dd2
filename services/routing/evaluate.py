"""`make eval`: how well routing classifies and links, on labelled data it never trained on.

Trains the model on `catalog/training/train/`, then classifies every ticket of
`catalog/training/holdout/` exactly as the service does (rules, signals, model) and prints
the accuracy of application, group and type per group and overall, with confusion tables;
then replays the outage scenarios of `catalog/training/outages.yaml` and prints the
precision and recall of the duplicate links. Then the same for the second evaluation set
(`catalog/training/second/`, issue 15): its tickets and the labelled reports of its outage
bursts, and the links of those bursts. `--mistakes` lists what it got wrong.
"""

from __future__ import annotations

import argparse
import sys
import time

from libs.catalog import load_catalog
from libs.catalog.model import GROUP_CODES, Catalog
from services.routing.adapters.corpus import (
    HOLDOUT,
    SECOND,
    TICKET_TYPES,
    TRAIN,
    load_examples,
    load_examples_by_file,
    load_scenario_examples,
    load_scenarios,
)
from services.routing.domain.classify import classify
from services.routing.domain.evaluation import (
    ClassificationReport,
    LinkReport,
    confusion_table,
    evaluate_classification,
    evaluate_linking,
    per_group_rows,
)
from services.routing.domain.handler_agreement import PhaseAgreement, first_handler_agreement
from services.routing.domain.learning import train_model
from services.routing.domain.ticket_text import without_signature

#: The held-out file written after the rules were frozen, reported on its own as well.
BLIND = "blind"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mistakes", action="store_true", help="list every wrong answer")
    args = parser.parse_args(argv)
    catalog = load_catalog()
    train = load_examples(catalog, TRAIN)
    holdout_files = load_examples_by_file(catalog, HOLDOUT)
    holdout = [e for examples in holdout_files.values() for e in examples]
    blind = holdout_files.get(BLIND, [])
    started = time.perf_counter()
    model = train_model(train)  # the service's recipe: all but the held-back slice
    trained_in = time.perf_counter() - started

    def decide(text: str, pick: str | None) -> tuple[str | None, str, str]:
        result = classify(without_signature(text), catalog, pick, model)
        return result.application, result.group, result.type

    def read(text: str, pick: str | None) -> tuple[str | None, str]:
        application, _, type_ = decide(text, pick)
        return application, type_

    policy = catalog.routing.duplicates
    report = evaluate_classification(holdout, decide)
    links = evaluate_linking(load_scenarios(catalog), read, policy)
    second_tickets = load_examples(catalog, SECOND)
    second_reports = load_scenario_examples(catalog, file_name=f"{SECOND}/outages.yaml")
    second = evaluate_classification([*second_tickets, *second_reports], decide)
    second_links = evaluate_linking(
        load_scenarios(catalog, file_name=f"{SECOND}/outages.yaml"), read, policy
    )
    print(
        f"Model {model.version}: trained on {model.trained_on} of the {len(train)} training"
        f" tickets in {trained_in:.1f} s (the rest is held back to compare versions);"
    )
    temperatures = ", ".join(f"{head} {t:g}" for head, t in model.temperatures.items())
    print(f"calibration temperatures (1 = raw scores kept): {temperatures}.")
    print(f"\n== The first set: {len(holdout)} held-out tickets it never saw ==\n")
    _print_classification(report)
    if blind:
        _print_blind(evaluate_classification(blind, decide))
    _print_links(links, catalog)
    _print_first_handlers(first_handler_agreement(holdout, decide, catalog))
    print(
        f"\n== The second set (catalog/training/{SECOND}/, frozen before it was measured):"
        f" {len(second_tickets)} tickets and {len(second_reports)} reports of outage bursts =="
        "\n"
    )
    _print_classification(second)
    _print_links(second_links, catalog)
    _print_first_handlers(
        first_handler_agreement([*second_tickets, *second_reports], decide, catalog)
    )
    if args.mistakes:
        print("\n-- first set --")
        _print_mistakes(report, links)
        print("\n-- second set --")
        _print_mistakes(second, second_links)
    return 0


def _print_classification(report: ClassificationReport) -> None:
    print(f"{'group':<14}{'tickets':>8}{'application':>13}{'group':>8}{'type':>8}")
    for group, count, application, group_rate, type_rate in per_group_rows(report):
        if group == "all":
            print("-" * 51)
        print(f"{group:<14}{count:>8}{application:>13.1%}{group_rate:>8.1%}{type_rate:>8.1%}")
    print("\nGroup confusion (rows: true group, columns: decided group)")
    print("\n".join(confusion_table(report.group_confusion, GROUP_CODES)))
    print("\nType confusion (rows: true type, columns: decided type)")
    print("\n".join(confusion_table(report.type_confusion, TICKET_TYPES)))


def _print_blind(report: ClassificationReport) -> None:
    print(
        f"\nOf which {report.group.total['all']} written after the rules were frozen"
        f" ({BLIND}.yaml): application {report.application.rate():.1%},"
        f" group {report.group.rate():.1%}, type {report.type.rate():.1%}"
    )


def _print_links(links: LinkReport, catalog: Catalog) -> None:
    policy = catalog.routing.duplicates
    print(
        f"\nDuplicate linking on the outage scenarios (window {policy.window_minutes} min,"
        f" min similarity {policy.min_similarity}):"
    )
    print(
        f"  {links.true_links} true links, {links.predicted_links} made,"
        f" {links.correct_links} right: precision {links.precision:.1%},"
        f" recall {links.recall:.1%}"
    )


def _print_first_handlers(phases: list[PhaseAgreement]) -> None:
    print(
        "\nFirst handler per policy phase: the handler the phase gives routing's classification"
        "\nagrees with the one it gives the labels (the sets label no handlers; each ticket is"
        "\nasked by one requester of each kind, on the phase's first day):"
    )
    for phase in phases:
        print(
            f"  {phase.policy_id:<9} from {phase.effective_from}: {phase.same}/{phase.asked}"
            f" = {phase.rate:.1%}"
        )
        for miss, times in phase.misses[:3]:
            print(f"      {times}× {miss}")


def _print_mistakes(report: ClassificationReport, links: LinkReport) -> None:
    print("\nMistakes (expected → decided):")
    for example, (application, group, type_) in report.mistakes:
        text = " ".join(example.text.split())[:110]
        print(
            f"  {example.application or '-'}/{example.group}/{example.type}"
            f" → {application or '-'}/{group}/{type_}: {text}"
        )
    for scenario, report_id, expected, got in links.disagreements:
        print(f"  {scenario} {report_id}: parent {expected or '-'} expected, {got or '-'} made")


if __name__ == "__main__":
    sys.exit(main())
