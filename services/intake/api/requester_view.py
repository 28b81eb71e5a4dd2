"""What a requester sees of their own ticket: an allow-list projection of the staff view.

Zammad's customer interface and the JSM portal show the customer their request, the public
conversation, the state in plain words and the answer; never internal notes, who inside the
desk works on it, the routing engine's reasons, SLA clocks or vendor codes. The view is built
field by field from what a requester may see (not by deleting what is internal), so a field
or an event type added later stays with the staff until someone decides otherwise here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, SerializerFunctionWrapHandler, model_serializer

from libs.catalog.model import Catalog
from services.intake.domain.mail.notices import CAUSE_NAMES_VI
from services.intake.domain.ticket import REQUESTER_SIDE

#: The status in the words of the portal (the code stays in `status`).
STATUS_TEXT = {
    "new": "Đã tiếp nhận",
    "routed": "Đã chuyển đến bộ phận xử lý",
    "in_progress": "Đang xử lý",
    "waiting_requester": "Đang chờ anh/chị phản hồi",
    "resolved": "Đã giải quyết",
    "reopened": "Đã mở lại",
    "closed": "Đã đóng",
}
#: Who answers, when it is not the requester's provincial IT office: the desk as one body
#: (the ladder's groups, specialist departments and vendors are the desk's own business).
CENTRAL_DESK = "Bộ phận Hỗ trợ CNTT - Kho bạc Nhà nước"
#: Status changes whose reason is addressed to the requester: the question they are asked
#: (`/wait`) and the answer (`/resolve`); other reasons are notes among staff.
_REASON_FOR_REQUESTER = frozenset({"waiting_requester", "resolved"})
_REQUESTER_FIELDS = ("name", "email", "phone", "unit_code", "unit")
_FILE_FIELDS = ("attachment_id", "filename", "content_type", "size", "stored", "refused_reason")


class RequesterEntry(BaseModel):
    """One step of the ticket as the requester follows it."""

    kind: Literal["submitted", "comment", "status", "attachment"]
    at: datetime | str
    #: comment: the author, and whether they wrote for the requester's side or the desk.
    author: str | None = None
    side: Literal["requester", "desk"] | None = None
    body: str | None = None
    #: status: the new status, its words, and the question or answer given with it.
    status: str | None = None
    text: str | None = None
    note: str | None = None
    #: attachment
    filename: str | None = None
    size: int | None = None
    stored: bool | None = None

    @model_serializer(mode="wrap")
    def _only_what_applies(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Each kind carries its own fields; the others are left out, not sent as nulls."""
        return {k: v for k, v in handler(self).items() if v is not None}


class Resolution(BaseModel):
    cause: str | None = None
    cause_text: str | None = None
    answer: str | None = None
    at: datetime | str | None = None


class RequesterTicket(BaseModel):
    """`GET /api/v1/tickets/{id}` for the `requester` role: their request, the public
    conversation, the status in plain words, the answer."""

    id: str
    number: str
    status: str
    status_text: str
    subject: str | None = None
    description: str | None = None
    channel: str | None = None
    application: str | None = None
    application_name: str | None = None
    requester: dict[str, Any] = {}
    handled_by: str | None = None
    resolution: Resolution | None = None
    received_at: datetime | None = None
    submitted_at: datetime | None = None
    updated_at: datetime | None = None
    attachments: list[dict[str, Any]] = []
    history: list[RequesterEntry] = []


class RequesterTickets(BaseModel):
    data: list[RequesterTicket]
    count: int
    limit: int
    offset: int


def for_requester(row: dict[str, Any], catalog: Catalog) -> RequesterTicket:
    """The requester's view of a view row (with or without `history`)."""
    application = row.get("application") or row.get("picked_application")
    known = catalog.applications.get(application or "")
    history = [e for e in map(_entry, row.get("history") or []) if e is not None]
    return RequesterTicket(
        id=str(row["id"]),
        number=row["number"],
        status=row["status"],
        status_text=STATUS_TEXT.get(row["status"], row["status"]),
        subject=row.get("subject"),
        description=row.get("description"),
        channel=row.get("channel"),
        application=application,
        application_name=known.name if known else None,
        requester={k: v for k, v in (row.get("requester") or {}).items() if k in _REQUESTER_FIELDS},
        handled_by=handled_by(row.get("owner"), catalog),
        resolution=_resolution(row, history),
        received_at=row.get("received_at"),
        submitted_at=row.get("submitted_at"),
        updated_at=row.get("updated_at"),
        attachments=[{k: a.get(k) for k in _FILE_FIELDS} for a in row.get("attachments") or []],
        history=history,
    )


def handled_by(owner: str | None, catalog: Catalog) -> str | None:
    """The requester's own provincial IT office by name, else the central desk: the owner
    answers the requester (SPEC §4), whoever handles the ticket up the ladder meanwhile."""
    if not owner:
        return None
    office = catalog.it_offices.get(owner)
    return office.name if office is not None and office.province else CENTRAL_DESK


def _entry(event: dict[str, Any]) -> RequesterEntry | None:
    """The events a requester follows, each rebuilt from the fields they may read."""
    kind, d, at = event["type"], event.get("data") or {}, event["time"]
    if kind == "hotro.ticket.submitted.v1":
        return RequesterEntry(kind="submitted", at=at, text="Yêu cầu đã được tiếp nhận.")
    if kind == "hotro.ticket.commented.v1" and d.get("visibility") == "public":
        return RequesterEntry(
            kind="comment",
            at=at,
            author=d.get("author"),
            side="requester" if d.get("author_role") in REQUESTER_SIDE else "desk",
            body=d.get("body"),
        )
    if kind == "hotro.ticket.status_changed.v1":
        status = d.get("status")
        note = d.get("reason") if status in _REASON_FOR_REQUESTER else None
        return RequesterEntry(
            kind="status",
            at=at,
            status=status,
            text=STATUS_TEXT.get(status or "", status),
            note=note or None,
        )
    if kind == "hotro.ticket.attachment_added.v1":
        return RequesterEntry(
            kind="attachment",
            at=at,
            filename=d.get("filename"),
            size=d.get("size"),
            stored=d.get("stored"),
        )
    return None


def _resolution(row: dict[str, Any], history: list[RequesterEntry]) -> Resolution | None:
    if row["status"] not in ("resolved", "closed"):
        return None
    cause = row.get("cause")
    answered = [e for e in history if e.kind == "status" and e.status == "resolved"]
    last = answered[-1] if answered else None
    return Resolution(
        cause=cause,
        cause_text=CAUSE_NAMES_VI.get(cause or "") if cause else None,
        answer=last.note if last else None,
        at=last.at if last else None,
    )
