"""The organisation in force on a date (SPEC §1: units, offices and their links are dated).

The catalog holds every organisation the desk has known: the 2023 one (63 provinces, each
with its provincial treasury and IT office, district treasuries under them) closed by
`valid_to`, and the 2025 one (20 regional treasuries from 1 March 2025, 34 provinces from
1 July 2025) opened by `valid_from`. Nothing is deleted, so an old code still resolves for
history and QLYC imports; `OrgView` answers the questions a new request asks on a given day:
which province or unit carries on an old one, which regional treasury covers a province, and
which IT office answers it at L1.

Pure functions of the catalog and a date: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from libs.catalog.model import Catalog, ItOffice, Province, Region, RegionPeriod, Unit

#: A successor chain longer than this is a loop (the loader refuses loops; this is a guard).
_MAX_HOPS = 16

_Dated = TypeVar("_Dated", "Province", "Unit", "ItOffice")


def valid_on(entry: Province | Unit | ItOffice, on: date) -> bool:
    """Whether a dated entry is in force on `on` (both ends inclusive)."""
    return entry.valid_from <= on and (entry.valid_to is None or on <= entry.valid_to)


@dataclass(frozen=True)
class Remapped:
    """An old code met on a new request, and what it stands for on that day."""

    given: str
    current: str
    #: A sentence for the ticket (English; the names are Vietnamese as in the catalog).
    note: str


@dataclass(frozen=True)
class RegionOnDay:
    region: Region
    period: RegionPeriod

    @property
    def code(self) -> str:
        return self.region.code

    @property
    def name(self) -> str:
        return self.period.name


class OrgView:
    """The catalog seen on one day. Look-ups accept any code the catalog has ever had."""

    def __init__(self, catalog: Catalog, on: date) -> None:
        self.catalog = catalog
        self.on = on

    # -- provinces ------------------------------------------------------------------------

    def provinces(self) -> list[Province]:
        """The provinces in force on the day (63 before 1 July 2025, 34 from then)."""
        return [p for p in self.catalog.provinces.values() if valid_on(p, self.on)]

    def province(self, code: str) -> Province | None:
        """The province in force that carries on `code` (itself when still in force)."""
        return _follow(self.catalog.provinces, code, self.on)

    def province_code(self, code: str | None) -> str | None:
        """`province(code).code`, or `code` unchanged when the catalog does not know it."""
        if code is None:
            return None
        found = self.province(code)
        return found.code if found else code

    def predecessors(self, code: str) -> list[str]:
        """The old provinces whose successor chain leads to `code` (the ones it absorbed)."""
        return sorted(
            p.code
            for p in self.catalog.provinces.values()
            if p.code != code and p.successor is not None and self.province_code(p.code) == code
        )

    def province_remap(self, code: str) -> Remapped | None:
        """A note when a request names a province that is no longer in force."""
        old = self.catalog.provinces.get(code)
        new = self.province(code)
        if old is None or new is None or new.code == old.code:
            return None
        note = (
            f"Province {old.code} ({old.name}) ended on {old.valid_to}; "
            f"filed under its successor {new.code} ({new.name})."
        )
        return Remapped(old.code, new.code, note)

    # -- units ------------------------------------------------------------------------------

    def unit(self, code: str) -> Unit | None:
        """The unit in force that carries on `code` (itself when still in force)."""
        return _follow(self.catalog.units, code, self.on)

    def unit_remap(self, code: str) -> Remapped | None:
        """A note when a request names a unit closed by a reorganisation."""
        old = self.catalog.units.get(code)
        new = self.unit(code)
        if old is None or new is None or new.code == old.code:
            return None
        note = (
            f"Unit {old.code} ({old.name}) closed on {old.valid_to}; "
            f"filed under its successor {new.code} ({new.name})."
        )
        return Remapped(old.code, new.code, note)

    # -- regions and L1 offices -------------------------------------------------------------

    def regions(self) -> list[RegionOnDay]:
        found = []
        for region in self.catalog.regions.values():
            period = region.period_on(self.on)
            if period is not None:
                found.append(RegionOnDay(region, period))
        return found

    def region_of(self, province: str | None) -> RegionOnDay | None:
        """The regional treasury covering `province` (any code, mapped to the day's one)."""
        current = self.province_code(province)
        if current is None:
            return None
        return next((r for r in self.regions() if current in r.period.provinces), None)

    def regional_office(self, province: str | None) -> str | None:
        """The IT function of the regional treasury covering `province`, if any that day."""
        region = self.region_of(province)
        return region.region.it_office if region else None

    def office(self, code: str | None) -> ItOffice | None:
        """The IT office `code` if it is open on the day."""
        found = self.catalog.it_offices.get(code) if code else None
        return found if found is not None and valid_on(found, self.on) else None

    def provinces_served_by(self, office: str) -> set[str]:
        """Province codes (of the day, and every old code leading to them) an office answers:
        its own province for a provincial office, the region's for a regional one."""
        found = self.catalog.it_offices.get(office)
        if found is None:
            return set()
        served: set[str] = set()
        for region in self.regions():
            if region.region.it_office == office:
                served |= set(region.period.provinces)
        if not served and found.province is not None:
            served.add(self.province_code(found.province) or found.province)
        return {p for p in self.catalog.provinces if self.province_code(p) in served} | served


def _follow(entries: dict[str, _Dated], code: str, on: date) -> _Dated | None:
    """`entries[code]`, or the successor in force on `on` when it had closed before that day."""
    entry = entries.get(code)
    hops = 0
    while entry is not None and entry.valid_to is not None and entry.valid_to < on:
        successor = getattr(entry, "successor", None)
        if successor is None or successor not in entries or hops >= _MAX_HOPS:
            return entry
        entry = entries[successor]
        hops += 1
    return entry


def office_serves(catalog: Catalog, office: str, province: str | None) -> bool:
    """Whether `office` has ever answered `province` at L1 (any code of it, old or new): its
    own province for a provincial office; for a regional IT function, every province its region
    covered in any period. Dateless on purpose: a ticket keeps the office it had, and the staff
    of a province may act on it whether it was filed before or after a reorganisation."""
    if province is None:
        return False
    family = _family(catalog, province)
    found = catalog.it_offices.get(office)
    if found is not None and found.province is not None and found.province in family:
        return True
    for region in catalog.regions.values():
        if region.it_office != office:
            continue
        if any(family & set(p.provinces) for p in region.periods):
            return True
    return False


def _family(catalog: Catalog, province: str) -> set[str]:
    """`province`, the provinces it merged into, and the ones that merged into those."""
    latest = _follow(catalog.provinces, province, date.max)
    root = latest.code if latest else province
    members = {province, root}
    for code in catalog.provinces:
        found = _follow(catalog.provinces, code, date.max)
        if found is not None and found.code == root:
            members.add(code)
    return members
