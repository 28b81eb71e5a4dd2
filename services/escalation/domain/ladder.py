"""The support ladder (SPEC §4): where a ticket starts, where each step up goes, who may act.

L1 is the requester's provincial IT office, L2 the central group, L3 the specialist department
the catalog names for the application (and cause), L4 the application's vendor or expert. The
ITO queue (outsourced 24/7 support for online services) hands over to the central group.
"""

from __future__ import annotations

from dataclasses import dataclass

from libs.catalog.model import Catalog
from libs.catalog.org import office_serves

TIERS = ("L1", "L2", "L3", "L4")

#: L4 when an application names no vendor: the technical assurance department's experts.
DEFAULT_EXPERT = "CNTT-DBKT"


class LadderError(ValueError):
    """A move the ladder does not allow (409)."""


class NotYours(PermissionError):
    """The actor may not act on this ticket (403)."""


@dataclass(frozen=True)
class Placement:
    tier: str
    owner: str
    handler: str
    reason: str


@dataclass(frozen=True)
class Actor:
    name: str
    role: str
    province: str | None = None
    group: str | None = None


def initial_placement(first_handler_kind: str, first_handler_office: str, group: str) -> Placement:
    """The first handler owns the ticket and handles it until someone escalates it."""
    if first_handler_kind == "province":
        return Placement(
            "L1",
            first_handler_office,
            first_handler_office,
            f"L1: the requester's provincial IT office {first_handler_office}",
        )
    if first_handler_kind == "ito":
        return Placement("ITO", "ITO", "ITO", "ITO: outsourced 24/7 support for online services")
    return Placement("L2", group, group, f"L2: the central group {group}")


def next_step(
    tier: str, group: str, application: str | None, catalog: Catalog, cause: str | None = None
) -> tuple[str, str]:
    """The tier and handler one step up; raises LadderError past L4."""
    app = catalog.applications.get(application or "")
    if tier in ("L1", "ITO"):
        return "L2", group
    if tier == "L2":
        department = department_for_cause(cause, catalog)
        if department is None:
            department = app.specialist_department if app else DEFAULT_EXPERT
        return "L3", department
    if tier == "L3":
        return "L4", (app.vendor if app and app.vendor else DEFAULT_EXPERT)
    raise LadderError(
        f"Không thể chuyển lên cao hơn L4 (yêu cầu đang ở {tier}); hãy trả kết quả về đơn vị"
        f" chủ trì. / Cannot escalate past L4 (the ticket is at {tier}); return it to its owner."
    )


def department_for_cause(cause: str | None, catalog: Catalog) -> str | None:
    """The L3 department the catalog names for a cause that points away from the
    application's own defects (`l3_for_causes` in departments.yaml)."""
    if not cause:
        return None
    return next((d.code for d in catalog.departments.values() if cause in d.l3_for_causes), None)


def owner_tier(owner: str, catalog: Catalog) -> str:
    """The tier the owner works at: an IT office is L1, ITO is ITO, a group is L2."""
    if owner in catalog.it_offices:
        return "L1"
    if owner == "ITO":
        return "ITO"
    return "L2"


def office_province(office: str, catalog: Catalog) -> str | None:
    found = catalog.it_offices.get(office)
    return found.province if found else None


def check_may_act(actor: Actor, owner: str, handler: str, tier: str, catalog: Catalog) -> None:
    """SPEC §8: a province acts only on its own tickets, a group on its group's, analysts
    and requesters never move a ticket on the ladder."""
    if actor.role in ("admin", "integration"):
        return
    if actor.role in ("analyst", "requester"):
        raise NotYours(
            f"Vai trò {actor.role} không được chuyển yêu cầu trên các bậc hỗ trợ. / "
            f"The {actor.role} role cannot act on the support ladder."
        )
    if actor.role == "province_it":
        # A regional IT function (2025) answers several provinces; an old province's staff
        # and its successor's are one (libs/catalog/org.py).
        serves = office_serves(catalog, owner, actor.province) or office_serves(
            catalog, handler, actor.province
        )
        if actor.province is None or not serves:
            raise NotYours(
                f"Yêu cầu thuộc tỉnh khác ({owner}), không thuộc {actor.province}. / "
                f"The ticket belongs to another province ({owner}), not {actor.province}."
            )
        return
    if actor.role in ("group_agent", "group_lead"):
        if actor.group not in (owner, handler):
            raise NotYours(
                f"Yêu cầu đang do {handler} xử lý, không phải nhóm {actor.group}. / "
                f"The ticket is handled by {handler}, not by group {actor.group}."
            )
        return
    if actor.role == "specialist":
        if tier not in ("L3", "L4"):
            raise NotYours(
                "Chuyên viên chỉ xử lý yêu cầu ở bậc L3 hoặc L4. / "
                "Specialists act on tickets at L3 or L4."
            )
        return
    raise NotYours(f"unknown role {actor.role}")
