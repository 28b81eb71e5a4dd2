"""The same checks against the catalog we ship (`catalog/*.yaml`), not only the code fixture.

A change of aliases or phase rules that breaks classification or the SPEC §3.3 policy is
caught here, where the data change is made.
"""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from libs.catalog import Catalog, Unit, load_catalog
from libs.catalog.requester import resolve_requester_unit
from services.routing.domain.classify import classify
from services.routing.domain.first_handler import first_handler_for

from .test_classify import ANY, EXAMPLES
from .test_first_handler import spec_says

SHIPPED: Catalog = load_catalog()
PHASE_STARTS = {1: date(2017, 1, 1), 2: date(2018, 1, 1), 3: date(2019, 1, 1)}


def _a_unit_of_each_kind() -> list[Unit]:
    firsts: dict[str, Unit] = {}
    for unit in SHIPPED.units.values():
        firsts.setdefault(unit.kind, unit)
    return list(firsts.values())


@pytest.mark.parametrize(
    ("text", "picked", "application", "group"),
    [(text, picked, app, group) for text, picked, app, group, _ in EXAMPLES],
    ids=[f"{i:02d}" for i in range(len(EXAMPLES))],
)
def test_the_shipped_aliases_classify_the_examples(
    text: str, picked: str | None, application: str | None, group: str
) -> None:
    result = classify(text, SHIPPED, picked)

    if application != ANY:
        assert result.application == application, result.reasons
    assert result.group == group, result.reasons


@pytest.mark.parametrize(
    ("unit", "code", "phase", "ito"),
    list(
        itertools.product(
            _a_unit_of_each_kind(),
            sorted(SHIPPED.applications),
            PHASE_STARTS,
            (True, False),
        )
    ),
    ids=lambda v: v.code if isinstance(v, Unit) else str(v),
)
def test_the_shipped_phases_follow_the_spec_text(
    unit: Unit, code: str, phase: int, ito: bool
) -> None:
    app = SHIPPED.applications[code]
    requester = resolve_requester_unit(SHIPPED, unit.code)
    policy = SHIPPED.policy_in_force(PHASE_STARTS[phase])

    decision = first_handler_for(requester, app, policy, {"ito_outsourcing": ito}, SHIPPED)

    assert decision.kind == spec_says(unit.kind, code, app.scope, phase, ito), decision.reason
    if decision.kind == "province":
        assert unit.province is not None
        assert decision.office == unit.it_office or SHIPPED.provinces[unit.province].it_office


def test_a_declared_province_is_found_by_its_everyday_name() -> None:
    unit = resolve_requester_unit(
        SHIPPED, declared={"kind": "budget_unit", "province": "Sai Gon", "name": "Trường A"}
    )

    assert unit.province == "HCM"
