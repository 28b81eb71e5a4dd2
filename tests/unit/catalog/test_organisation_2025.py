"""The 2025 organisation as effective-dated data (issue 14): 63 → 34 provinces, 20 regional
treasuries, the fourth policy version, and old codes that still resolve.

The merger table below is written from Resolution 202/2025/QH15 (as reported by Vietnam News
and QĐND), independently of catalog/provinces.yaml, so a slip in either shows up here.
"""

from __future__ import annotations

from datetime import date, datetime, time
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from libs.calendar.adjustments import CalendarAdjustments
from libs.calendar.loader import warn_missing_years
from libs.catalog import Catalog, CatalogError, load_catalog
from libs.catalog.loader import DEFAULT_CATALOG_DIR
from libs.catalog.org import office_serves
from libs.catalog.requester import RequesterUnit, resolve_requester_unit
from services.reporting.adapters.report_queries import ReportQueries
from services.reporting.domain.periods import parse_period
from services.routing.domain.route import route_ticket

VN = ZoneInfo("Asia/Ho_Chi_Minh")
BEFORE, REGIONS, MERGED = date(2024, 12, 1), date(2025, 4, 1), date(2026, 12, 1)

#: New province ← the old ones it absorbed (Resolution 202/2025/QH15, from 1 July 2025).
MERGERS: dict[str, set[str]] = {
    "TQG": {"HGG"},
    "LCI": {"YBI"},
    "TNN": {"BKN"},
    "PTO": {"VPC", "HBH"},
    "BNH": {"BGG"},
    "HYN": {"TBH"},
    "HPG": {"HDG"},
    "NBH": {"HNM", "NDH"},
    "QTI": {"QBH"},
    "DNG": {"QNM"},
    "QNI": {"KTM"},
    "GLI": {"BDH"},
    "KHA": {"NTN"},
    "LDG": {"DKN", "BTN"},
    "DLK": {"PYN"},
    "HCM": {"BRV", "BDG"},
    "DNI": {"BPC"},
    "TNH": {"LAN"},
    "CTO": {"STG", "HUG"},
    "VLG": {"BTE", "TVH"},
    "DTP": {"TGG"},
    "CMU": {"BLU"},
    "AGG": {"KGG"},
}
UNCHANGED = {"HNI", "TTH", "LCU", "DBN", "SLA", "LSN", "QNH", "THA", "NAN", "HTH", "CBG"}


@cache
def shipped() -> Catalog:
    return load_catalog()


def test_the_provinces_in_force_are_63_then_34_as_the_resolution_merged_them() -> None:
    catalog = shipped()
    assert len(catalog.as_of(date(2025, 6, 30)).provinces()) == 63
    after = catalog.as_of(date(2025, 7, 1))
    assert {p.code for p in after.provinces()} == set(MERGERS) | UNCHANGED
    for new, old in MERGERS.items():
        assert set(after.predecessors(new)) == old, new
        for code in old:
            assert catalog.provinces[code].valid_to == date(2025, 6, 30)
            assert after.province_code(code) == new
    for code in UNCHANGED:
        assert after.predecessors(code) == [] and after.province_code(code) == code


@pytest.mark.parametrize(
    ("on", "regions", "provinces"), [(BEFORE, 0, 63), (REGIONS, 20, 63), (MERGED, 20, 34)]
)
def test_every_province_in_force_has_exactly_one_regional_treasury(
    on: date, regions: int, provinces: int
) -> None:
    view = shipped().as_of(on)
    assert (len(view.regions()), len(view.provinces())) == (regions, provinces)
    for province in view.provinces():
        region = view.region_of(province.code)
        assert (region is None) == (regions == 0), province.code
        if region is not None:
            assert view.office(region.region.it_office) is not None


@pytest.mark.parametrize(
    ("province", "on", "region_name"),
    [
        ("HNI", REGIONS, "Kho bạc Nhà nước khu vực I"),
        ("HCM", REGIONS, "Kho bạc Nhà nước khu vực II"),
        ("QNH", REGIONS, "Kho bạc Nhà nước khu vực III"),
        ("NDH", REGIONS, "Kho bạc Nhà nước khu vực IV"),
        ("TBH", REGIONS, "Kho bạc Nhà nước khu vực V"),
        ("HGG", REGIONS, "Kho bạc Nhà nước khu vực VII"),
        ("NAN", REGIONS, "Kho bạc Nhà nước khu vực X"),
        # Quyết định 2020/QĐ-BTC: from 1 July 2025 the Thanh Hóa-Nghệ An region is number XI.
        ("NAN", MERGED, "Kho bạc Nhà nước khu vực XI"),
        ("HNI", MERGED, "Kho bạc Nhà nước khu vực I"),
    ],
)
def test_the_verified_regions(province: str, on: date, region_name: str) -> None:
    region = shipped().as_of(on).region_of(province)
    assert region is not None and region.name == region_name
    assert region.period.verified


def test_a_2023_unit_resolves_for_history_and_maps_to_its_successor_for_new_requests() -> None:
    catalog = shipped()
    old = catalog.units["KBNN-HNI-BADINH"]
    assert old.valid_to == date(2025, 2, 28)
    assert catalog.as_of(BEFORE).unit("KBNN-HNI-BADINH") is old
    later = catalog.as_of(MERGED).unit("KBNN-HNI-BADINH")
    assert later is not None and later.code == old.successor and later.valid_to is None
    remap = catalog.as_of(MERGED).unit_remap("KBNN-HNI-BADINH")
    assert remap is not None and "KBNN-HNI-BADINH" in remap.note and later.code in remap.note
    assert catalog.as_of(BEFORE).unit_remap("KBNN-HNI-BADINH") is None


@pytest.mark.parametrize(
    ("unit_code", "declared", "on", "expected_code", "expected_province", "noted"),
    [
        ("KBNN-HNI", None, BEFORE, "KBNN-HNI", "HNI", False),  # an import of 2024 keeps it
        ("KBNN-HNI", None, MERGED, "KBNN-KV-HNI", "HNI", True),
        ("KBNN-HGG", None, REGIONS, "KBNN-KV-TNN", "TNN", True),
        (None, {"kind": "finance_agency", "province": "Hà Giang", "name": "STC"}, BEFORE, None, "HGG", False),
        (None, {"kind": "finance_agency", "province": "ha giang", "name": "STC"}, MERGED, None, "TQG", True),
        (None, {"kind": "finance_agency", "province": "Tuyên Quang", "name": "STC"}, MERGED, None, "TQG", False),
        (None, {"kind": "budget_unit", "province": "BDG", "name": "Trường"}, MERGED, None, "HCM", True),
    ],
)  # fmt: skip
def test_requesters_in_old_and_new_codes(
    unit_code: str | None,
    declared: dict[str, str] | None,
    on: date,
    expected_code: str | None,
    expected_province: str,
    noted: bool,
) -> None:
    unit = resolve_requester_unit(shipped(), unit_code=unit_code, declared=declared, on=on)
    assert (unit.unit_code, unit.province) == (expected_code, expected_province)
    assert bool(unit.notes) == noted


def _first_office(requester: RequesterUnit, on: date) -> tuple[str, str, str]:
    outcome = route_ticket(
        catalog=shipped(),
        subject="Không lập được lệnh chi trên TABMIS",
        description="",
        picked_application="TABMIS",
        requester=requester,
        received_at=datetime.combine(on, time(9), VN),
    )
    handler = outcome.first_handler
    assert handler.kind == "province" and handler.tier == "L1"
    return handler.office, handler.policy_version, handler.reason


@pytest.mark.parametrize(
    ("on", "office", "version"),
    [
        (BEFORE, "PTH-BGG", "phase-3"),  # the provincial IT office of Bắc Giang
        (REGIONS, "PTH-KV-BGG", "phase-4"),  # Kho bạc Nhà nước khu vực VI (seat Bắc Giang)
        (MERGED, "PTH-KV-HDG", "phase-4"),  # Bắc Giang is now Bắc Ninh: region V (sample)
    ],
)
def test_the_same_requester_over_the_reorganisations(on: date, office: str, version: str) -> None:
    declared = {"kind": "finance_agency", "province": "Bắc Giang", "name": "Sở Tài chính Bắc Giang"}
    requester = resolve_requester_unit(shipped(), declared=declared, on=on)
    found, used, reason = _first_office(requester, on)
    assert (found, used) == (office, version)
    assert office in reason
    # The office is open on the day and serves the requester's province (province isolation).
    assert shipped().as_of(on).office(found) is not None
    assert office_serves(shipped(), found, requester.province)
    assert office_serves(shipped(), found, "BGG")  # an old token of Bắc Giang still acts


@pytest.mark.parametrize(
    ("on", "office"), [(BEFORE, "PTH-HNI"), (REGIONS, "PTH-KV-HNI"), (MERGED, "PTH-KV-HNI")]
)
def test_a_district_treasury_code_routes_by_the_organisation_of_the_day(
    on: date, office: str
) -> None:
    requester = resolve_requester_unit(shipped(), unit_code="KBNN-HNI-BADINH", on=on)
    assert _first_office(requester, on)[0] == office


def test_central_units_ministries_and_the_ito_rule_are_as_before() -> None:
    catalog = shipped()
    for code in ("CUC-CNTT", "BO-YT"):
        requester = resolve_requester_unit(catalog, unit_code=code, on=MERGED)
        outcome = route_ticket(
            catalog=catalog, subject="Lỗi TABMIS", description="", picked_application="TABMIS",
            requester=requester, received_at=datetime.combine(MERGED, time(9), VN),
        )  # fmt: skip
        assert (outcome.first_handler.kind, outcome.first_handler.office) == ("central", "TABMIS")
    budget = resolve_requester_unit(catalog, unit_code="QHNS-1012345", on=MERGED)
    outcome = route_ticket(
        catalog=catalog, subject="Không nộp được hồ sơ dịch vụ công", description="",
        picked_application="DVC", requester=budget,
        received_at=datetime.combine(MERGED, time(9), VN),
    )  # fmt: skip
    assert (outcome.first_handler.kind, outcome.first_handler.rule) == ("ito", "ito-dvc-external")


def test_a_region_that_leaves_a_province_uncovered_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "catalog"
    folder.mkdir()
    for file in DEFAULT_CATALOG_DIR.glob("*.yaml"):
        (folder / file.name).write_text(file.read_text(encoding="utf-8"), encoding="utf-8")
    regions = folder / "regions.yaml"
    regions.write_text(
        regions.read_text(encoding="utf-8").replace("provinces: [HNI]\n", "provinces: []\n", 1),
        encoding="utf-8",
    )
    with pytest.raises(CatalogError) as caught:
        load_catalog(folder)
    assert "province HNI belongs to no region" in str(caught.value)
    assert "regions.yaml" in str(caught.value)


def test_a_successor_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "catalog"
    folder.mkdir()
    for file in DEFAULT_CATALOG_DIR.glob("*.yaml"):
        (folder / file.name).write_text(file.read_text(encoding="utf-8"), encoding="utf-8")
    provinces = folder / "provinces.yaml"
    provinces.write_text(
        provinces.read_text(encoding="utf-8").replace("successor: TQG", "successor: ZZZ"),
        encoding="utf-8",
    )
    with pytest.raises(CatalogError) as caught:
        load_catalog(folder)
    assert "successor: 'ZZZ' is not a known province" in str(caught.value)


def test_the_calendar_warns_for_a_year_without_government_adjustments(
    caplog: pytest.LogCaptureFixture,
) -> None:
    adjustments = CalendarAdjustments.model_validate(
        {"country": "VN", "years": {2026: {"source": "test"}}}
    )
    with caplog.at_level("WARNING", logger="libs.calendar"):
        missing = warn_missing_years(
            adjustments, Path("calendar_adjustments.yaml"), date(2026, 12, 6)
        )
    assert missing == [2027]
    assert "no entry for 2027" in caplog.text
    assert warn_missing_years(adjustments, Path("x.yaml"), date(2025, 6, 1)) == [2025]


@pytest.mark.parametrize(
    ("label", "stored", "reported"),
    [
        ("2024-Q4", "HGG", "HGG"),  # the 63 provinces of 2024
        ("2025-Q2", "HGG", "HGG"),  # Hà Giang still existed on 30 June 2025
        ("2025-Q3", "HGG", "TQG"),  # a ticket of Hà Giang filed under Tuyên Quang
        ("2026-Q3", "BDG", "HCM"),
        ("2026-Q3", "HNI", "HNI"),
    ],
)
def test_reports_name_a_province_as_the_period_s_organisation_does(
    label: str, stored: str, reported: str
) -> None:
    queries = ReportQueries(None, "reporting", shipped())  # type: ignore[arg-type]  # no SQL here
    assert queries.province_in_period(stored, parse_period("quarterly", label)) == reported
