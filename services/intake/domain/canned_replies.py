"""Canned replies (Zammad's text modules): Vietnamese templates per group, as data (issue 13).

A template names its placeholders in braces; those of the ticket (`TICKET_PLACEHOLDERS`) are
filled by the server, the template's own `fields` by the operator's `values`. A template that
names anything else is refused when the catalog is loaded, so rendering never guesses.
"""

from __future__ import annotations

import string
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, model_validator

TICKET_PLACEHOLDERS = frozenset(
    {"requester_name", "ticket_number", "subject", "application", "application_name",
     "group_name", "agent_name"}
)  # fmt: skip
ALL_GROUPS = "*"


def placeholders_of(body: str) -> list[str]:
    """The names in braces, in order; `{{` and `}}` are literal braces."""
    return [name for _, name, _, _ in string.Formatter().parse(body) if name is not None]


class CannedReply(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,79}$")
    groups: list[str] = Field(min_length=1)
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=10_000)
    fields: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_placeholders(self) -> CannedReply:
        try:
            names = placeholders_of(self.body)
        except ValueError as error:
            raise ValueError(f"body: {error}") from error
        unknown = sorted({n for n in names if n not in TICKET_PLACEHOLDERS | set(self.fields)})
        if unknown or any(not n.isidentifier() for n in names):
            raise ValueError(
                f"unknown placeholders {unknown or names}: use "
                f"{', '.join(sorted(TICKET_PLACEHOLDERS))} or list them under `fields`"
            )
        return self

    def for_group(self, group: str | None) -> bool:
        return ALL_GROUPS in self.groups or group is None or group in self.groups


class CannedReplies(BaseModel):
    """`catalog/canned_replies.yaml`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    version: int = 1
    replies: list[CannedReply]

    @model_validator(mode="after")
    def _unique(self) -> CannedReplies:
        ids = [r.id for r in self.replies]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"reply ids must be unique: {twice}")
        return self

    def find(self, reply_id: str) -> CannedReply | None:
        return next((r for r in self.replies if r.id == reply_id), None)


class CannedReplyRefused(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def render(reply: CannedReply, ticket_values: Mapping[str, str], given: Mapping[str, str]) -> str:
    """The reply's text for one ticket; the operator's `given` values fill the template's own
    fields, never the ticket's (a reply cannot claim another requester's name)."""
    unknown = sorted(set(given) - set(reply.fields))
    if unknown:
        raise CannedReplyRefused(
            f"values.{unknown[0]}",
            f"Mẫu '{reply.id}' không có trường {unknown[0]}. / Canned reply {reply.id!r} has no "
            f"field {unknown[0]!r}; its fields: {', '.join(reply.fields) or 'none'}.",
        )
    bad = sorted(name for name, value in given.items() if "\x00" in str(value))
    if bad:
        raise CannedReplyRefused(f"values.{bad[0]}", "must not contain NUL characters")
    missing = [name for name in reply.fields if not str(given.get(name, "")).strip()]
    if missing:
        raise CannedReplyRefused(
            f"values.{missing[0]}",
            f"Cần điền '{missing[0]}' ({reply.fields[missing[0]]}). / Give values.{missing[0]} "
            f"({reply.fields[missing[0]]}).",
        )
    values = {name: ticket_values.get(name) or "—" for name in TICKET_PLACEHOLDERS}
    values |= {name: " ".join(str(given[name]).split()) for name in reply.fields}
    return reply.body.format_map(values)
