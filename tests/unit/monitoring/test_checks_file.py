"""The checks file: the shipped estate, and clear errors for a broken one (SPEC §5)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from libs.catalog import CatalogError
from libs.catalog.checks import DEFAULT_CHECKS_FILE, load_estate
from libs.catalog.checks_model import HttpExpect, OneOffWindow, TcpExpect, WeeklyWindow
from tests.unit.monitoring.factories import estate_from, shipped_catalog
from tools import gen_estate_catalog


def refused(folder: Path, text: str, name: str = "checks.yaml") -> CatalogError:
    with pytest.raises(CatalogError) as caught:
        estate_from(folder, text, name)
    return caught.value


def test_the_shipped_estate_covers_the_morning_round_every_province_and_every_district() -> None:
    catalog = shipped_catalog()
    estate = load_estate(catalog, DEFAULT_CHECKS_FILE)
    # the catalog marks the 12 systems of SPEC §5's morning round (tests/unit/catalog checks it)
    morning_systems = {code for code, app in catalog.applications.items() if app.morning_check}
    assert len(morning_systems) == 12
    assert {c.application for c in estate.morning} == morning_systems
    kinds = Counter(c.kind for c in estate.morning)
    assert kinds["login"] >= 4 and kinds["tcp"] >= 1 and kinds["smtp"] == 1 and kinds["imap"] == 1
    for code in ("DTKB-GD", "KTKB-ANQP", "KQKB"):
        provinces = {c.labels.get("province") for c in estate.checks if c.application == code}
        assert set(catalog.provinces) <= provinces
    districts = {u.code for u in catalog.units.values() if u.kind == "kbnn_district"}
    assert {d.district for d in estate.wan} == districts
    for district in estate.wan:
        assert len(district.channels) == 2
        assert all(ch.carrier and ch.contact.phone for ch in district.channels)
    wan_checks = [c for c in estate.checks if c.labels.get("topic") == "network"]
    assert len(wan_checks) == 2 * len(districts)
    assert all(c.application is None and c.kind == "tcp" for c in wan_checks)


def test_the_generated_parts_of_the_shipped_files_are_up_to_date() -> None:
    assert gen_estate_catalog.main(["--check"]) == 0


def test_defaults_apply_and_windows_attach_to_the_checks_they_cover(tmp_path: Path) -> None:
    estate = estate_from(
        tmp_path,
        """
        defaults: {interval_s: 30, timeout_s: 4, confirm_failures: 3, confirm_recoveries: 1}
        maintenance:
          - {applications: [TABMIS], weekly: {days: [sun], start: "22:00", duration_min: 60}}
          - {checks: [portal], once: {start: 2026-12-31T20:00, end: 2027-01-01T06:00}}
        checks:
          - {id: tabmis, application: TABMIS, kind: http, target: "https://tabmis.kbnn.vn/"}
          - id: portal
            application: PORTAL
            kind: tcp
            target: kbnn.vn:443
            interval_s: 0
            expect: {query_response: [{send: "HEAD / HTTP/1.0"}, {expect: "^HTTP/1"}]}
            maintenance: [{weekly: {days: [mon, tue], start: "01:00", duration_min: 30}}]
        """,
    )
    tabmis, portal = estate.checks
    assert (tabmis.interval_s, tabmis.timeout_s, tabmis.confirm_failures) == (30, 4, 3)
    assert isinstance(tabmis.expect, HttpExpect) and tabmis.expect.status == [200]
    assert [type(w) for w in tabmis.maintenance] == [WeeklyWindow]
    assert portal.interval_s == 0 and isinstance(portal.expect, TcpExpect)
    assert {type(w) for w in portal.maintenance} == {WeeklyWindow, OneOffWindow}
    assert estate.wan == ()


def test_an_unknown_application_is_refused_with_file_line_and_field(tmp_path: Path) -> None:
    error = refused(
        tmp_path,
        """
        checks:
          - id: ok-one
            application: TABMIS
            kind: http
            target: https://tabmis.kbnn.vn/
          - id: bad-one
            application: TABMISS
            kind: http
            target: https://tabmis.kbnn.vn/
        """,
    )
    assert error.file.name == "checks.yaml"
    assert (error.line, error.field) == (8, "checks[1].application")
    assert "'TABMISS' is not a known application" in str(error)
    assert str(error).startswith(f"{tmp_path.name}/checks.yaml:8: checks[1].application:")


def test_every_problem_is_reported_in_one_pass(tmp_path: Path) -> None:
    error = refused(
        tmp_path,
        """
        defaults: {interval_s: -1}
        checks:
          - {id: a, application: TABMIS, kind: ftp, target: x}
          - {id: b, application: TABMIS, kind: http, target: "tabmis.kbnn.vn"}
          - {id: c, application: TABMIS, kind: tcp, target: "tabmis.kbnn.vn:99999"}
          - {id: d, application: TABMIS, kind: http, target: "https://x.vn/", expect: {status: [700]}}
          - {id: d, application: TABMIS, kind: http, target: "https://x.vn/", expect: {stauts: [200]}}
          - {id: e, application: TABMIS, kind: smtp, target: "x.vn:25", expect: {body_contains: "x"}}
        """,
    )
    where = {(p.line, p.field) for p in error.problems}
    assert (2, "defaults.interval_s") in where
    assert (4, "checks[0].kind") in where
    assert (5, "checks[1].target") in where
    assert (6, "checks[2].target") in where
    assert (7, "checks[3].expect.status") in where
    assert (8, "checks[4].expect.stauts") in where
    assert (9, "checks[5].expect.body_contains") in where


def test_a_duplicate_id_names_the_first(tmp_path: Path) -> None:
    error = refused(
        tmp_path,
        """
        checks:
          - {id: same, application: TABMIS, kind: http, target: "https://a.vn/"}
          - {id: same, application: TTSP, kind: http, target: "https://b.vn/"}
        """,
    )
    assert (error.line, error.field) == (4, "checks[1].id")
    assert "first at" in error.reason and ":3" in error.reason


def test_a_password_in_the_file_is_refused(tmp_path: Path) -> None:
    error = refused(
        tmp_path,
        """
        checks:
          - id: login
            application: TABMIS
            kind: login
            target: https://tabmis.kbnn.vn/
            credentials: {env: HOTRO_CHECK_TABMIS, password: "MatKhau@2026"}
            steps:
              - method: POST
                url: /login
                form: {user: "{username}", Password: "MatKhau@2026"}
                expect: {body_contains: "Đăng xuất"}
        """,
    )
    fields = {p.field: p for p in error.problems}
    assert "checks[0].credentials.password" in fields
    assert fields["checks[0].credentials.password"].line == 7
    assert "checks[0].steps[0].form.Password" in fields
    assert "credentials: {env: PREFIX}" in fields["checks[0].steps[0].form.Password"].reason
    assert "MatKhau@2026" not in str(error)


def test_a_login_needs_credentials_known_placeholders_and_a_success_marker(tmp_path: Path) -> None:
    error = refused(
        tmp_path,
        """
        checks:
          - id: login
            application: TABMIS
            kind: login
            target: https://tabmis.kbnn.vn/
            steps:
              - {method: GET, url: /login, extract: {csrf: {field: _csrf}}}
              - method: POST
                url: /login
                form: {username: "{username}", password: "{password}", _csrf: "{crsf}"}
          - id: web
            application: TABMIS
            kind: http
            target: https://tabmis.kbnn.vn/
            steps: [{url: /}]
        """,
    )
    fields = {p.field for p in error.problems}
    assert "checks[0].credentials" in fields
    assert "checks[0].steps[1].form._csrf" in fields
    assert "checks[0].steps[1].expect.body_contains" in fields
    assert "checks[1].steps" in fields


def test_a_login_with_references_only_is_accepted(tmp_path: Path) -> None:
    estate = estate_from(
        tmp_path,
        """
        checks:
          - id: login
            application: TCS-TT
            kind: login
            target: https://tcs.kbnn.vn/
            credentials: {file: secrets/tcs.yaml}
            steps:
              - {url: /Account/Login, extract: {anti: {field: __RequestVerificationToken}}}
              - method: POST
                url: /Account/Login
                form: {UserName: "{username}", Password: "{password}", __RequestVerificationToken: "{anti}"}
                expect: {body_contains: "Đăng xuất"}
        """,
    )
    (login,) = estate.checks
    assert login.credentials_file == str(tmp_path / "secrets" / "tcs.yaml")
    assert len(login.steps) == 2


def test_wan_channels_are_checked_against_the_district_units(tmp_path: Path) -> None:
    (tmp_path / "wan.yaml").write_text(
        """
districts:
  - district: KBNN-HNI-BADINH
    channels:
      - {id: wan-a-1, carrier: VNPT, contact: {name: VNPT Hà Nội, phone: "024 3773 8888"}, target: "a.vn:443"}
  - district: KBNN-HNI
    channels: []
""",
        encoding="utf-8",
    )
    error = refused(tmp_path, "wan_channels: wan.yaml\n")
    problems = {(p.file.name, p.field): p.reason for p in error.problems}
    assert "has 2 channels (got 1)" in problems[("wan.yaml", "districts[0].channels")]
    assert "not a district treasury" in problems[("wan.yaml", "districts[1].district")]


def test_a_missing_wan_file_and_a_broken_yaml_are_reported(tmp_path: Path) -> None:
    error = refused(tmp_path, "wan_channels: nowhere.yaml\n")
    assert (error.line, error.field) == (1, "wan_channels")
    error = refused(tmp_path, "checks: [\n  {id: a\n")
    assert "malformed YAML" in error.reason
