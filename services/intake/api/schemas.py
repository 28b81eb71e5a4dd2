"""The gateway's request and response shapes (SPEC §7)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from libs.catalog.model import UnitKind

Channel = Literal["web", "email", "phone", "monitoring"]
Priority = Literal["P1", "P2", "P3", "P4"]

MAX_DESCRIPTION = 20_000


class DeclaredUnitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: UnitKind
    province: str | None = Field(default=None, max_length=100)
    name: str = Field(min_length=1, max_length=300)


class RequesterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(default=None, max_length=30, pattern=r"^[0-9+()\-.\s]{6,30}$")
    unit_code: str | None = Field(default=None, max_length=64)
    unit: DeclaredUnitIn | None = None

    @model_validator(mode="after")
    def one_unit(self) -> RequesterIn:
        if self.unit_code and self.unit and self.unit.kind != "budget_unit":
            raise ValueError("give either unit_code or a declared unit, not both")
        if not self.unit_code and not self.unit:
            raise ValueError("unit_code or a declared unit {kind, province, name} is required")
        return self


class TicketCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: Channel = "web"
    requester: RequesterIn
    application_code: str | None = Field(default=None, max_length=32)
    subject: str = Field(min_length=1, max_length=250)
    description: str = Field(default="", max_length=MAX_DESCRIPTION)
    priority: Priority = "P3"
    received_at: datetime | None = None

    @field_validator("subject")
    @classmethod
    def subject_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("subject must not be blank")
        return value.strip()

    @field_validator("received_at")
    @classmethod
    def aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("received_at needs a UTC offset, e.g. 2026-11-29T08:00:00+07:00")
        return value


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
    history: list[dict[str, Any]] = []


class TicketsPublic(BaseModel):
    data: list[TicketPublic]
    count: int
    limit: int
    offset: int
