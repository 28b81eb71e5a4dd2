"""`/api/v1/catalog/…`: the codes operators must type, with their Vietnamese names (SPEC §7).

Read from the catalog the gateway loaded (`libs.catalog.load_catalog`), so whatever the data
says — a reorganisation, a new office — is what these lists say. Every entry is the catalog
model as it is (`model_dump`), so a field added to the catalog shows up here too. `q` finds
codes, names and aliases by the beginnings of their words, ignoring case and diacritics
("ha noi", "hni", "thanh toan" find "Hà Nội", "KBNN-HNI", "Nhóm Thanh toán").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from libs.catalog.model import Catalog
from libs.text import words
from services.intake.api.deps import CurrentUser, Services, get_services
from services.intake.api.errors import FieldError
from services.intake.api.query import StrictQuery

router = APIRouter(prefix="/catalog", tags=["catalog"])
Svc = Annotated[Services, Depends(get_services)]
Q = Annotated[str | None, Query(max_length=200, description="words of a code, name or alias")]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


class CatalogPage(BaseModel):
    data: list[dict[str, Any]]
    count: int
    limit: int
    offset: int


def matches(q: str | None, *texts: Any) -> bool:
    """Every word of `q` begins a word of the entry (folded): `ha noi` finds `Hà Nội`,
    `anh` does not find `thanh`."""
    wanted = words(q or "")
    if not wanted:
        return True
    have = words(" ".join(_flat(texts)))
    return all(any(word.startswith(w) for word in have) for w in wanted)


def _flat(values: Iterable[Any]) -> Iterable[str]:
    for value in values:
        if isinstance(value, list | tuple):
            yield from _flat(value)
        elif value is not None:
            yield str(value)


def _page(entries: list[dict[str, Any]], limit: int, offset: int) -> CatalogPage:
    return CatalogPage(
        data=entries[offset : offset + limit], count=len(entries), limit=limit, offset=offset
    )


def _in_force(entry: dict[str, Any], today: date) -> bool:
    starts, ends = entry.get("valid_from"), entry.get("valid_to")
    return (starts is None or starts <= today) and (ends is None or today <= ends)


def _code(field: str, value: str | None, known: Iterable[str], where: str) -> str | None:
    if value is None or not value.strip():
        return None
    code = value.strip().upper()
    if code not in set(known):
        raise FieldError(
            ("query", field),
            f"'{value}' không phải là mã hợp lệ; danh sách ở {where}. / "
            f"'{value}' is not a known code; the codes are listed at {where}.",
        )
    return code


@router.get("/units", response_model=CatalogPage)
async def units(
    svc: Svc,
    user: CurrentUser,
    _strict: StrictQuery,
    q: Q = None,
    kind: Annotated[str | None, Query(description="kbnn_central, kbnn_province, …")] = None,
    province: Annotated[str | None, Query(description="a province code")] = None,
    include_past: Annotated[bool, Query(description="also units no longer in force")] = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> CatalogPage:
    """Units (requesters' offices and agencies): code, Vietnamese name, kind, province, the IT
    office that answers them at L1, and the dates they are in force."""
    catalog = svc.catalog
    wanted_province = _code("province", province, catalog.provinces, "/api/v1/catalog/provinces")
    kinds = {u.kind for u in catalog.units.values()}
    wanted_kind = kind.strip().lower() if kind else None
    if wanted_kind is not None and wanted_kind not in kinds:
        raise FieldError(
            ("query", "kind"),
            f"Loại đơn vị '{kind}' không hợp lệ; chọn một trong: {', '.join(sorted(kinds))}. / "
            f"'{kind}' is not a unit kind; use one of {', '.join(sorted(kinds))}.",
        )
    today = date.today()
    found = []
    for unit in sorted(catalog.units.values(), key=lambda u: u.code):
        entry = unit.model_dump()
        entry["in_force"] = _in_force(entry, today)
        if not include_past and not entry["in_force"]:
            continue
        if wanted_kind and unit.kind != wanted_kind:
            continue
        if wanted_province and unit.province != wanted_province:
            continue
        if matches(q, unit.code, unit.name, _province_name(catalog, unit.province)):
            found.append(entry)
    return _page(found, limit, offset)


def _province_name(catalog: Catalog, code: str | None) -> str | None:
    province = catalog.provinces.get(code) if code else None
    return province.name if province else None


@router.get("/provinces", response_model=CatalogPage)
async def provinces(
    svc: Svc,
    user: CurrentUser,
    _strict: StrictQuery,
    q: Q = None,
    include_past: Annotated[
        bool, Query(description="also provinces merged away (their successor is named)")
    ] = False,
    limit: Limit = 100,
    offset: Offset = 0,
) -> CatalogPage:
    """Provinces: code, Vietnamese name, other spellings, their IT office (Phòng Tin học),
    and the dates they are in force (a merged province names its successor)."""
    today = date.today()
    found = []
    for province in sorted(svc.catalog.provinces.values(), key=lambda p: p.code):
        entry = province.model_dump()
        entry["in_force"] = _in_force(entry, today)
        if (include_past or entry["in_force"]) and matches(
            q, province.code, province.name, province.aliases
        ):
            found.append(entry)
    return _page(found, limit, offset)


@router.get("/groups", response_model=CatalogPage)
async def groups(
    svc: Svc,
    user: CurrentUser,
    _strict: StrictQuery,
    q: Q = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> CatalogPage:
    """The six groups of the central IT Support department, with what each handles."""
    found = [
        g.model_dump(exclude={"topic_keywords"})
        for g in svc.catalog.groups.values()
        if matches(q, g.code, g.name, g.scope)
    ]
    return _page(found, limit, offset)


@router.get("/applications", response_model=CatalogPage)
async def applications(
    svc: Svc,
    user: CurrentUser,
    _strict: StrictQuery,
    q: Q = None,
    group: Annotated[str | None, Query(description="a group code")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> CatalogPage:
    """Applications: code, Vietnamese name, aliases, owning group, deployment scope, the
    specialist department and vendor, and whether the morning round checks it."""
    wanted = _code("group", group, svc.catalog.groups, "/api/v1/catalog/groups")
    found = [
        a.model_dump()
        for a in sorted(svc.catalog.applications.values(), key=lambda a: a.code)
        if (wanted is None or a.group == wanted) and matches(q, a.code, a.name, a.aliases)
    ]
    return _page(found, limit, offset)


OFFICE_KINDS = ("it_office", "group", "specialist", "vendor", "ito")


def offices_of(catalog: Catalog) -> list[dict[str, Any]]:
    """Every code an owner or handler can be, on every step of the ladder: provinces' IT
    offices (PTH-…, L1), the groups (L2), specialist departments (CNTT-…, L3), vendors
    (VD-…, L4) and the outsourced 24/7 desk (ITO)."""
    today = date.today()
    entries: list[dict[str, Any]] = []
    for office in sorted(catalog.it_offices.values(), key=lambda o: o.code):
        entry = {"kind": "it_office", "tier": "L1", **office.model_dump()}
        entries.append({**entry, "in_force": _in_force(entry, today)})
    for group in catalog.groups.values():
        entries.append(
            {
                "kind": "group",
                "tier": "L2",
                "code": group.code,
                "name": group.name,
                "email": group.lead_email,
                "in_force": True,
            }
        )
    for dept in sorted(catalog.departments.values(), key=lambda d: d.code):
        tier = "L3" if dept.kind == "specialist" else "L4"
        entry = {"kind": dept.kind, "tier": tier, **dept.model_dump(exclude={"kind"})}
        entries.append({**entry, "in_force": True})
    entries.append(
        {
            "kind": "ito",
            "tier": "ITO",
            "code": "ITO",
            "name": catalog.routing.ito_name,
            "in_force": True,
        }
    )
    return entries


@router.get("/offices", response_model=CatalogPage)
async def offices(
    svc: Svc,
    user: CurrentUser,
    _strict: StrictQuery,
    q: Q = None,
    kind: Annotated[str | None, Query(description=", ".join(OFFICE_KINDS))] = None,
    include_past: Annotated[bool, Query(description="also offices no longer in force")] = False,
    limit: Limit = 100,
    offset: Offset = 0,
) -> CatalogPage:
    """Offices that own or handle tickets: IT offices (PTH-…), groups, specialist departments
    (CNTT-…), vendors (VD-…) and the ITO desk; the codes `owner`, `handler` and `office=` use."""
    if kind is not None and kind.strip().lower() not in OFFICE_KINDS:
        raise FieldError(
            ("query", "kind"),
            f"Loại '{kind}' không hợp lệ; chọn một trong: {', '.join(OFFICE_KINDS)}. / "
            f"'{kind}' is not an office kind; use one of {', '.join(OFFICE_KINDS)}.",
        )
    found = [
        o
        for o in offices_of(svc.catalog)
        if (kind is None or o["kind"] == kind.strip().lower())
        and (include_past or o["in_force"])
        and matches(q, o["code"], o["name"])
    ]
    return _page(found, limit, offset)


@router.get("/policies", response_model=CatalogPage)
async def policies(
    svc: Svc,
    user: CurrentUser,
    _strict: StrictQuery,
    q: Q = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> CatalogPage:
    """Versions of the decentralisation policy (who handles a ticket first), oldest first:
    the one in force today is marked; a ticket uses the one in force when it was received."""
    routing = svc.catalog.routing
    current = svc.catalog.policy_in_force(date.today()).id
    found = [
        {**v.model_dump(), "in_force": v.id == current, "options": routing.options}
        for v in sorted(routing.versions, key=lambda v: v.effective_from)
        if matches(q, v.id, v.name)
    ]
    return _page(found, limit, offset)
