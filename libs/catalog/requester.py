"""Who a requester is, organisationally: a directory unit or a declared one (SPEC §1)."""

from __future__ import annotations

from dataclasses import dataclass

from libs.catalog.model import CENTRAL_KINDS, UNIT_KINDS, Catalog


@dataclass(frozen=True)
class ResolvedUnit:
    kind: str
    province: str | None
    unit_code: str | None
    name: str
    declared: bool


class UnknownUnit(ValueError):
    """The unit named by a request is not in the catalog; `field` says which part."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def resolve_requester_unit(
    catalog: Catalog,
    unit_code: str | None = None,
    declared_kind: str | None = None,
    declared_province: str | None = None,
    declared_name: str = "",
) -> ResolvedUnit:
    if unit_code:
        unit = catalog.units.get(unit_code.strip().upper())
        if unit is None:
            raise UnknownUnit("unit_code", f"unknown unit code {unit_code!r}")
        return ResolvedUnit(unit.kind, unit.province, unit.code, unit.name, declared=False)
    if declared_kind not in UNIT_KINDS:
        raise UnknownUnit(
            "unit.kind", f"unknown unit kind {declared_kind!r}; one of {', '.join(UNIT_KINDS)}"
        )
    if declared_kind in CENTRAL_KINDS:
        return ResolvedUnit(declared_kind, None, None, declared_name, declared=True)
    if not declared_province:
        raise UnknownUnit("unit.province", f"a {declared_kind} unit needs its province")
    province = catalog.province_by_name_or_code(declared_province)
    if province is None:
        raise UnknownUnit("unit.province", f"unknown province {declared_province!r}")
    return ResolvedUnit(declared_kind, province.code, None, declared_name, declared=True)
