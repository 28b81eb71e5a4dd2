"""Does a classification mistake send a ticket to the wrong first handler? Per policy phase.

The labelled sets give each ticket's application, group and type, not who answers it first:
that follows from the policy (SPEC §3.3) once the requester and the day are known, and the
sets name neither. So this measures *agreement*, not accuracy against labelled handlers: the
reference is the first handler the phase gives the ticket's labelled application and group,
and a ticket counts as right when routing's own classification of its text leads the same
phase to the same handler (kind, tier, office). Each ticket is asked by a fixed panel of
requesters, one per kind the phases tell apart, on the phase's first day. A wrong group that
the phase sends to the province anyway is no harm here; a wrong scope or a central group is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from libs.catalog.model import Catalog, PolicyVersion
from libs.catalog.requester import UNKNOWN, RequesterUnit
from services.routing.domain.examples import LabelledTicket
from services.routing.domain.first_handler import first_handler_for

#: (text, picked application) → (application, group, type), as the service classifies.
Decide = Callable[[str, str | None], tuple[str | None, str, str]]

#: One requester of each kind the phases distinguish (SPEC §3.3).
PANEL: tuple[RequesterUnit, ...] = (
    RequesterUnit("kbnn_province", "HNI", None, declared=False, name="KBNN Hà Nội"),
    RequesterUnit("kbnn_district", "HCM", None, declared=False, name="KBNN quận"),
    RequesterUnit("finance_agency", "HNI", None, declared=True, name="Sở Tài chính"),
    RequesterUnit("budget_unit", "HCM", None, declared=True, name="Đơn vị sử dụng ngân sách"),
    RequesterUnit("ministry", None, None, declared=True, name="Bộ, ngành"),
    UNKNOWN,
)


@dataclass(frozen=True)
class PhaseAgreement:
    policy_id: str
    effective_from: date
    #: Tickets × requesters of the panel.
    asked: int
    same: int
    #: "labelled application/group read as decided one: expected office → office", times;
    #: the most frequent first.
    misses: tuple[tuple[str, int], ...] = ()

    @property
    def rate(self) -> float:
        return self.same / self.asked if self.asked else 1.0


def first_handler_agreement(
    examples: Sequence[LabelledTicket],
    decide: Decide,
    catalog: Catalog,
    panel: Iterable[RequesterUnit] = PANEL,
) -> list[PhaseAgreement]:
    """Per policy version: how often the decided classification gets the labelled one's
    first handler."""
    requesters = tuple(panel)
    decided = [decide(example.text, example.pick) for example in examples]
    results = []
    for policy in catalog.routing.versions:
        same = 0
        misses: dict[str, int] = {}
        for example, (application, group, _) in zip(examples, decided, strict=True):
            for requester in requesters:
                expected = _handler(catalog, policy, requester, example.application, example.group)
                got = _handler(catalog, policy, requester, application, group)
                if expected == got:
                    same += 1
                else:
                    key = (
                        f"{example.application or '-'}/{example.group} read as"
                        f" {application or '-'}/{group}: {expected[2]} → {got[2]}"
                    )
                    misses[key] = misses.get(key, 0) + 1
        worst = tuple(sorted(misses.items(), key=lambda item: (-item[1], item[0])))
        asked = len(examples) * len(requesters)
        results.append(PhaseAgreement(policy.id, policy.effective_from, asked, same, worst))
    return results


def _handler(
    catalog: Catalog,
    policy: PolicyVersion,
    requester: RequesterUnit,
    application: str | None,
    group: str,
) -> tuple[str, str, str]:
    handler = first_handler_for(
        requester,
        catalog.applications.get(application or ""),
        policy,
        catalog.routing.options,
        catalog,
        group=group,
        on=policy.effective_from,
    )
    return handler.kind, handler.tier, handler.office
