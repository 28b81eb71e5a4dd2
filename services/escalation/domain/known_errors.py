"""Known errors (SPEC §4): a defect found by resolving tickets, tracked to its release.

Resolving a ticket with cause `software_bug` opens a known error for the responsible
department and application, or joins the one already open; when the fix is released,
every linked ticket's requester is told. One open known error per (application,
department) at a time, kept by a small index aggregate so a redelivered resolution never
opens a second one.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from eventsourcing.domain import Aggregate, event

from libs.catalog.model import Catalog

STATUSES = ("open", "fix_in_progress", "released")
NEXT_STATUS = {"open": ("fix_in_progress", "released"), "fix_in_progress": ("released",)}


class KnownErrorMove(ValueError):
    """A lifecycle move that is not allowed (409)."""


class KnownError(Aggregate):
    @event("Opened")
    def __init__(
        self,
        id: uuid.UUID,
        number: str,
        application: str,
        department: str,
        title: str,
        first_ticket: str,
        at: datetime,
    ) -> None:
        self.number = number
        self.application = application
        self.department = department
        self.title = title
        self.status = "open"
        self.tickets: list[str] = [first_ticket]
        self.last_ticket = first_ticket
        self.note = ""

    @event("Joined")
    def join(self, ticket_id: str, at: datetime) -> None:
        self.tickets = [*self.tickets, ticket_id]
        self.last_ticket = ticket_id

    @event("StatusChanged")
    def change_status(self, status: str, note: str, actor: str, at: datetime) -> None:
        self.status = status
        self.note = note

    def move_to(self, status: str, note: str, actor: str, at: datetime) -> None:
        if status not in NEXT_STATUS.get(self.status, ()):
            raise KnownErrorMove(f"a known error that is {self.status} cannot become {status}")
        self.change_status(status=status, note=note, actor=actor, at=at)


class KnownErrorIndex(Aggregate):
    """Which known error is open for one (application, department), and how many were."""

    @event("Created")
    def __init__(self, id: uuid.UUID, application: str, department: str) -> None:
        self.open_id: str | None = None
        self.count = 0

    @event("Pointed")
    def point_to(self, known_error_id: str | None) -> None:
        if known_error_id is not None:
            self.count += 1
        self.open_id = known_error_id


def responsible_department(application: str | None, handled_by: list[str], catalog: Catalog) -> str:
    """The L3 department that handled the ticket, else the application's specialist one."""
    for handler in reversed(handled_by):
        department = catalog.departments.get(handler)
        if department is not None and department.kind == "specialist":
            return department.code
    app = catalog.applications.get(application or "")
    return app.specialist_department if app else "CNTT-PTUD"


def known_error_number(year: int, application: str, sequence: int) -> str:
    return f"KE-{year}-{application}-{sequence:03d}"


def file_known_error(
    index: KnownErrorIndex,
    open_error: KnownError | None,
    new_id: uuid.UUID,
    ticket_id: str,
    application: str,
    department: str,
    title: str,
    at: datetime,
) -> KnownError:
    """Join the open known error of this application and department, or open a new one."""
    if open_error is not None and open_error.status != "released":
        if ticket_id not in open_error.tickets:
            open_error.join(ticket_id=ticket_id, at=at)
        return open_error
    number = known_error_number(at.year, application, index.count + 1)
    created = KnownError(
        id=new_id,
        number=number,
        application=application,
        department=department,
        title=title,
        first_ticket=ticket_id,
        at=at,
    )
    index.point_to(known_error_id=str(created.id))
    return created
