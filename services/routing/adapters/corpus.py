"""The labelled tickets and outage scenarios shipped under `catalog/training/`.

`train/*.yaml` teaches the classifier; `holdout/*.yaml` is never trained on and is what
`make eval` measures; `outages.yaml` holds the duplicate-linking scenarios. `second/` is the
second evaluation set (issue 15): `tickets.yaml` and `outages.yaml`, written and frozen before
anyone looked at how routing does on them; its outage reports are labelled tickets too, and
name their outage by `cluster` rather than by `parent`. A mistake in a file (unknown
application, group or type) is a `CatalogError` naming the file and entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from libs.catalog.loader import CatalogError, catalog_dir
from libs.catalog.model import GROUP_CODES, Catalog
from services.routing.domain.examples import LabelledTicket
from services.routing.domain.outage_scenarios import Scenario, ScenarioReport

TICKET_TYPES = ("incident", "service_request", "proposal")
TRAIN = "train"
HOLDOUT = "holdout"
#: The second evaluation set's folder (never trained on).
SECOND = "second"


def training_dir(folder: Path | str | None = None) -> Path:
    return catalog_dir(folder) / "training"


def load_examples(
    catalog: Catalog, split: str = TRAIN, folder: Path | str | None = None
) -> list[LabelledTicket]:
    """Every labelled ticket of `split` (`train` or `holdout`), in file order."""
    by_file = load_examples_by_file(catalog, split, folder)
    return [example for examples in by_file.values() for example in examples]


def load_examples_by_file(
    catalog: Catalog, split: str = TRAIN, folder: Path | str | None = None
) -> dict[str, list[LabelledTicket]]:
    """The labelled tickets of `split`, by file name (without `.yaml`)."""
    found: dict[str, list[LabelledTicket]] = {}
    for file in sorted((training_dir(folder) / split).glob("*.yaml")):
        entries = _read(file).get("tickets") or []
        found[file.stem] = [
            _example(catalog, entry, _Where(file, f"tickets[{index}]"))
            for index, entry in enumerate(entries)
        ]
    return found


def load_scenarios(
    catalog: Catalog, folder: Path | str | None = None, file_name: str = "outages.yaml"
) -> list[Scenario]:
    """The outage scenarios of `file_name` under the training folder (e.g. `second/outages.yaml`).

    A report names its parent (`parent`) or its outage (`cluster`): the parent of a cluster is
    its monitoring incident when it has one, else its first report."""
    file = training_dir(folder) / file_name
    scenarios: list[Scenario] = []
    for index, entry in enumerate(_read(file).get("scenarios") or []):
        where = _Where(file, f"scenarios[{index}]")
        start = datetime.fromisoformat(str(entry["start"]))
        raw = sorted(entry["reports"], key=lambda r: int(r["at"]))
        roots = _cluster_roots(raw)
        reports = [
            ScenarioReport(
                id=str(r["id"]),
                minute=int(r["at"]),
                text=str(r["text"]),
                pick=_application(catalog, r.get("pick"), where),
                parent=_parent(r, roots),
                unit=str(r["unit"]) if r.get("unit") else None,
                channel=str(r["channel"]) if r.get("channel") else None,
                known_application=(
                    _application(catalog, r.get("app"), where)
                    if r.get("channel") == "monitoring"
                    else None
                ),
            )
            for r in raw
        ]
        resolutions = {str(r["id"]): int(r["at"]) for r in entry.get("resolve") or []}
        scenarios.append(Scenario(str(entry["name"]), start, tuple(reports), resolutions))
    return scenarios


def load_scenario_examples(
    catalog: Catalog, folder: Path | str | None = None, file_name: str = "outages.yaml"
) -> list[LabelledTicket]:
    """The labelled reports of the scenarios (those with `app` or `group`), as tickets.

    Monitoring's incidents are left out: monitoring sets their application, nobody classifies
    them."""
    file = training_dir(folder) / file_name
    examples: list[LabelledTicket] = []
    for index, entry in enumerate(_read(file).get("scenarios") or []):
        for number, report in enumerate(entry["reports"]):
            labelled = "app" in report or "group" in report
            if labelled and report.get("channel") != "monitoring":
                where = _Where(file, f"scenarios[{index}].reports[{number}]")
                examples.append(_example(catalog, report, where))
    return examples


def _cluster_roots(reports: list[dict[str, Any]]) -> dict[str, str]:
    """Cluster → the id of its parent: its monitoring incident, else its first report."""
    roots: dict[str, str] = {}
    for report in sorted(reports, key=lambda r: r.get("channel") != "monitoring"):
        if report.get("cluster") is not None:
            roots.setdefault(str(report["cluster"]), str(report["id"]))
    return roots


def _parent(report: dict[str, Any], roots: dict[str, str]) -> str | None:
    if report.get("parent"):
        return str(report["parent"])
    cluster = report.get("cluster")
    root = roots.get(str(cluster)) if cluster is not None else None
    return None if root == str(report["id"]) else root


@dataclass(frozen=True)
class _Where:
    file: Path
    entry: str

    def error(self, reason: str) -> CatalogError:
        return CatalogError(self.file, None, self.entry, reason)


def _read(file: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise CatalogError(file, None, "", str(error)) from error
    if not isinstance(data, dict):
        raise CatalogError(file, 1, "", "expected a mapping")
    return data


def _example(catalog: Catalog, entry: dict[str, Any], where: _Where) -> LabelledTicket:
    application = _application(catalog, entry.get("app"), where)
    group = catalog.applications[application].group if application else entry.get("group")
    if group not in GROUP_CODES:
        raise where.error(f"group {group!r} is not one of {', '.join(GROUP_CODES)}")
    if entry.get("type") not in TICKET_TYPES:
        raise where.error(f"type {entry.get('type')!r} is not one of {', '.join(TICKET_TYPES)}")
    return LabelledTicket(
        text=str(entry["text"]),
        group=str(group),
        type=str(entry["type"]),
        application=application,
        pick=_application(catalog, entry.get("pick"), where),
    )


def _application(catalog: Catalog, code: Any, where: _Where) -> str | None:
    if code is None:
        return None
    if code not in catalog.applications:
        raise where.error(f"{code!r} is not an application of the catalog")
    return str(code)
