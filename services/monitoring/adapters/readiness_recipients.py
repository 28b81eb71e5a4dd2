"""Who gets the readiness report and who hears of a failed login (catalog data, SPEC §5).

`catalog/readiness_recipients.yaml` names the department leaders (To:) and the groups whose
leads get it too (Cc:); the leads' addresses are the groups' `lead_email` in `groups.yaml`, so
an address is written once. Validated at start-up with the catalog's machinery: a problem
stops the service with `catalog/readiness_recipients.yaml:LINE: field: reason`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from libs.catalog.loader import CatalogError, Problem, _Origin, _parse, _validate
from libs.catalog.model import Catalog

_EMAIL = r"^[^@\s<>,]+@[^@\s<>,]+\.[^@\s<>,]+$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Leader(_Strict):
    name: str = Field(min_length=1)
    title: str = ""
    email: str = Field(pattern=_EMAIL)


class RecipientsEntry(_Strict):
    department_leaders: list[Leader] = Field(default_factory=list)
    group_leads: Literal["all"] | list[str] = "all"


class RecipientsFile(_Strict):
    readiness_recipients: RecipientsEntry


@dataclass(frozen=True)
class Recipients:
    """Addresses as `Name <address>`, ready for a header."""

    to: tuple[str, ...]
    cc: tuple[str, ...]

    @property
    def everyone(self) -> tuple[str, ...]:
        return self.to + self.cc


def lead_of(catalog: Catalog, application: str | None) -> tuple[str | None, str | None]:
    """(group code, its lead's address) for an application of the catalog."""
    app = catalog.applications.get(application or "")
    if app is None:
        return None, None
    group = catalog.groups.get(app.group)
    return app.group, group.lead_email if group else None


def load_recipients(file: Path, catalog: Catalog) -> Recipients:
    problems: list[Problem] = []
    doc = _parse(file, problems)
    top = None if doc is None else _validate(RecipientsFile, doc.data, _Origin(doc, ()), problems)
    if doc is None or not isinstance(top, RecipientsFile):
        raise CatalogError.of(problems)
    entry = top.readiness_recipients
    origin = _Origin(doc, ("readiness_recipients",))
    codes = list(catalog.groups) if entry.group_leads == "all" else entry.group_leads
    for index, code in enumerate(codes):
        if code not in catalog.groups:
            known = ", ".join(sorted(catalog.groups))
            problems.append(
                origin.problem("group_leads", index, reason=f"{code!r} is not a group ({known})")
            )
    if not entry.department_leaders and not codes:
        problems.append(origin.problem(reason="name at least one recipient"))
    if problems:
        raise CatalogError.of(problems)
    to = [f"{leader.name} <{leader.email}>" for leader in entry.department_leaders]
    seen = {leader.email.lower() for leader in entry.department_leaders}
    cc = []
    for code in codes:
        group = catalog.groups[code]
        if group.lead_email.lower() not in seen:
            seen.add(group.lead_email.lower())
            cc.append(f"Trưởng nhóm {group.name.removeprefix('Nhóm ')} <{group.lead_email}>")
    return Recipients(tuple(to), tuple(cc))
