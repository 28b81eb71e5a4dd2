"""Placing a requester: a directory unit, a declared unit, or an unknown sender (SPEC §1)."""

from __future__ import annotations

import pytest

from libs.catalog.requester import RequesterUnit, UnknownUnit, resolve_requester_unit

from .catalog_fixture import CATALOG


def test_a_known_unit_code_gives_the_units_kind_and_province() -> None:
    unit = resolve_requester_unit(CATALOG, "KB-HN-BD")

    assert unit == RequesterUnit(
        "kbnn_district", "HN", "KB-HN-BD", declared=False, name="KB Ba Đình"
    )


def test_a_known_unit_code_wins_over_a_declaration() -> None:
    unit = resolve_requester_unit(CATALOG, "BTC", {"kind": "budget_unit", "province": "HN"})

    assert (unit.kind, unit.province, unit.declared) == ("ministry", None, False)


@pytest.mark.parametrize("typed", ["HCM", "Hồ Chí Minh", "ho chi minh", "TP.HCM", "sai gon"])
def test_a_declared_province_may_be_a_code_or_a_name_without_diacritics(typed: str) -> None:
    unit = resolve_requester_unit(
        CATALOG, declared={"kind": "budget_unit", "province": typed, "name": " UBND phường 1 "}
    )

    assert unit == RequesterUnit("budget_unit", "HCM", None, declared=True, name="UBND phường 1")


def test_a_budget_unit_keeps_its_qhns_code_even_though_the_catalog_does_not_list_it() -> None:
    unit = resolve_requester_unit(
        CATALOG, "1098765", {"kind": "budget_unit", "province": "DN", "name": "Trường X"}
    )

    assert (unit.unit_code, unit.province, unit.declared) == ("1098765", "DN", True)


def test_a_declared_central_kind_has_no_province() -> None:
    unit = resolve_requester_unit(CATALOG, declared={"kind": "ministry", "province": "HN"})

    assert (unit.kind, unit.province) == ("ministry", None)


def test_nothing_known_is_an_unknown_unit_for_triage() -> None:
    unit = resolve_requester_unit(CATALOG)

    assert (unit.kind, unit.province, unit.declared) == ("unknown", None, False)


@pytest.mark.parametrize(
    ("unit_code", "declared", "field"),
    [
        ("KB-XX", None, "unit_code"),
        ("KB-XX", {"kind": "finance_agency", "province": "HN"}, "unit_code"),
        (None, {"kind": "bank", "province": "HN"}, "unit.kind"),
        (None, {"province": "HN"}, "unit.kind"),
        (None, {"kind": "finance_agency", "province": "Atlantis"}, "unit.province"),
        (None, {"kind": "kbnn_district", "province": ""}, "unit.province"),
    ],
)
def test_an_unplaceable_unit_names_the_field_to_correct(
    unit_code: str | None, declared: dict[str, str] | None, field: str
) -> None:
    with pytest.raises(UnknownUnit) as raised:
        resolve_requester_unit(CATALOG, unit_code, declared)

    assert raised.value.field == field
    assert field in str(raised.value)
