"""The organisation catalog: the shipped data, and clear errors for broken data (SPEC §1, §3.3)."""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from libs.catalog import GROUP_CODES, Catalog, CatalogError, load_catalog
from libs.catalog.loader import DEFAULT_CATALOG_DIR
from libs.text import fold

# SPEC §1: the application codes, their group and their scope (national unless marked).
SPEC_APPLICATIONS: dict[str, tuple[str, str]] = {
    "TABMIS": ("TABMIS", "national"),
    "TABMIS-DW": ("TABMIS", "national"),
    "TTSP": ("PAYMENT", "national"),
    "TTLKB-T4": ("PAYMENT", "national"),
    "TTLKB-T3": ("PAYMENT", "national"),
    "TTLNH": ("PAYMENT", "national"),
    "TTBT": ("PAYMENT", "national"),
    "TTDT-NH": ("PAYMENT", "national"),
    "TCS-TT": ("PAYMENT", "national"),
    "DMFAS": ("PAYMENT", "national"),
    "KTNB": ("INTERNAL", "national"),
    "QLTS": ("INTERNAL", "national"),
    "DKTS": ("INTERNAL", "national"),
    "KTKB-ANQP": ("INTERNAL", "provincial"),
    "DMDC": ("INTERNAL", "national"),
    "QHNS": ("INTERNAL", "national"),
    "QLCB": ("INTERNAL", "national"),
    "BMS": ("INTERNAL", "national"),
    "KQKB": ("INTERNAL", "provincial"),
    "DTKB-LAN": ("INTERNAL", "local"),
    "THBC-DTKB-LAN": ("INTERNAL", "provincial"),
    "DTKB-WAN": ("INTERNAL", "national"),
    "DTKB-GD": ("INTERNAL", "provincial"),
    "DVC": ("INTERNAL", "national"),
    "PORTAL": ("WORKSTATION", "national"),
    "MAIL": ("WORKSTATION", "national"),
    "EDOCMAN": ("WORKSTATION", "national"),
}
# SPEC §5: the morning readiness check.
SPEC_MORNING_CHECK = {
    "TABMIS",
    "TCS-TT",
    "TTLKB-T4",
    "TTLKB-T3",
    "KTKB-ANQP",
    "TTSP",
    "QLTS",
    "PORTAL",
    "MAIL",
    "KTNB",
    "THBC-DTKB-LAN",
    "DMDC",
}


@pytest.fixture(scope="module")
def shipped() -> Catalog:
    return load_catalog(DEFAULT_CATALOG_DIR)


# --------------------------------------------------------------------------------------------
# The shipped catalog
# --------------------------------------------------------------------------------------------


def test_shipped_catalog_loads_from_the_default_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOTRO_CATALOG_DIR", raising=False)
    catalog = load_catalog()
    assert set(catalog.groups) == set(GROUP_CODES)


def test_sixty_three_provinces_each_with_its_it_office(shipped: Catalog) -> None:
    assert len(shipped.provinces) == 63
    for code, province in shipped.provinces.items():
        assert len(code) == 3 and code.isascii() and code.isupper()
        office = shipped.it_offices[province.it_office]
        assert office.province == code
        assert office.name.startswith("Phòng Tin học - KBNN ")
        treasury = shipped.units[f"KBNN-{code}"]
        assert (treasury.kind, treasury.province, treasury.it_office) == (
            "kbnn_province",
            code,
            province.it_office,
        )
    names = {p.name for p in shipped.provinces.values()}
    assert {"Hà Nội", "Thành phố Hồ Chí Minh", "Đà Nẵng", "Thừa Thiên Huế", "Đắk Lắk"} <= names


def test_every_spec_application_with_its_group_and_scope(shipped: Catalog) -> None:
    assert set(shipped.applications) == set(SPEC_APPLICATIONS)
    for code, (group, scope) in SPEC_APPLICATIONS.items():
        app = shipped.applications[code]
        assert (app.group, app.scope) == (group, scope), code
        assert app.aliases, code
        assert shipped.departments[app.specialist_department].kind == "specialist"
        if app.vendor is not None:
            assert shipped.departments[app.vendor].kind == "vendor"
    morning = {code for code, app in shipped.applications.items() if app.morning_check}
    assert morning == SPEC_MORNING_CHECK


def test_an_alias_names_one_application_only(shipped: Catalog) -> None:
    owners: dict[str, set[str]] = {}
    for app in shipped.applications.values():
        for text in (app.code, app.name, *app.aliases):
            owners.setdefault(fold(text), set()).add(app.code)
    assert {alias: codes for alias, codes in owners.items() if len(codes) > 1} == {}
    aliases = {fold(a) for a in shipped.applications["TTSP"].aliases}
    assert {"thanh toan song phuong", "chuyen tien", "lenh chuyen co"} <= aliases
    assert {"gl", "ap", "ar", "po", "ce", "so cai"} <= {
        fold(a) for a in shipped.applications["TABMIS"].aliases
    }


def test_topics_without_an_application_have_keywords(shipped: Catalog) -> None:
    keywords = {code: {fold(k) for k in g.topic_keywords} for code, g in shipped.groups.items()}
    assert {"may in", "printer", "mang", "network", "virus", "wifi", "bao mat"} <= keywords[
        "WORKSTATION"
    ]
    assert {"giam sat", "monitoring", "cong cu khai thac"} <= keywords["TECHNICAL"]
    assert {"he thong ho tro", "hotro"} <= keywords["SERVICE_DESK"]


def test_units_cover_every_kind_with_the_documented_codes(shipped: Catalog) -> None:
    units = shipped.units
    assert units["CUC-CNTT"].kind == "kbnn_central" and units["CUC-CNTT"].province is None
    assert units["SGD"].kind == "kbnn_central"
    district = units["KBNN-HNI-BADINH"]
    assert (district.kind, district.province, district.parent, district.it_office) == (
        "kbnn_district",
        "HNI",
        "KBNN-HNI",
        "PTH-HNI",
    )
    assert units["STC-HNI"].kind == "finance_agency"
    assert units["QHNS-1012345"].kind == "budget_unit"
    assert units["BO-YT"].kind == "ministry" and units["BO-YT"].it_office is None
    districts = Counter(u.province for u in units.values() if u.kind == "kbnn_district")
    assert sum(1 for n in districts.values() if n >= 3) >= 10


def test_the_three_phases_and_the_2025_one_with_the_ito_rule_first(shipped: Catalog) -> None:
    versions = {v.id: v for v in shipped.routing.versions}
    assert {k: v.effective_from for k, v in versions.items()} == {
        "phase-1": date(2017, 1, 1),
        "phase-2": date(2018, 1, 1),
        "phase-3": date(2019, 1, 1),
        "phase-4": date(2025, 3, 1),
    }
    # The historical phases name the provincial IT office; the 2025 one the regional one.
    assert [versions[k].l1_office for k in ("phase-1", "phase-2", "phase-3", "phase-4")] == [
        "province",
        "province",
        "province",
        "region",
    ]
    assert shipped.routing.options == {"ito_outsourcing": True}
    for version in versions.values():
        ito = version.rules[0]
        assert (ito.option, ito.target, ito.applications) == ("ito_outsourcing", "ito", ["DVC"])
        assert set(ito.requester_kinds or []) == {"finance_agency", "budget_unit", "ministry"}
        last = version.rules[-1]
        assert last.target == "central" and last.requester_kinds is None
    phase1 = versions["phase-1"].rules[1]
    assert (phase1.target, set(phase1.scopes or [])) == ("province", {"local", "provincial"})
    phase3 = versions["phase-3"].rules[1]
    assert phase3.target == "province"
    assert "finance_agency" in (phase3.requester_kinds or [])


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2016, 6, 1), "phase-1"),  # before any version: the earliest
        (date(2017, 12, 31), "phase-1"),
        (date(2018, 1, 1), "phase-2"),
        (date(2018, 1, 2), "phase-2"),
        (date(2018, 12, 31), "phase-2"),
        (date(2019, 1, 1), "phase-3"),
        (date(2025, 2, 28), "phase-3"),
        (date(2025, 3, 1), "phase-4"),  # Quyết định 385/QĐ-BTC: the two-level organisation
        (date(2026, 3, 15), "phase-4"),
    ],
)
def test_policy_in_force(shipped: Catalog, on: date, expected: str) -> None:
    assert shipped.policy_in_force(on).id == expected
    assert shipped.policy_named(expected) is shipped.policy_in_force(on)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("ha noi", "HNI"),
        ("Hà Nội", "HNI"),
        ("HNI", "HNI"),
        ("tp.hcm", "HCM"),
        ("Sài Gòn", "HCM"),
        ("  Thua Thien   Hue ", "TTH"),
        ("tỉnh nghệ an", "NAN"),
        ("Atlantis", None),
    ],
)
def test_province_by_name_or_code(shipped: Catalog, text: str, code: str | None) -> None:
    province = shipped.province_by_name_or_code(text)
    assert (province.code if province else None) == code


# --------------------------------------------------------------------------------------------
# Broken catalogs: file, line, field and reason
# --------------------------------------------------------------------------------------------

MINIMAL: dict[str, str] = {
    "groups.yaml": """\
groups:
  - {code: SERVICE_DESK, name: Nhóm Service Desk, scope: tiếp nhận, lead_email: sd@x.local}
  - {code: TABMIS, name: Nhóm TABMIS, scope: TABMIS, lead_email: tabmis@x.local}
  - {code: PAYMENT, name: Nhóm Thanh toán, scope: thanh toán, lead_email: pay@x.local}
  - {code: INTERNAL, name: Nhóm Nội bộ, scope: nội bộ, lead_email: int@x.local}
  - {code: WORKSTATION, name: Nhóm máy trạm, scope: máy trạm, lead_email: ws@x.local}
  - {code: TECHNICAL, name: Nhóm kỹ thuật, scope: kỹ thuật, lead_email: tech@x.local}
""",
    "departments.yaml": """\
departments:
  - code: CNTT-PTUD
    name: Phòng Phát triển ứng dụng
    kind: specialist
    email: ptud@x.local
  - code: VD-ORACLE
    name: Oracle
    kind: vendor
    email: oracle@x.example
""",
    "applications.yaml": """\
applications:
  - code: MAIL
    name: Thư điện tử
    group: WORKSTATION
    scope: national
    specialist_department: CNTT-PTUD
  - code: TABMIS
    name: TABMIS
    aliases: [sổ cái]
    group: TABMIS
    scope: national
    specialist_department: CNTT-PTUD
    vendor: VD-ORACLE
    morning_check: true
  - code: DVC
    name: Dịch vụ công
    group: INTERNAL
    scope: national
    specialist_department: CNTT-PTUD
""",
    "provinces.yaml": """\
provinces:
  - code: HNI
    name: Hà Nội
    aliases: [HN]
    it_office: PTH-HNI
  - code: HCM
    name: Thành phố Hồ Chí Minh
    aliases: [Sài Gòn]
    it_office: PTH-HCM
""",
    "it_offices.yaml": """\
it_offices:
  - {code: PTH-HNI, name: Phòng Tin học - KBNN Hà Nội, province: HNI, email: pth.hni@x.local}
  - {code: PTH-HCM, name: Phòng Tin học - KBNN TP.HCM, province: HCM, email: pth.hcm@x.local}
""",
    "units.yaml": """\
units:
  - code: CUC-CNTT
    name: Cục Công nghệ thông tin
    kind: kbnn_central
  - code: KBNN-HNI
    name: Kho bạc Nhà nước Hà Nội
    kind: kbnn_province
    province: HNI
    it_office: PTH-HNI
  - code: KBNN-HNI-BADINH
    name: KBNN Ba Đình
    kind: kbnn_district
    province: HNI
    parent: KBNN-HNI
    it_office: PTH-HNI
    valid_from: 2005-01-01
  - code: QHNS-1012345
    name: Trường THPT Chu Văn An
    kind: budget_unit
    province: HNI
    it_office: PTH-HNI
""",
    "routing.yaml": """\
routing:
  options: {ito_outsourcing: true}
  versions:
    - id: phase-1
      name: Giai đoạn 1
      effective_from: 2017-01-01
      rules:
        - {name: ito, option: ito_outsourcing, target: ito, applications: [DVC]}
        - {name: local, target: province, requester_kinds: [kbnn_province, kbnn_district], scopes: [local, provincial]}
        - {name: default, target: central}
    - id: phase-2
      name: Giai đoạn 2
      effective_from: 2018-01-01
      rules:
        - {name: tabmis, target: central, applications: [TABMIS]}
        - {name: default, target: central}
""",
}

MARK = "# <-"


def write_catalog(folder: Path, changes: dict[str, str | None] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, str | None] = {**MINIMAL, **(changes or {})}
    for name, text in files.items():
        if text is not None:
            (folder / name).write_text(text, encoding="utf-8")
    return folder


def edit(name: str, old: str, new: str) -> dict[str, str | None]:
    text = MINIMAL[name]
    assert text.count(old) == 1, f"{old!r} must occur once in {name}"
    return {name: text.replace(old, new)}


def marked_line(text: str) -> int:
    """The 1-based line carrying the `# <-` marker."""
    lines = [i for i, line in enumerate(text.splitlines(), start=1) if MARK in line]
    assert len(lines) == 1
    return lines[0]


def test_the_minimal_catalog_is_valid(tmp_path: Path) -> None:
    catalog = load_catalog(write_catalog(tmp_path / "catalog"))
    assert set(catalog.units) == {"CUC-CNTT", "KBNN-HNI", "KBNN-HNI-BADINH", "QHNS-1012345"}
    assert catalog.units["KBNN-HNI-BADINH"].valid_from == date(2005, 1, 1)
    assert catalog.policy_in_force(date(2018, 1, 1)).id == "phase-2"


BROKEN: list[tuple[str, dict[str, str | None], str, str, str]] = [
    # (case, changes, file, field, reason fragment) — the expected line carries "# <-".
    (
        "unknown group",
        edit("applications.yaml", "group: TABMIS\n", f"group: TABMISS  {MARK}\n"),
        "applications.yaml",
        "applications[1].group",
        "'TABMISS' is not one of SERVICE_DESK, TABMIS, PAYMENT, INTERNAL, WORKSTATION, TECHNICAL",
    ),
    (
        "missing field",
        edit(
            "units.yaml",
            "  - code: KBNN-HNI\n    name: Kho bạc Nhà nước Hà Nội\n",
            f"  - code: KBNN-HNI  {MARK}\n",
        ),
        "units.yaml",
        "units[1].name",
        "missing required field",
    ),
    (
        "unknown field",
        edit(
            "units.yaml",
            "    parent: KBNN-HNI\n",
            f"    parent: KBNN-HNI\n    colour: red  {MARK}\n",
        ),
        "units.yaml",
        "units[2].colour",
        "unknown field",
    ),
    (
        "duplicate code",
        edit(
            "units.yaml",
            "  - code: QHNS-1012345\n",
            f"  - code: KBNN-HNI  {MARK}\n    name: again\n    kind: kbnn_province\n"
            "    province: HNI\n    it_office: PTH-HNI\n  - code: QHNS-1012345\n",
        ),
        "units.yaml",
        "units[3].code",
        "duplicate code 'KBNN-HNI' (first at catalog/units.yaml:5)",
    ),
    (
        "unknown province",
        edit(
            "units.yaml",
            "    province: HNI\n    parent:",
            f"    province: HNX  {MARK}\n    parent:",
        ),
        "units.yaml",
        "units[2].province",
        "'HNX' is not a known province",
    ),
    (
        "bad date",
        edit("units.yaml", "valid_from: 2005-01-01", f"valid_from: 2005-02-30  {MARK}"),
        "units.yaml",
        "units[2].valid_from",
        "valid date",
    ),
    (
        "bad policy date",
        edit("routing.yaml", "effective_from: 2018-01-01", f"effective_from: 2018-13-01  {MARK}"),
        "routing.yaml",
        "routing.versions[1].effective_from",
        "valid date",
    ),
    (
        "central unit with a province",
        edit(
            "units.yaml",
            "    kind: kbnn_central\n",
            f"    kind: kbnn_central\n    province: HNI  {MARK}\n",
        ),
        "units.yaml",
        "units[0].province",
        "a kbnn_central unit has no province",
    ),
    (
        "district without a province",
        edit(
            "units.yaml",
            "  - code: KBNN-HNI-BADINH\n    name: KBNN Ba Đình\n    kind: kbnn_district\n    province: HNI\n",
            f"  - code: KBNN-HNI-BADINH  {MARK}\n    name: KBNN Ba Đình\n    kind: kbnn_district\n",
        ),
        "units.yaml",
        "units[2].province",
        "a kbnn_district unit needs a province",
    ),
    (
        "malformed YAML",
        edit("provinces.yaml", "name: Hà Nội\n", f"name: Hà Nội: thủ đô  {MARK}\n"),
        "provinces.yaml",
        "",
        "malformed YAML: mapping values are not allowed here",
    ),
    (
        "duplicate YAML key",
        edit(
            "provinces.yaml", "    aliases: [HN]\n", f"    aliases: [HN]\n    name: Hanoi  {MARK}\n"
        ),
        "provinces.yaml",
        "provinces[0].name",
        "duplicate key 'name'",
    ),
    (
        "unknown vendor",
        edit("applications.yaml", "    vendor: VD-ORACLE\n", f"    vendor: VD-ORACL  {MARK}\n"),
        "applications.yaml",
        "applications[1].vendor",
        "'VD-ORACL' is not a known department",
    ),
    (
        "unknown province office",
        edit("provinces.yaml", "it_office: PTH-HCM", f"it_office: PTH-HCMC  {MARK}"),
        "provinces.yaml",
        "provinces[1].it_office",
        "'PTH-HCMC' is not a known IT office",
    ),
    (
        "unknown parent",
        edit("units.yaml", "parent: KBNN-HNI", f"parent: KBNN-HN  {MARK}"),
        "units.yaml",
        "units[2].parent",
        "'KBNN-HN' is not a known unit",
    ),
    (
        "unknown policy application",
        edit("routing.yaml", "applications: [TABMIS]}", f"applications: [TABMIS-X]}}  {MARK}"),
        "routing.yaml",
        "routing.versions[1].rules[0].applications[0]",
        "'TABMIS-X' is not a known application",
    ),
    (
        "unknown requester kind",
        edit(
            "routing.yaml",
            "requester_kinds: [kbnn_province, kbnn_district], scopes: [local, provincial]}",
            f"requester_kinds: [kbnn_provinces], scopes: [local]}}  {MARK}",
        ),
        "routing.yaml",
        "routing.versions[0].rules[1].requester_kinds[0]",
        "'kbnn_provinces' is not one of kbnn_central, kbnn_province, kbnn_district",
    ),
    (
        "no policy version",
        {"routing.yaml": f"routing:\n  versions: []  {MARK}\n"},
        "routing.yaml",
        "routing.versions",
        "at least one policy version is required",
    ),
    (
        "no catch-all",
        edit(
            "routing.yaml",
            "scopes: [local, provincial]}\n        - {name: default, target: central}\n",
            f"scopes: [local, provincial]}}  {MARK}\n",
        ),
        "routing.yaml",
        "routing.versions[0].rules[1]",
        "the last rule must be a catch-all",
    ),
]


@pytest.mark.parametrize(
    ("changes", "file", "field", "reason"),
    [case[1:] for case in BROKEN],
    ids=[case[0] for case in BROKEN],
)
def test_a_broken_catalog_names_file_line_field_and_reason(
    tmp_path: Path, changes: dict[str, str | None], file: str, field: str, reason: str
) -> None:
    folder = write_catalog(tmp_path / "catalog", changes)
    with pytest.raises(CatalogError) as caught:
        load_catalog(folder)
    error = caught.value
    text = (folder / file).read_text(encoding="utf-8")
    assert error.file == folder / file
    assert error.field == field
    assert reason in error.reason
    assert error.line == marked_line(text)
    location = f"catalog/{file}:{error.line}: "
    assert str(error).startswith(location + (f"{field}: " if field else "") + error.reason)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    changes = {
        **edit("applications.yaml", "group: TABMIS\n", "group: TABMISS\n"),
        **edit("units.yaml", "valid_from: 2005-01-01", "valid_from: yesterday"),
    }
    with pytest.raises(CatalogError) as caught:
        load_catalog(write_catalog(tmp_path / "catalog", changes))
    fields = [p.field for p in caught.value.problems]
    assert fields == ["applications[1].group", "units[2].valid_from"]
    assert len(str(caught.value).splitlines()) == 2


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    folder = write_catalog(tmp_path / "catalog", {"departments.yaml": None})
    with pytest.raises(CatalogError) as caught:
        load_catalog(folder)
    assert caught.value.file == folder / "departments.yaml"
    assert caught.value.reason == "file not found"


def test_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="catalog folder not found"):
        load_catalog(tmp_path / "nowhere")


def test_a_file_with_the_wrong_top_level_key(tmp_path: Path) -> None:
    text = MINIMAL["units.yaml"].replace("units:", "unit:", 1)
    with pytest.raises(CatalogError) as caught:
        load_catalog(write_catalog(tmp_path / "catalog", {"units.yaml": text}))
    assert [(p.line, p.field, p.reason) for p in caught.value.problems] == [
        (1, "unit", "unknown key (expected 'units')"),
        (1, "units", "missing required key"),
    ]


def test_a_kind_may_be_split_over_several_files(tmp_path: Path) -> None:
    extra = """\
units:
  - {code: QHNS-1099999, name: Bệnh viện, kind: budget_unit, province: HCM, it_office: PTH-HCM}
  - {code: KBNN-HNI, name: again, kind: kbnn_province, province: HNI, it_office: PTH-HNI}
"""
    folder = write_catalog(tmp_path / "catalog", {"units-budget.yaml": extra})
    with pytest.raises(CatalogError) as caught:
        load_catalog(folder)
    assert (caught.value.file.name, caught.value.line, caught.value.field) == (
        "units-budget.yaml",
        3,
        "units[1].code",
    )
    (folder / "units-budget.yaml").write_text("\n".join(extra.splitlines()[:2]) + "\n")
    assert load_catalog(folder).units["QHNS-1099999"].province == "HCM"


def test_other_files_in_the_folder_are_left_to_other_loaders(tmp_path: Path) -> None:
    folder = write_catalog(tmp_path / "catalog", {"sla.yaml": "sla: {P1: 4h}\n"})
    assert load_catalog(folder).groups


def test_the_environment_names_the_folder_and_nothing_is_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_catalog(tmp_path / "catalog")
    monkeypatch.setenv("HOTRO_CATALOG_DIR", str(folder))
    assert len(load_catalog().provinces) == 2
    text = MINIMAL["provinces.yaml"] + "  - {code: DNG, name: Đà Nẵng, it_office: PTH-HNI}\n"
    (folder / "provinces.yaml").write_text(text, encoding="utf-8")
    assert len(load_catalog().provinces) == 3
    assert len(load_catalog(DEFAULT_CATALOG_DIR).provinces) == 63


def test_a_copy_of_the_shipped_catalog_loads(tmp_path: Path) -> None:
    folder = tmp_path / "catalog"
    shutil.copytree(DEFAULT_CATALOG_DIR, folder)
    assert len(load_catalog(folder).units) == len(load_catalog(DEFAULT_CATALOG_DIR).units)
