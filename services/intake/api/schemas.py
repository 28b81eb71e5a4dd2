"""The gateway's request and response shapes (SPEC §7)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from libs.catalog.model import UnitKind

Channel = Literal["web", "email", "phone", "monitoring"]
Priority = Literal["P1", "P2", "P3", "P4"]

MAX_DESCRIPTION = 20_000


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("subject must not be blank")
    return value.strip()


#: A ticket's subject: 1–250 characters, not only spaces (surrounding spaces dropped).
Subject = Annotated[str, Field(min_length=1, max_length=250), AfterValidator(_not_blank)]


class _Input(BaseModel):
    """Request bodies: no NUL anywhere (PostgreSQL text cannot hold it; no client means it)."""

    @field_validator("*", mode="after")
    @classmethod
    def no_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


class DeclaredUnitIn(_Input):
    model_config = ConfigDict(extra="forbid")
    kind: UnitKind
    province: str | None = Field(default=None, max_length=100)
    name: str = Field(min_length=1, max_length=300)


class RequesterIn(_Input):
    """A directory user may give only `email`; others give `name` and a unit."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(default=None, max_length=30, pattern=r"^[0-9+()\-.\s]{6,30}$")
    unit_code: str | None = Field(default=None, max_length=64)
    unit: DeclaredUnitIn | None = None

    @model_validator(mode="after")
    def one_unit(self) -> RequesterIn:
        if self.unit_code and self.unit and self.unit.kind != "budget_unit":
            raise ValueError("give either unit_code or a declared unit, not both")
        if not self.unit_code and not self.unit and not self.email:
            raise ValueError(
                "give a directory e-mail, a unit_code or a declared unit {kind, province, name}"
            )
        return self


class TicketCreate(_Input):
    model_config = ConfigDict(extra="forbid")
    channel: Channel = "web"
    requester: RequesterIn
    application_code: str | None = Field(default=None, max_length=32)
    subject: Subject
    description: str = Field(default="", max_length=MAX_DESCRIPTION)
    #: The desk's roles state a priority; anyone else's is read as their urgency (issue 13).
    priority: Priority | None = None
    #: How urgent it is for the requester (catalog/priority.yaml `urgencies`).
    urgency: str | None = Field(default=None, max_length=20)
    received_at: AwareDatetime | None = None
    #: The knowledge base's session of the form that showed suggestions (deflection, SPEC §6b).
    kb_session: str | None = Field(default=None, min_length=8, max_length=100,
                                   pattern=r"^[A-Za-z0-9_-]+$")  # fmt: skip


class TicketCreated(BaseModel):
    id: str
    number: str
    status: str


class TicketPublic(BaseModel):
    id: str
    number: str
    status: str
    channel: str | None = None
    subject: str | None = None
    description: str | None = None
    requester: dict[str, Any] | None = None
    unit_code: str | None = None
    unit_kind: str | None = None
    province: str | None = None
    application: str | None = None
    picked_application: str | None = None
    group: str | None = None
    type: str | None = None
    priority: str | None = None
    tier: str | None = None
    owner: str | None = None
    handler: str | None = None
    assignee: str | None = None
    first_handler: dict[str, Any] | None = None
    classification: dict[str, Any] | None = None
    sla: dict[str, Any] | None = None
    parent: str | None = None
    received_at: datetime | None = None
    submitted_at: datetime | None = None
    updated_at: datetime | None = None
    attachments: list[dict[str, Any]] = []
    undeliverable: list[str] = []
    cause: str | None = None
    #: A monitoring ticket's incident: {check_id, down_since, recovered_at, outage_minutes, …}.
    monitoring: dict[str, Any] | None = None
    #: The requester's urgency; `priority` is the desk's decision (issue 13).
    urgency: str | None = None
    #: Closed into another ticket: {id, number, at}; `merged` lists those closed into this one.
    merged_into: dict[str, Any] | None = None
    merged: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []


class TicketsPublic(BaseModel):
    data: list[TicketPublic]
    count: int
    limit: int
    offset: int


# --- operator actions (SPEC §7) -----------------------------------------------------------

Cause = Literal[
    "user_error", "software_bug", "infrastructure", "configuration", "data", "duplicate",
    "fulfilled",
]  # fmt: skip


class CommentCreate(_Input):
    """`body`, or a canned reply (`canned_reply` id, rendered by the server with the ticket's
    values and `values` for the template's own placeholders), or both (the body follows)."""

    model_config = ConfigDict(extra="forbid")
    body: str = Field(default="", max_length=MAX_DESCRIPTION)
    visibility: Literal["public", "internal"] = "public"
    canned_reply: str | None = Field(default=None, min_length=1, max_length=80)
    values: dict[str, str] = Field(default_factory=dict, max_length=20)

    @model_validator(mode="after")
    def body_not_blank(self) -> CommentCreate:
        if not self.body.strip() and not self.canned_reply:
            raise ValueError("body must not be blank (or name a canned_reply)")
        return self


class StatusChange(_Input):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=2000)


class Resolution(_Input):
    model_config = ConfigDict(extra="forbid")
    cause: Cause
    reason: str = Field(default="", max_length=MAX_DESCRIPTION)


class TicketState(BaseModel):
    id: str
    number: str
    status: str


class CommentState(TicketState):
    """A comment's answer; a public reply of the desk also says whether it is mailed."""

    #: True: the requester is mailed the reply; False: it cannot be (`mail_refused` says why);
    #: None: nothing is mailed for this comment (an internal note, the requester's own).
    mailed: bool | None = None
    mail_refused: str | None = None


# --- channels ------------------------------------------------------------------------------


class PhoneCallCreate(_Input):
    """A call an operator logs: who called, the number to call back, what was said."""

    model_config = ConfigDict(extra="forbid")
    caller: RequesterIn
    callback_number: str = Field(max_length=30, pattern=r"^[0-9+()\-.\s]{6,30}$")
    subject: Subject
    notes: str = Field(default="", max_length=MAX_DESCRIPTION)
    application_code: str | None = Field(default=None, max_length=32)
    #: The operator may state the priority; without it the matrix decides from `urgency`.
    priority: Priority | None = None
    urgency: str | None = Field(default=None, max_length=20)
    called_at: AwareDatetime | None = None


class InboundOutcome(BaseModel):
    outcome: Literal["ticket", "comment", "held", "ignored", "dead_letter", "dismissed"]
    mail_id: str
    reason: str
    ticket_id: str | None = None
    number: str | None = None


class MailPublic(BaseModel):
    mail_id: str
    message_id: str | None = None
    outcome: str
    reason: str
    ticket_id: str | None = None
    sender: str | None = None
    subject: str | None = None
    channel: str | None = None
    raw_sha256: str | None = None
    size: int | None = None
    received_at: datetime | None = None
    updated_at: datetime | None = None
    replays: int = 0


class MailsPublic(BaseModel):
    data: list[MailPublic]
    count: int
    limit: int
    offset: int


class ImportRejection(BaseModel):
    line: int
    reason: str


class ImportResult(BaseModel):
    created: int
    updated: int
    unchanged: int
    rejected: list[ImportRejection]


Role = Literal[
    "requester", "province_it", "group_agent", "group_lead", "specialist", "analyst",
    "integration", "admin",
]  # fmt: skip
