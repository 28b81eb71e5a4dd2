"""The decentralisation policy, checked case by case against the SPEC §3.3 text.

`spec_says` is the SPEC paragraph written as a function, independent of the rule data; the
table is every requester kind × application scope × DVC/TABMIS/other × phase × ITO option.
"""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from libs.catalog.model import Application, Scope
from libs.catalog.requester import RequesterKind, RequesterUnit
from services.routing.domain.first_handler import first_handler_for

from .catalog_fixture import CATALOG, ITO_OPTION, PHASE_2, PHASE_3, PHASES

KINDS: list[RequesterKind] = [
    "kbnn_central",
    "kbnn_province",
    "kbnn_district",
    "finance_agency",
    "budget_unit",
    "ministry",
    "unknown",
]
SCOPES: list[Scope] = ["national", "provincial", "local"]
APPS = ["DVC", "TABMIS", "QLTS"]
_UNIT_OF = {
    "kbnn_central": "KBNN-CNTT",
    "kbnn_province": "KB-HN",
    "kbnn_district": "KB-HN-BD",
    "finance_agency": "STC-HN",
    "budget_unit": "1012345",
    "ministry": "BTC",
}


def requester(kind: RequesterKind) -> RequesterUnit:
    unit = CATALOG.units.get(_UNIT_OF.get(kind, ""))
    return RequesterUnit(
        kind,
        unit.province if unit else None,
        unit.code if unit else None,
        declared=False,
        name=unit.name if unit else None,
    )


def application(code: str, scope: Scope) -> Application:
    """The catalog's application moved to `scope`, so every scope meets every clause."""
    return CATALOG.applications[code].model_copy(update={"scope": scope})


def spec_says(kind: str, code: str | None, scope: str | None, phase: int, ito: bool) -> str:
    outside_treasury = kind in ("finance_agency", "budget_unit", "ministry")
    if ito and code == "DVC" and outside_treasury:
        return "ito"  # Outsourced 24/7: DVC from users outside the treasury.
    in_province = kind in ("kbnn_province", "kbnn_district")
    if phase == 1:
        return "province" if in_province and scope in ("local", "provincial") else "central"
    if phase == 2:
        return "province" if in_province else "central"
    return "province" if in_province or kind in ("finance_agency", "budget_unit") else "central"


CASES = [
    pytest.param(kind, code, scope, phase, ito, id=f"P{phase}-{kind}-{code}-{scope}-ito{ito:d}")
    for kind, code, scope, phase, ito in itertools.product(
        KINDS, APPS, SCOPES, PHASES, (True, False)
    )
] + [
    pytest.param(kind, None, None, phase, ito, id=f"P{phase}-{kind}-no_app-ito{ito:d}")
    for kind, phase, ito in itertools.product(KINDS, PHASES, (True, False))
]


@pytest.mark.parametrize(("kind", "code", "scope", "phase", "ito"), CASES)
def test_first_handler_follows_the_spec_text(
    kind: RequesterKind, code: str | None, scope: Scope | None, phase: int, ito: bool
) -> None:
    app = application(code, scope) if code and scope else None
    decision = first_handler_for(requester(kind), app, PHASES[phase], {ITO_OPTION: ito}, CATALOG)

    expected = spec_says(kind, code, scope, phase, ito)
    assert decision.kind == expected, decision.reason
    assert decision.policy_version == f"P{phase}"
    assert decision.rule in decision.reason
    assert (decision.tier, decision.office) == {
        "province": ("L1", "HN-IT"),
        "central": ("L2", app.group if app else "SERVICE_DESK"),
        "ito": ("ITO", "ITO"),
    }[expected]


def test_a_unit_that_names_its_own_it_office_is_answered_there() -> None:
    thu_duc = RequesterUnit("kbnn_district", "HCM", "KB-HCM-TD", declared=False, name="KB Thủ Đức")

    decision = first_handler_for(thu_duc, CATALOG.applications["TABMIS"], PHASE_3, {}, CATALOG)

    assert (decision.kind, decision.office) == ("province", "HCM-IT-TD")


def test_a_declared_unit_is_answered_by_its_province_office() -> None:
    declared = RequesterUnit("budget_unit", "HCM", None, declared=True, name="UBND phường")

    decision = first_handler_for(declared, CATALOG.applications["TTSP"], PHASE_3, {}, CATALOG)

    assert (decision.kind, decision.tier, decision.office) == ("province", "L1", "HCM-IT")


def test_a_province_clause_without_a_province_falls_through_to_central() -> None:
    no_province = RequesterUnit("finance_agency", None, None, declared=True, name="Sở TC")

    decision = first_handler_for(no_province, CATALOG.applications["TTSP"], PHASE_3, {}, CATALOG)

    assert (decision.kind, decision.office, decision.rule) == ("central", "PAYMENT", "central_rest")
    assert "p3_province_to_province" in decision.reason


def test_an_option_missing_from_the_options_counts_as_off() -> None:
    decision = first_handler_for(
        requester("budget_unit"), CATALOG.applications["DVC"], PHASE_3, {}, CATALOG
    )

    assert decision.kind == "province"


def test_central_goes_to_the_classified_group_when_no_application_is_known() -> None:
    decision = first_handler_for(
        requester("ministry"), None, PHASE_3, {}, CATALOG, group="WORKSTATION"
    )

    assert (decision.kind, decision.tier, decision.office) == ("central", "L2", "WORKSTATION")


def test_external_tabmis_users_go_central_in_phase_2_but_province_in_phase_3() -> None:
    tabmis = CATALOG.applications["TABMIS"]
    options = {ITO_OPTION: True}

    phase_2 = first_handler_for(requester("budget_unit"), tabmis, PHASE_2, options, CATALOG)
    phase_3 = first_handler_for(requester("budget_unit"), tabmis, PHASE_3, options, CATALOG)

    assert (phase_2.kind, phase_2.office, phase_2.rule) == (
        "central",
        "TABMIS",
        "p2_external_tabmis_to_central",
    )
    assert (phase_3.kind, phase_3.office) == ("province", "HN-IT")


def test_a_policy_without_a_catch_all_still_routes_to_central() -> None:
    bare = PHASE_3.model_copy(update={"rules": PHASE_3.rules[1:2]})

    decision = first_handler_for(requester("ministry"), None, bare, {}, CATALOG)

    assert (decision.kind, decision.office, decision.rule) == (
        "central",
        "SERVICE_DESK",
        "no_matching_rule",
    )


def test_the_version_in_force_follows_the_submission_date() -> None:
    assert CATALOG.policy_in_force(date(2017, 6, 1)).id == "P1"
    assert CATALOG.policy_in_force(date(2018, 12, 31)).id == "P2"
    assert CATALOG.policy_in_force(date(2026, 3, 2)).id == "P3"
