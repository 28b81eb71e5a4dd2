"""The second evaluation set (catalog/training/second/) and how outage clusters are read."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from libs.catalog.model import DuplicatePolicy
from services.routing.adapters.corpus import (
    SECOND,
    load_examples,
    load_scenario_examples,
    load_scenarios,
)
from services.routing.domain.evaluation import evaluate_linking
from services.routing.domain.outage_scenarios import Scenario, ScenarioReport

from .shipped import TRAIN, catalog, examples

POLICY = DuplicatePolicy(window_minutes=60, min_similarity=0.5)


def test_the_second_set_has_300_new_tickets_none_of_them_trained_on() -> None:
    tickets = load_examples(catalog(), SECOND)
    reports = load_scenario_examples(catalog(), file_name=f"{SECOND}/outages.yaml")
    trained = {e.text for e in examples(TRAIN)}

    assert len(tickets) + len(reports) >= 300
    assert not trained & {e.text for e in [*tickets, *reports]}
    assert {"TECHNICAL", "SERVICE_DESK", "WORKSTATION"} <= {e.group for e in tickets}


def test_a_cluster_is_linked_to_its_monitoring_incident_else_to_its_first_report(
    tmp_path: Path,
) -> None:
    (tmp_path / "training").mkdir()
    (tmp_path / "training" / "bursts.yaml").write_text(
        "scenarios:\n"
        "  - name: s\n"
        '    start: "2026-04-06T07:00:00+07:00"\n'
        "    reports:\n"
        "      - {id: a, at: 1, unit: U1, app: TABMIS, type: incident, cluster: A, text: x}\n"
        "      - {id: m, at: 2, channel: monitoring, app: TABMIS, type: incident, cluster: A,"
        " text: y}\n"
        "      - {id: b, at: 3, unit: U2, app: TABMIS, type: incident, cluster: A, text: z}\n"
        "      - {id: c, at: 4, unit: U3, app: TTSP, type: incident, cluster: B, text: w}\n"
        "      - {id: d, at: 5, unit: U4, app: TTSP, type: incident, cluster: B, text: v}\n"
        "      - {id: e, at: 6, unit: U4, app: TTSP, type: service_request, text: u}\n",
        encoding="utf-8",
    )

    [scenario] = load_scenarios(catalog(), tmp_path, "bursts.yaml")
    parents = {r.id: r.parent for r in scenario.reports}
    labelled = load_scenario_examples(catalog(), tmp_path, "bursts.yaml")

    assert parents == {"a": "m", "m": None, "b": "m", "c": None, "d": "c", "e": None}
    assert [r.known_application for r in scenario.reports if r.from_monitoring] == ["TABMIS"]
    assert len(labelled) == 5  # monitoring's incident is not classified by anyone


def test_the_replay_makes_monitorings_incident_a_parent_and_counts_units() -> None:
    scenario = Scenario(
        "s",
        datetime(2026, 4, 6, 0, 0, tzinfo=UTC),
        (
            ScenarioReport(
                "m", 0, "[Giám sát] QLTS: HTTP 503", channel="monitoring", known_application="QLTS"
            ),
            ScenarioReport("a", 3, "QLTS lỗi rồi", parent="m", unit="U1"),
            ScenarioReport("b", 5, "Nhờ cấp quyền QLTS", unit="U2"),
        ),
    )

    def read(text: str, _: str | None) -> tuple[str | None, str]:
        return "QLTS", "service_request" if "cấp quyền" in text else "incident"

    report = evaluate_linking([scenario], read, POLICY)

    assert (report.true_links, report.correct_links, report.predicted_links) == (1, 1, 1)
