"""Who answers a ticket first: the decentralisation policy of SPEC §3.3, read from data.

The phases (2017, 2018, 2019, and the 2025 two-level organisation) and the outsourced 24/7
option are rules in a dated `PolicyVersion`; this module only walks them. A `province` rule
names the local L1: the unit's provincial IT office under the first three phases, the IT
function of the regional treasury covering the unit's province on the day under phase 4
(`l1_office: region`; the kind stays `province`, so the API contract does not change). Rules are tried in order and the first that
matches decides, so "why did this ticket go to the province?" is answered by the rule name
and reason recorded on the decision.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

from libs.catalog.model import Application, Catalog, PolicyVersion, RouteRule, RouteTarget
from libs.catalog.requester import RequesterUnit
from services.routing.domain.classify import TRIAGE_GROUP

Tier = Literal["L1", "L2", "ITO"]
ITO_OFFICE = "ITO"
#: The decision when no rule matches: a policy without a catch-all still routes somewhere.
NO_RULE = "no_matching_rule"


@dataclass(frozen=True)
class FirstHandler:
    kind: RouteTarget
    tier: Tier
    #: IT office code (province), group code (central) or "ITO".
    office: str
    policy_version: str
    rule: str
    reason: str


def first_handler_for(
    requester: RequesterUnit,
    application: Application | None,
    policy: PolicyVersion,
    options: Mapping[str, bool],
    catalog: Catalog,
    *,
    group: str | None = None,
    on: date | None = None,
) -> FirstHandler:
    """The first rule of `policy` that matches decides.

    `group` is the classified group when no application is known (a printer goes to
    WORKSTATION); it defaults to the application's group, else Service Desk triage. `on` is
    the day of the request (Vietnam): a regional policy looks up the region covering the
    unit's province that day; it defaults to the policy's first day.
    """
    central_group = group or (application.group if application else TRIAGE_GROUP)
    skipped: RouteRule | None = None
    for rule in policy.rules:
        if not _matches(rule, requester, application, options):
            continue
        if rule.target == "ito":
            reason = f"{_clause(policy, rule)} sends it to the outsourced 24/7 vendor"
            return FirstHandler("ito", "ITO", ITO_OFFICE, policy.id, rule.name, reason + ".")
        if rule.target == "province":
            if policy.l1_office == "region":
                office, where = _regional_office(requester, catalog, on or policy.effective_from)
            else:
                office, where = _province_office(requester, catalog), requester.province
            if office is None:
                # A province clause cannot serve a requester without a province (central,
                # ministry, unknown sender): later rules, ending in central, decide.
                skipped = skipped or rule
                continue
            reason = f"{_clause(policy, rule)} sends it to the IT office {office} of {where}"
            return FirstHandler("province", "L1", office, policy.id, rule.name, reason + ".")
        return _central(policy, rule.name, _clause(policy, rule), central_group, skipped)
    clause = f"No rule of policy {policy.id} matches"
    return _central(policy, NO_RULE, clause, central_group, skipped)


def _matches(
    rule: RouteRule,
    requester: RequesterUnit,
    application: Application | None,
    options: Mapping[str, bool],
) -> bool:
    """A `None` condition matches anything; a set one needs a known value that is in it."""
    if rule.option is not None and not options.get(rule.option, False):
        return False
    if rule.requester_kinds is not None and requester.kind not in rule.requester_kinds:
        return False
    if rule.scopes is not None and (application is None or application.scope not in rule.scopes):
        return False
    return rule.applications is None or (
        application is not None and application.code in rule.applications
    )


def _province_office(requester: RequesterUnit, catalog: Catalog) -> str | None:
    """The unit's own IT office when it names one, else its province's (SPEC §1)."""
    if requester.province is None:
        return None
    unit = catalog.units.get(requester.unit_code) if requester.unit_code else None
    if unit is not None and unit.it_office:
        return unit.it_office
    province = catalog.provinces.get(requester.province)
    return province.it_office if province else None


def _regional_office(
    requester: RequesterUnit, catalog: Catalog, on: date
) -> tuple[str | None, str | None]:
    """The L1 of the 2025 organisation and the words that say whose it is.

    A unit of that organisation (a regional treasury, a transaction office) names its own
    regional IT function; any other unit (an external one, or a 2023 code in an import) is
    answered by the region covering its province on the day, an old province mapped first to
    the one that carries it on.
    """
    if requester.province is None:
        return None, None
    view = catalog.as_of(on)
    unit = view.unit(requester.unit_code) if requester.unit_code else None
    if unit is not None and view.office(unit.it_office) is not None:
        return unit.it_office, unit.code
    region = view.region_of(requester.province)
    if region is None:
        return None, None
    return (
        region.region.it_office,
        f"{region.name} (province {view.province_code(requester.province)})",
    )


def _central(
    policy: PolicyVersion, rule: str, clause: str, group: str, skipped: RouteRule | None
) -> FirstHandler:
    reason = f"{clause}: central group {group} handles it"
    if skipped is not None:
        reason += f" (rule {skipped.name} needs a province, and the requester has none)"
    return FirstHandler("central", "L2", group, policy.id, rule, reason + ".")


def _clause(policy: PolicyVersion, rule: RouteRule) -> str:
    """E.g. "Policy P1 rule p1_local (kinds kbnn_district; scopes local, provincial)"."""
    conditions = [
        f"{label} {', '.join(values)}"
        for label, values in (
            ("kinds", rule.requester_kinds),
            ("scopes", rule.scopes),
            ("applications", rule.applications),
        )
        if values is not None
    ]
    if rule.option:
        conditions.append(f"option {rule.option} on")
    return f"Policy {policy.id} rule {rule.name} ({'; '.join(conditions) or 'any request'})"
