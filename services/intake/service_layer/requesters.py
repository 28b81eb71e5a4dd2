"""Who is asking: a directory user by e-mail, a catalog unit, or a declared unit (SPEC §1, §7).

A directory user may give only their e-mail; what they give explicitly (a unit code, a
declared unit, a phone) wins over the directory, because people move and the directory lags.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from libs.catalog.model import Catalog
from libs.catalog.requester import UnknownUnit, resolve_requester_unit
from services.intake.adapters.directory import RequesterDirectory


class RequesterProblem(ValueError):
    """`field` is the path under `requester` to correct."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class ResolvedRequester:
    requester: dict[str, Any]
    unit_kind: str | None
    province: str | None


async def resolve_requester(
    given: dict[str, Any], directory: RequesterDirectory, catalog: Catalog
) -> ResolvedRequester:
    email = (given.get("email") or "").strip().lower() or None
    entry = await directory.find(email) if email else None
    unit_code = (given.get("unit_code") or "").strip().upper() or None
    declared = given.get("unit")
    if entry is not None and not unit_code and not declared:
        unit_code, declared = entry.unit_code, entry.unit
    name = (given.get("name") or "").strip() or (entry.name if entry else "")
    if not name:
        raise RequesterProblem("name", "required for a requester outside the directory")
    if not unit_code and not declared:
        where = f"{email} is not in the requester directory" if email else "no unit given"
        raise RequesterProblem(
            "unit_code", f"{where}; give unit_code or a declared unit {{kind, province, name}}"
        )
    try:
        unit = resolve_requester_unit(catalog, unit_code=unit_code, declared=declared)
    except UnknownUnit as error:
        raise RequesterProblem(error.field, error.reason) from error
    requester = {
        "name": name,
        "email": email,
        "phone": given.get("phone") or (entry.phone if entry else None),
        "unit_code": unit_code,
        "unit": declared,
    }
    return ResolvedRequester(requester, unit.kind, unit.province)
