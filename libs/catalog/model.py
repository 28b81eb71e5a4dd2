"""The organisation as data (SPEC §1, §3.3): the typed shape every catalog file is validated into.

These models are the contract between `catalog/*.yaml` and the services' pure domains. They
carry no behaviour beyond look-ups, so a domain function can take a `Catalog` and stay pure.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from libs.catalog.org import OrgView

UnitKind = Literal[
    "kbnn_central", "kbnn_province", "kbnn_district", "finance_agency", "budget_unit", "ministry"
]
UNIT_KINDS: tuple[str, ...] = (
    "kbnn_central",
    "kbnn_province",
    "kbnn_district",
    "finance_agency",
    "budget_unit",
    "ministry",
)
#: Kinds that belong to the treasury itself (as opposed to external requesters).
TREASURY_KINDS: frozenset[str] = frozenset({"kbnn_central", "kbnn_province", "kbnn_district"})
#: Kinds that never have a province (SPEC §1: "except central ones").
CENTRAL_KINDS: frozenset[str] = frozenset({"kbnn_central", "ministry"})

Scope = Literal["national", "provincial", "local"]
GroupCode = Literal["SERVICE_DESK", "TABMIS", "PAYMENT", "INTERNAL", "WORKSTATION", "TECHNICAL"]
GROUP_CODES: tuple[str, ...] = (
    "SERVICE_DESK",
    "TABMIS",
    "PAYMENT",
    "INTERNAL",
    "WORKSTATION",
    "TECHNICAL",
)
RouteTarget = Literal["province", "central", "ito"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Group(_Strict):
    code: GroupCode
    name: str
    scope: str
    lead_email: str
    #: Words that reveal a topic of this group when no application is named (printers → WORKSTATION).
    topic_keywords: list[str] = Field(default_factory=list)


Cause = Literal[
    "user_error",
    "software_bug",
    "infrastructure",
    "configuration",
    "data",
    "duplicate",
    "fulfilled",
]


class Department(_Strict):
    """A specialist department (L3) of the IT Department, or an external vendor/expert (L4)."""

    code: str
    name: str
    kind: Literal["specialist", "vendor"]
    email: str
    #: Causes (SPEC §3.2) that send a ticket to this department at L3 whatever the application
    #: (a network fault goes to infrastructure, not to the application's developers).
    l3_for_causes: list[Cause] = Field(default_factory=list)


class Application(_Strict):
    code: str
    name: str
    aliases: list[str] = Field(default_factory=list)
    group: GroupCode
    scope: Scope
    specialist_department: str
    vendor: str | None = None
    morning_check: bool = False


class Province(_Strict):
    code: str
    name: str
    #: Other spellings users type ("HCM", "Sài Gòn", "TP.HCM").
    aliases: list[str] = Field(default_factory=list)
    #: The provincial IT office of the 2023 organisation (the historical phases route to it).
    it_office: str
    valid_from: date = date(2000, 1, 1)
    valid_to: date | None = None
    #: The province that carries on after `valid_to` (the 2025 merger): new requests go there.
    successor: str | None = None


class ItOffice(_Strict):
    code: str
    name: str
    province: str | None
    email: str
    valid_from: date = date(2000, 1, 1)
    valid_to: date | None = None


class Unit(_Strict):
    code: str
    name: str
    kind: UnitKind
    province: str | None = None
    parent: str | None = None
    #: The IT office that answers this unit at L1; None for central units (answered centrally).
    it_office: str | None = None
    valid_from: date = date(2000, 1, 1)
    valid_to: date | None = None
    #: The unit that carries on after `valid_to` (a district treasury → a transaction office
    #: or the regional treasury): a new request naming this code is filed under it.
    successor: str | None = None


class RegionPeriod(_Strict):
    """What a regional treasury is called and covers from `valid_from` until its next period."""

    valid_from: date
    name: str
    provinces: list[str]
    #: False marks a sample (not read in a public source), see catalog/regions.yaml.
    verified: bool = False


class Region(_Strict):
    """A regional treasury of the 2025 organisation (Kho bạc Nhà nước khu vực I … XX)."""

    code: str
    seat: str
    #: The regional IT function that answers the region's units at L1.
    it_office: str
    periods: list[RegionPeriod] = Field(min_length=1)

    @property
    def valid_from(self) -> date:
        return min(p.valid_from for p in self.periods)

    def period_on(self, on: date) -> RegionPeriod | None:
        started = [p for p in self.periods if p.valid_from <= on]
        return max(started, key=lambda p: p.valid_from) if started else None


class RouteRule(_Strict):
    """One clause of a decentralisation phase; a `None` condition matches anything."""

    name: str
    target: RouteTarget
    requester_kinds: list[UnitKind] | None = None
    scopes: list[Scope] | None = None
    applications: list[str] | None = None
    #: A rule that belongs to an option (e.g. `ito_outsourcing`) applies only while it is on.
    option: str | None = None


class PolicyVersion(_Strict):
    id: str
    name: str
    effective_from: date
    #: Which L1 a `province` rule names: the unit's provincial IT office (2023 organisation) or
    #: the IT function of the regional treasury covering the unit's province on the day (2025).
    l1_office: Literal["province", "region"] = "province"
    rules: list[RouteRule]


class Signal(_Strict):
    """Words that betray an application without naming it (a screen error, a module)."""

    phrase: str
    application: str
    weight: float = Field(default=1.0, gt=0, le=5)


class DuplicatePolicy(_Strict):
    """When a new incident is another report of an open one (SPEC §3.4)."""

    window_minutes: int = Field(default=60, ge=1)
    min_similarity: float = Field(default=0.5, ge=0, le=1)


class ClassifierPolicy(_Strict):
    """Below `min_confidence` the trained model's guess goes to Service Desk triage."""

    min_confidence: float = Field(default=0.6, ge=0, le=1)


class RoutingPolicy(_Strict):
    versions: list[PolicyVersion]
    options: dict[str, bool] = Field(default_factory=dict)
    #: Name and address of the outsourced 24/7 vendor (ITO).
    ito_name: str = "ITO"
    signals: list[Signal] = Field(default_factory=list)
    duplicates: DuplicatePolicy = Field(default_factory=DuplicatePolicy)
    classifier: ClassifierPolicy = Field(default_factory=ClassifierPolicy)


class Catalog(_Strict):
    groups: dict[str, Group]
    departments: dict[str, Department]
    applications: dict[str, Application]
    provinces: dict[str, Province]
    it_offices: dict[str, ItOffice]
    units: dict[str, Unit]
    routing: RoutingPolicy
    #: The regional treasuries (2025 organisation); empty for a catalog of the 2023 one.
    regions: dict[str, Region] = Field(default_factory=dict)

    def as_of(self, on: date) -> OrgView:
        """The organisation in force on `on` (libs/catalog/org.py)."""
        from libs.catalog.org import OrgView

        return OrgView(self, on)

    def policy_in_force(self, on: date) -> PolicyVersion:
        """The newest version whose effective date is not after `on` (SPEC §3.3)."""
        candidates = [v for v in self.routing.versions if v.effective_from <= on]
        if not candidates:
            return min(self.routing.versions, key=lambda v: v.effective_from)
        return max(candidates, key=lambda v: v.effective_from)

    def policy_named(self, version_id: str) -> PolicyVersion | None:
        return next((v for v in self.routing.versions if v.id == version_id), None)

    def province_by_name_or_code(self, text: str) -> Province | None:
        """Declared provinces arrive as codes or names, with or without diacritics."""
        from libs.text import fold

        wanted = fold(text)
        for province in self.provinces.values():
            names = [province.code, province.name, *province.aliases]
            if any(fold(n) == wanted for n in names):
                return province
        return None
