"""Which application and priority an Alertmanager alert has: catalog/alert_labels.yaml.

Validated at start-up like the rest of the catalog (file:line: field: reason). Kept as data
(SPEC §5 "other labels can be mapped to one in data"): a new exporter needs a rule, not code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from libs.catalog import Catalog, CatalogError
from libs.catalog.loader import DEFAULT_CATALOG_DIR, Problem, _Origin, _parse, _validate

DEFAULT_FILE = DEFAULT_CATALOG_DIR / "alert_labels.yaml"
Priority = Literal["P1", "P2", "P3", "P4"]
PRIORITIES = ("P1", "P2", "P3", "P4")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Defaults(_Strict):
    priority: Priority = "P2"


class _Rule(_Strict):
    match: dict[str, str] = Field(min_length=1)
    application: str


class _File(_Strict):
    defaults: _Defaults = Field(default_factory=_Defaults)
    severity: dict[str, Priority] = Field(default_factory=dict)
    applications: list[_Rule] = Field(default_factory=list)


@dataclass(frozen=True)
class AlertLabels:
    known: frozenset[str]
    rules: tuple[tuple[Mapping[str, str], str], ...] = ()
    severity: Mapping[str, str] | None = None
    default_priority: str = "P2"

    def application_of(self, labels: Mapping[str, str]) -> str | None:
        """The `application` label when it is a catalog code, else the first matching rule."""
        named = labels.get("application", "").strip().upper()
        if named in self.known:
            return named
        for match, application in self.rules:
            if all(labels.get(k) == v for k, v in match.items()):
                return application
        return None

    def priority_of(self, labels: Mapping[str, str]) -> str:
        given = labels.get("priority", "").strip().upper()
        if given in PRIORITIES:
            return given
        by_severity = (self.severity or {}).get(labels.get("severity", "").strip().lower())
        return by_severity or self.default_priority


def load_alert_labels(catalog: Catalog, path: Path | None = None) -> AlertLabels:
    """Read and check the file; `CatalogError` lists every problem."""
    file = path or DEFAULT_FILE
    problems: list[Problem] = []
    doc = _parse(file, problems)
    parsed = None if doc is None else _validate(_File, doc.data, _Origin(doc, ()), problems)
    if isinstance(parsed, _File) and doc is not None:
        for index, rule in enumerate(parsed.applications):
            if rule.application not in catalog.applications:
                problems.append(
                    _Origin(doc, ("applications", index)).problem(
                        "application", reason=f"{rule.application!r} is not a catalog application"
                    )
                )
    if problems or not isinstance(parsed, _File):
        raise CatalogError.of(problems)
    return AlertLabels(
        known=frozenset(catalog.applications),
        rules=tuple((dict(r.match), r.application) for r in parsed.applications),
        severity={k.lower(): v for k, v in parsed.severity.items()},
        default_priority=parsed.defaults.priority,
    )
