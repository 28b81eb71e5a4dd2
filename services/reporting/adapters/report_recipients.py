"""Who gets the scheduled reports (catalog/report_recipients.yaml), validated at start-up with
the catalog's machinery: a problem stops the service with `file:LINE: field: reason`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from libs.catalog.loader import CatalogError, Problem, _Origin, _parse, _validate
from libs.catalog.model import Catalog

_EMAIL = r"^[^@\s<>,]+@[^@\s<>,]+\.[^@\s<>,]+$"
ReportKind = Literal["weekly", "monthly", "quarterly"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CentralEntry(_Strict):
    name: str = Field(min_length=1)
    title: str = ""
    email: str = Field(pattern=_EMAIL)
    reports: list[ReportKind] = Field(min_length=1)


def _monthly() -> list[ReportKind]:
    return ["monthly"]


class ProvinceEntry(_Strict):
    province: str = Field(min_length=1)
    name: str = Field(min_length=1)
    email: str = Field(pattern=_EMAIL)
    reports: list[ReportKind] = Field(default_factory=_monthly, min_length=1)


class RecipientsEntry(_Strict):
    central: list[CentralEntry] = Field(default_factory=list)
    provinces: list[ProvinceEntry] = Field(default_factory=list)


class RecipientsFile(_Strict):
    report_recipients: RecipientsEntry


@dataclass(frozen=True)
class Recipient:
    """One address and what it receives; `province` None: the national report."""

    name: str
    email: str
    kinds: frozenset[str]
    province: str | None = None

    @property
    def header(self) -> str:
        return f"{self.name} <{self.email}>"


def load_report_recipients(file: Path, catalog: Catalog) -> list[Recipient]:
    problems: list[Problem] = []
    doc = _parse(file, problems)
    top = None if doc is None else _validate(RecipientsFile, doc.data, _Origin(doc, ()), problems)
    if doc is None or not isinstance(top, RecipientsFile):
        raise CatalogError.of(problems)
    entry = top.report_recipients
    origin = _Origin(doc, ("report_recipients",))
    for index, province in enumerate(entry.provinces):
        if province.province not in catalog.provinces:
            problems.append(
                origin.problem(
                    "provinces",
                    index,
                    "province",
                    reason=f"{province.province!r} is not a province",
                )
            )
    if problems:
        raise CatalogError.of(problems)
    recipients = [Recipient(c.name, c.email, frozenset(c.reports)) for c in entry.central]
    recipients += [
        Recipient(p.name, p.email, frozenset(p.reports), p.province) for p in entry.provinces
    ]
    return recipients
