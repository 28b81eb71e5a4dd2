"""The agent directory: the desk's people, their office and groups (issue 13).

`assign` names one of them, never free text: an active person who works where the ticket is
now (its handler: a province's IT office, a group, a department or a vendor). Pure rules; the
table lives in `adapters/agents.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from libs.catalog.model import Catalog
from libs.text import fold

#: Roles a person of the desk may have (requesters are the requester directory's).
AGENT_ROLES = ("province_it", "group_agent", "group_lead", "specialist", "admin")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Agent:
    id: str
    name: str
    email: str
    office: str
    groups: tuple[str, ...] = ()
    role: str = "group_agent"
    active: bool = True
    province: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def works_at(self, handler: str | None) -> bool:
        """Whether this person may take a ticket whose current handler is `handler`."""
        return bool(handler) and (handler == self.office or handler in self.groups)


class AgentRefused(ValueError):
    """A person the directory cannot hold, or an assignee it cannot name; `field` is the
    request field at fault (the gateway answers 422 naming it)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def agent_id_for(email: str) -> str:
    """A stable id from the e-mail (one person, one address)."""
    return re.sub(r"[^a-z0-9]+", "-", email.strip().lower()).strip("-")


def known_offices(catalog: Catalog) -> set[str]:
    """Where a person can work: IT offices, departments and vendors, the six groups, the ITO."""
    return {*catalog.it_offices, *catalog.departments, *catalog.groups, "ITO"}


def province_of_office(office: str, catalog: Catalog) -> str | None:
    found = catalog.it_offices.get(office)
    return found.province if found else None


def check_agent(
    name: str, email: str, office: str, groups: list[str], role: str, catalog: Catalog
) -> Agent:
    """A valid person, or AgentRefused naming the field."""
    if not name.strip():
        raise AgentRefused("name", "Tên không được để trống. / The name must not be blank.")
    if not _EMAIL.match(email.strip()):
        raise AgentRefused("email", f"Địa chỉ thư không hợp lệ. / {email!r} is not an e-mail.")
    office = office.strip().upper()
    if office not in known_offices(catalog):
        raise AgentRefused(
            "office",
            f"Đơn vị '{office}' không có trong danh mục. / Unknown office {office!r}: an IT "
            "office (PTH-…), a department or vendor (CNTT-…, VD-…), a group or ITO — see "
            "catalog/it_offices.yaml, departments.yaml, groups.yaml.",
        )
    codes = [g.strip().upper() for g in groups]
    unknown = [g for g in codes if g not in catalog.groups]
    if unknown:
        raise AgentRefused(
            "groups",
            f"Nhóm không hợp lệ: {', '.join(unknown)}. / Unknown groups {unknown}; one of "
            f"{', '.join(sorted(catalog.groups))}.",
        )
    if role not in AGENT_ROLES:
        raise AgentRefused(
            "role", f"Vai trò '{role}' không hợp lệ. / Role must be one of {AGENT_ROLES}."
        )
    return Agent(
        id=agent_id_for(email),
        name=" ".join(name.split()),
        email=email.strip().lower(),
        office=office,
        groups=tuple(dict.fromkeys(codes)),
        role=role,
        province=province_of_office(office, catalog),
    )


def pick_assignee(given: str, handler: str | None, people: list[Agent]) -> Agent:
    """The person `given` names (their e-mail, id or name, case and diacritics aside) among
    the active people where the ticket is (`handler`); AgentRefused otherwise."""
    wanted = given.strip()
    if not wanted:
        raise AgentRefused(
            "assignee",
            "Cần nêu người nhận xử lý. / Name the person who takes the ticket.",
        )
    folded = fold(wanted)
    named = [p for p in people if wanted.lower() in (p.email, p.id) or fold(p.name) == folded]
    if not named:
        raise AgentRefused(
            "assignee",
            f"Không có cán bộ '{wanted}' trong danh bạ cán bộ. / No person {wanted!r} in the "
            "agent directory (GET /api/v1/agents; an admin adds people with POST /api/v1/agents).",
        )
    here = [p for p in named if p.active and p.works_at(handler)]
    if not here:
        why = (
            "đã ngừng hoạt động / is deactivated"
            if not any(p.active for p in named)
            else (f"không thuộc {handler} / does not work at {handler}, where the ticket is now")
        )
        raise AgentRefused("assignee", f"Cán bộ '{wanted}' {why}.")
    if len(here) > 1:
        raise AgentRefused(
            "assignee",
            f"Có {len(here)} cán bộ tên '{wanted}' tại {handler}; hãy dùng địa chỉ thư. / "
            f"{len(here)} people named {wanted!r} work at {handler}: give the e-mail.",
        )
    return here[0]


def office_of(
    role: str, province: str | None, group: str | None, catalog: Catalog, on: date
) -> str | None:
    """The office a token's scope points at (a province's IT office, else its group)."""
    if role == "province_it" and province in catalog.provinces:
        regional = catalog.as_of(on).regional_office(province)
        return regional or catalog.provinces[province].it_office
    return group
