"""Which unit a request comes from: a catalog unit, a declared one, or nobody known yet (SPEC §1).

Routing needs only the unit's kind and province. A sender outside the directory declares them
on the web form (kept as *declared* for operators to see); an unknown e-mail sender has
neither, and routing sends it to central triage until its unit is confirmed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, cast

from libs.catalog.model import CENTRAL_KINDS, UNIT_KINDS, Catalog, UnitKind

RequesterKind = UnitKind | Literal["unknown"]


class UnknownUnit(ValueError):
    """A unit the catalog cannot place; `field` names the input to correct (SPEC §8: 4xx)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class RequesterUnit:
    kind: RequesterKind
    #: Province code; None for central kinds and unknown senders.
    province: str | None
    #: A catalog unit, or a budget unit's QHNS code (budget units are too many to list).
    unit_code: str | None
    declared: bool
    name: str | None


UNKNOWN = RequesterUnit("unknown", None, None, declared=False, name=None)


def resolve_requester_unit(
    catalog: Catalog,
    unit_code: str | None = None,
    declared: Mapping[str, str | None] | None = None,
) -> RequesterUnit:
    """A known unit code wins; else the declaration `{kind, province, name}`; else unknown."""
    if unit_code:
        unit = catalog.units.get(unit_code)
        if unit is not None:
            return RequesterUnit(
                unit.kind, unit.province, unit.code, declared=False, name=unit.name
            )
        if not declared or declared.get("kind") != "budget_unit":
            raise UnknownUnit("unit_code", f"no unit has code {unit_code!r}")
    if declared:
        return _declared(catalog, declared, unit_code)
    return UNKNOWN


def _declared(
    catalog: Catalog, declared: Mapping[str, str | None], qhns_code: str | None
) -> RequesterUnit:
    kind = declared.get("kind") or ""
    if kind not in UNIT_KINDS:
        raise UnknownUnit("unit.kind", f"{kind!r} is not one of {', '.join(UNIT_KINDS)}")
    province: str | None = None
    # Central kinds have no province even if one is typed in (SPEC §1).
    if kind not in CENTRAL_KINDS:
        given = (declared.get("province") or "").strip()
        if not given:
            raise UnknownUnit("unit.province", f"a {kind} unit must name its province")
        found = catalog.province_by_name_or_code(given)
        if found is None:
            raise UnknownUnit("unit.province", f"no province is called {given!r}")
        province = found.code
    name = (declared.get("name") or "").strip() or None
    return RequesterUnit(cast(UnitKind, kind), province, qhns_code, declared=True, name=name)
