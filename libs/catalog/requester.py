"""Which unit a request comes from: a catalog unit, a declared one, or nobody known yet (SPEC §1).

Routing needs only the unit's kind and province. A sender outside the directory declares them
on the web form (kept as *declared* for operators to see); an unknown e-mail sender has
neither, and routing sends it to central triage until its unit is confirmed.

Given the day of the request (`on`), a code of an older organisation is read as what carries it
on that day: a 2023 unit code as its successor (a district treasury → its transaction office
or regional treasury), a province absorbed on 1 July 2025 as the province it merged into. The
old code still resolves (an import of 2024 keeps it: it was in force then), and each mapping
comes back as a note for the ticket.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
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
    #: What was mapped from an older organisation (one sentence each), for the ticket.
    notes: tuple[str, ...] = ()


UNKNOWN = RequesterUnit("unknown", None, None, declared=False, name=None)


def resolve_requester_unit(
    catalog: Catalog,
    unit_code: str | None = None,
    declared: Mapping[str, str | None] | None = None,
    on: date | None = None,
) -> RequesterUnit:
    """A known unit code wins; else the declaration `{kind, province, name}`; else unknown.
    With `on`, codes of an older organisation are mapped to what carries them on that day."""
    if unit_code:
        unit = catalog.units.get(unit_code)
        if unit is not None:
            notes: list[str] = []
            if on is not None:
                remap = catalog.as_of(on).unit_remap(unit.code)
                if remap is not None:
                    unit = catalog.units[remap.current]
                    notes.append(remap.note)
            province, province_notes = _province_on(catalog, unit.province, on)
            return RequesterUnit(
                unit.kind,
                province,
                unit.code,
                declared=False,
                name=unit.name,
                notes=(*notes, *province_notes),
            )
        if not declared or declared.get("kind") != "budget_unit":
            raise UnknownUnit("unit_code", f"no unit has code {unit_code!r}")
    if declared:
        return _declared(catalog, declared, unit_code, on)
    return UNKNOWN


def _province_on(
    catalog: Catalog, code: str | None, on: date | None
) -> tuple[str | None, tuple[str, ...]]:
    """The province in force on `on` that carries `code` on, and the note when it differs."""
    if code is None or on is None:
        return code, ()
    remap = catalog.as_of(on).province_remap(code)
    return (remap.current, (remap.note,)) if remap else (code, ())


def _declared(
    catalog: Catalog,
    declared: Mapping[str, str | None],
    qhns_code: str | None,
    on: date | None = None,
) -> RequesterUnit:
    kind = declared.get("kind") or ""
    if kind not in UNIT_KINDS:
        raise UnknownUnit("unit.kind", f"{kind!r} is not one of {', '.join(UNIT_KINDS)}")
    province: str | None = None
    notes: tuple[str, ...] = ()
    # Central kinds have no province even if one is typed in (SPEC §1).
    if kind not in CENTRAL_KINDS:
        given = (declared.get("province") or "").strip()
        if not given:
            raise UnknownUnit("unit.province", f"a {kind} unit must name its province")
        found = catalog.province_by_name_or_code(given)
        if found is None:
            raise UnknownUnit("unit.province", f"no province is called {given!r}")
        province, notes = _province_on(catalog, found.code, on)
    name = (declared.get("name") or "").strip() or None
    return RequesterUnit(
        cast(UnitKind, kind), province, qhns_code, declared=True, name=name, notes=notes
    )
