"""Issue 13, discovery: the catalog's codes and Vietnamese names through the gateway
(searchable, paged), and the directory import's template and JSON array."""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

import pytest

from libs.catalog import load_catalog
from libs.text import fold
from services.intake.adapters.tokens import Principal
from tests.support.desk import assert_error_shape, call
from tests.support.tokens import issue_token
from tools.suite import Suite

CATALOG = load_catalog()
KINDS = ("units", "provinces", "groups", "applications", "offices", "policies")


def _all(suite: Suite, which: str, **params: Any) -> list[dict[str, Any]]:
    answer = call(
        suite, suite.admin_token, "GET", f"/catalog/{which}", params={"limit": 500, **params}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["count"] == len(body["data"]) or body["count"] > 500
    data: list[dict[str, Any]] = body["data"]
    return data


@pytest.mark.parametrize("kind", KINDS)
def test_every_catalog_list_needs_a_token_and_answers_with_codes_and_names(
    suite: Suite, kind: str
) -> None:
    assert_error_shape(call(suite, None, "GET", f"/catalog/{kind}"), 401)
    requester = issue_token(suite, Principal("Lan", "requester", email="lan@kbnn.gov.vn"))
    answer = call(suite, requester, "GET", f"/catalog/{kind}")
    assert answer.status_code == 200, answer.text
    entries = answer.json()["data"]
    assert entries and all(e.get("code") or e.get("id") for e in entries)
    assert all(e["name"] for e in entries)
    assert_error_shape(call(suite, requester, "GET", f"/catalog/{kind}", params={"x": 1}), 422, "x")


def test_provinces_groups_and_applications_are_the_catalog_s(suite: Suite) -> None:
    assert {p["code"] for p in _all(suite, "provinces", include_past="true")} == set(
        CATALOG.provinces
    )
    current = _all(suite, "provinces")
    assert current and all(p["in_force"] for p in current)
    assert {g["code"] for g in _all(suite, "groups")} == set(CATALOG.groups)
    assert {a["code"] for a in _all(suite, "applications")} == set(CATALOG.applications)
    payment = {a["code"] for a in _all(suite, "applications", group="payment")}
    assert "TTSP" in payment and "TABMIS" not in payment


def test_units_are_searchable_without_diacritics_and_paged(suite: Suite) -> None:
    hanoi = CATALOG.provinces["HNI"]
    found = _all(suite, "units", q=fold(hanoi.name))
    assert found, "no unit found by the folded name of Hà Nội"
    for unit in found:
        assert unit["province"] == "HNI" or fold(hanoi.name) in fold(unit["name"]), unit
    in_force_here = {
        u.code
        for u in CATALOG.units.values()
        if u.province == "HNI"
        and (u.valid_to is None or u.valid_to >= date.today())
        and u.valid_from <= date.today()
    }
    assert in_force_here <= {u["code"] for u in found}
    assert all(u["in_force"] for u in found)
    first = call(suite, suite.admin_token, "GET", "/catalog/units", params={"limit": 2}).json()
    second = call(
        suite, suite.admin_token, "GET", "/catalog/units", params={"limit": 2, "offset": 2}
    ).json()
    assert first["count"] == second["count"] > 4
    assert len(first["data"]) == 2 and first["data"] != second["data"]
    in_hni = _all(suite, "units", province="hni")
    assert in_hni and all(u["province"] == "HNI" for u in in_hni)
    unknown = call(suite, suite.admin_token, "GET", "/catalog/units", params={"province": "XX"})
    assert "/api/v1/catalog/provinces" in assert_error_shape(unknown, 422, "province")


def test_offices_cover_the_ladder_and_policies_mark_the_one_in_force(suite: Suite) -> None:
    offices = _all(suite, "offices", include_past="true")
    kinds = {o["kind"] for o in offices}
    assert {"it_office", "group", "specialist", "ito"} <= kinds
    codes = {o["code"] for o in offices}
    assert {p.it_office for p in CATALOG.provinces.values()} <= codes
    assert [o["code"] for o in _all(suite, "offices", kind="ito")] == ["ITO"]
    policies = _all(suite, "policies")
    assert [p["id"] for p in policies] == [
        v.id for v in sorted(CATALOG.routing.versions, key=lambda v: v.effective_from)
    ]
    assert sum(p["in_force"] for p in policies) == 1
    thanh_toan = _all(suite, "groups", q="thanh toan")
    assert [g["code"] for g in thanh_toan] == ["PAYMENT"]


def test_the_directory_template_downloads_and_imports_as_it_is(suite: Suite) -> None:
    admin = suite.admin_token
    template = call(suite, admin, "GET", "/requesters/import/template.csv")
    assert template.status_code == 200, template.text
    assert template.headers["content-type"].startswith("text/csv")
    assert "attachment" in template.headers["content-disposition"]
    header = template.content.decode("utf-8-sig").splitlines()[0]
    assert header == "name,email,phone,unit_code,unit_kind,unit_province,unit_name"
    imported = call(
        suite,
        admin,
        "POST",
        "/requesters/import",
        content=template.content,
        headers={"Content-Type": "text/csv"},
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["rejected"] == []
    assert imported.json()["created"] + imported.json()["updated"] == 2
    hni = issue_token(suite, Principal("HNI", "province_it", province="HNI"))
    assert_error_shape(call(suite, hni, "GET", "/requesters/import/template.csv"), 403)


def test_a_json_array_is_imported_as_such(suite: Suite) -> None:
    tag = uuid.uuid4().hex[:8]
    people = [
        {"name": "Đỗ Văn Hải", "email": f"hai.{tag}@kbnn.gov.vn", "unit_code": "KBNN-HNI"},
        {"name": "Ngô Thị Mai", "email": f"mai.{tag}@kbnn.gov.vn", "unit_code": "KBNN-HCM"},
        {"name": "Sai", "email": "sai", "unit_code": "KBNN-HNI"},
    ]
    admin = suite.admin_token
    answer = call(
        suite,
        admin,
        "POST",
        "/requesters/import",
        content=json.dumps(people),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["created"] == 2
    assert [r["line"] for r in answer.json()["rejected"]] == [3]
    openapi = call(suite, None, "GET", "/openapi.json").json()
    body = openapi["paths"]["/api/v1/requesters/import"]["post"]["requestBody"]
    assert "unit_province" in body["description"] and "application/json" in body["content"]
