"""Who is asking: a directory user by e-mail, a catalog unit, or a declared unit (SPEC §1, §7).

A directory user may give only their e-mail; what they give explicitly (a unit code, a
declared unit, a phone) wins over the directory, because people move and the directory lags.

The organisation is read as it was on the day of the request (`on`, the ticket's received_at):
a 2023 unit code or a province absorbed in 2025 on a new ticket is filed under its successor,
and `notes` says so (the caller records them on the ticket); an import of an old ticket keeps
the codes that were in force then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from libs.catalog.model import Catalog
from libs.catalog.requester import UnknownUnit, resolve_requester_unit
from services.intake.adapters.directory import RequesterDirectory
from services.intake.domain.ticket import Ticket

VN = ZoneInfo("Asia/Ho_Chi_Minh")


class RequesterProblem(ValueError):
    """`field` is the path under `requester` to correct."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class ResolvedRequester:
    requester: dict[str, Any]
    unit_kind: str | None
    province: str | None
    #: Codes of an older organisation mapped to their successors (one sentence each).
    notes: tuple[str, ...] = ()


#: Who writes the note on a ticket whose unit or province was mapped to a successor.
REMAP_AUTHOR = "hotro"


def note_remapped(ticket: Ticket, notes: tuple[str, ...], at: datetime) -> None:
    """An internal note per mapping, so operators see what the requester gave (the ticket
    itself carries the successor: routing, queues and province isolation use it)."""
    for note in notes:
        ticket.comment(REMAP_AUTHOR, "system", "internal", note, at)


def request_day(received_at: datetime | None) -> date:
    """The day (in Vietnam) whose organisation a request is read in: received_at, else today."""
    return (received_at or datetime.now(VN)).astimezone(VN).date()


async def resolve_requester(
    given: dict[str, Any],
    directory: RequesterDirectory,
    catalog: Catalog,
    on: date | None = None,
) -> ResolvedRequester:
    email = (given.get("email") or "").strip().lower() or None
    entry = await directory.find(email) if email else None
    unit_code = (given.get("unit_code") or "").strip().upper() or None
    declared = given.get("unit")
    if entry is not None and not unit_code and not declared:
        unit_code, declared = entry.unit_code, entry.unit
    name = (given.get("name") or "").strip() or (entry.name if entry else "")
    if not name:
        raise RequesterProblem("name", "required for a requester outside the directory")
    if not unit_code and not declared:
        where = f"{email} is not in the requester directory" if email else "no unit given"
        raise RequesterProblem(
            "unit_code", f"{where}; give unit_code or a declared unit {{kind, province, name}}"
        )
    try:
        unit = resolve_requester_unit(
            catalog, unit_code=unit_code, declared=declared, on=on or request_day(None)
        )
    except UnknownUnit as error:
        raise RequesterProblem(error.field, error.reason) from error
    requester = {
        "name": name,
        "email": email,
        "phone": given.get("phone") or (entry.phone if entry else None),
        # A catalog code is the one in force on the day (a 2023 code → its successor).
        "unit_code": unit.unit_code if unit_code else None,
        "unit": declared,
    }
    return ResolvedRequester(requester, unit.kind, unit.province, unit.notes)
