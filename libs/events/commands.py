"""Bodies of the commands the gateway forwards to the service that owns them (rule 10).

Events are msgspec contracts (`schemas.py`); an HTTP command is a contract too, between the
gateway's OpenAPI document and the owning service. One pydantic copy here, so both describe
the same body and a request refused by the gateway would have been refused behind it.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: `KE-2026-TABMIS-001`: year, application, sequence (`known_error_number`).
KNOWN_ERROR_NUMBER = re.compile(r"^KE-\d{4}-[A-Z0-9_]+(?:-[A-Z0-9_]+)*-\d{3,}$", re.IGNORECASE)
KnownErrorStatus = Literal["open", "fix_in_progress", "released"]


def is_known_error_number(reference: str) -> bool:
    return bool(KNOWN_ERROR_NUMBER.match(reference.strip()))


class KnownErrorMove(BaseModel):
    """Move a known error along: open → fix_in_progress → released (release tells requesters)."""

    model_config = ConfigDict(extra="forbid")
    status: Literal["fix_in_progress", "released"] = Field(
        description="fix_in_progress, or released (every linked requester is told)"
    )
    note: str = Field(default="", max_length=4000, description="what was done; in the mail")


class KnownErrorPublic(BaseModel):
    id: str
    number: str
    application: str | None = None
    department: str | None = None
    title: str | None = None
    status: str
    note: str | None = None
    tickets: list[str] = []
    opened_at: datetime | None = None
    updated_at: datetime | None = None


class KnownErrorsPublic(BaseModel):
    data: list[KnownErrorPublic]


class KnownErrorMoved(BaseModel):
    id: str
    number: str
    status: str
    tickets: list[str]
