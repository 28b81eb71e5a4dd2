"""The checks file (SPEC §5) as typed data: what the file may say, and the resolved checks.

Two layers: the `*Entry` pydantic models are the file's grammar (unknown keys, wrong types
and ranges are reported with their line by the loader); `Check` and the window types are the
resolved, frozen values the monitoring domain works on (defaults applied, windows attached,
WAN channels turned into checks of their own).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from functools import cached_property
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: SPEC §5: checks and windows are written in treasury time.
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

Kind = Literal["http", "login", "tcp", "smtp", "imap"]
KINDS: tuple[str, ...] = ("http", "login", "tcp", "smtp", "imap")
Priority = Literal["P1", "P2", "P3", "P4"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

#: `{name}` in a login form value: the credentials or a value extracted by an earlier step.
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
CREDENTIAL_NAMES = ("username", "password")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _regex(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except re.error as error:
            raise ValueError(f"{value!r} is not a regular expression: {error}") from None
    return value


def _statuses(value: list[int]) -> list[int]:
    if not value:
        raise ValueError("at least one status code")
    bad = [code for code in value if not 100 <= code <= 599]
    if bad:
        raise ValueError(f"{bad[0]} is not an HTTP status code")
    return value


class CheckDefaults(_Strict):
    interval_s: int = Field(default=60, ge=0)
    timeout_s: float = Field(default=10, gt=0, le=300)
    confirm_failures: int = Field(default=2, ge=1, le=100)
    confirm_recoveries: int = Field(default=2, ge=1, le=100)
    #: Flapping (Nagios' sense): this many confirmed changes within the window ...
    flap_window_s: int = Field(default=3600, ge=1)
    flap_max_changes: int = Field(default=4, ge=2)
    #: ... and a down target needs this many successes, not confirm_recoveries, to be up.
    flap_confirm_recoveries: int = Field(default=10, ge=1, le=1000)


class HttpExpect(_Strict):
    status: list[int] = Field(default_factory=lambda: [200])
    body_contains: str | None = None
    body_not_contains: str | None = None
    degraded_after_ms: int | None = Field(default=None, gt=0)
    cert_expiry_warn_days: int | None = Field(default=None, ge=0, le=3650)

    _status = field_validator("status")(_statuses)


class Exchange(_Strict):
    """One step of a TCP dialogue, as blackbox_exporter's `query_response`: wait for `expect`
    (a regular expression over what the server sent so far), then `send` (a line)."""

    expect: str | None = None
    send: str | None = None

    _expect = field_validator("expect")(_regex)

    @model_validator(mode="after")
    def _one(self) -> Exchange:
        if self.expect is None and self.send is None:
            raise ValueError("an exchange needs expect or send")
        return self


class TcpExpect(_Strict):
    query_response: list[Exchange] = Field(default_factory=list)
    degraded_after_ms: int | None = Field(default=None, gt=0)


class MailExpect(_Strict):
    """smtp: 220 greeting and EHLO; imap: `* OK` greeting and CAPABILITY; both optionally
    STARTTLS (then EHLO/CAPABILITY again over TLS)."""

    starttls: bool = False
    greeting_contains: str | None = None
    degraded_after_ms: int | None = Field(default=None, gt=0)


Expect = HttpExpect | TcpExpect | MailExpect
EXPECT_OF_KIND: dict[str, type[_Strict]] = {
    "http": HttpExpect,
    "login": HttpExpect,
    "tcp": TcpExpect,
    "smtp": MailExpect,
    "imap": MailExpect,
}


class Extract(_Strict):
    """A value to carry into the next steps: the first group of `regex` (or its whole match)
    in the response body, or the value of the form input named `field` (a hidden token)."""

    regex: str | None = None
    field: str | None = None

    _pattern = field_validator("regex")(_regex)

    @model_validator(mode="after")
    def _one(self) -> Extract:
        if (self.regex is None) == (self.field is None):
            raise ValueError("give exactly one of regex or field")
        return self


class StepExpect(_Strict):
    status: list[int] = Field(default_factory=lambda: [200])
    body_contains: str | None = None
    body_not_contains: str | None = None

    _status = field_validator("status")(_statuses)


class LoginStep(_Strict):
    method: Literal["GET", "POST"] = "GET"
    #: Absolute, or relative to the check's target.
    url: str = Field(min_length=1)
    form: dict[str, str] = Field(default_factory=dict)
    extract: dict[str, Extract] = Field(default_factory=dict)
    expect: StepExpect = Field(default_factory=StepExpect)


class Credentials(_Strict):
    """Where a login's secrets are: `env: PREFIX` reads PREFIX_USERNAME and PREFIX_PASSWORD;
    `file: path` a YAML/JSON mapping {username, password} (relative to the checks file)."""

    env: str | None = Field(default=None, pattern=r"^[A-Z][A-Z0-9_]*$")
    file: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one(self) -> Credentials:
        if (self.env is None) == (self.file is None):
            raise ValueError("give exactly one of env or file")
        return self


class WeeklyEntry(_Strict):
    days: list[Weekday] = Field(min_length=1)
    start: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    duration_min: int = Field(ge=1, le=7 * 24 * 60)


class OnceEntry(_Strict):
    #: Local time (Asia/Ho_Chi_Minh) unless an offset is written.
    start: datetime
    end: datetime

    @model_validator(mode="after")
    def _order(self) -> OnceEntry:
        if _local(self.end) <= _local(self.start):
            raise ValueError("end must be after start")
        return self


class MaintenanceEntry(_Strict):
    name: str = ""
    #: Whom it covers (top-level windows): applications by code, checks by id.
    applications: list[str] = Field(default_factory=list)
    checks: list[str] = Field(default_factory=list)
    weekly: WeeklyEntry | None = None
    once: OnceEntry | None = None

    @model_validator(mode="after")
    def _one(self) -> MaintenanceEntry:
        if (self.weekly is None) == (self.once is None):
            raise ValueError("give exactly one of weekly or once")
        return self


class CheckEntry(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80)
    application: str
    kind: Kind
    target: str = Field(min_length=1)
    #: Vietnamese label for reports and the status page.
    name: str = ""
    morning: bool = False
    interval_s: int | None = Field(default=None, ge=0)
    timeout_s: float | None = Field(default=None, gt=0, le=300)
    confirm_failures: int | None = Field(default=None, ge=1, le=100)
    confirm_recoveries: int | None = Field(default=None, ge=1, le=100)
    #: The incident's priority when this check's target goes down.
    priority: Priority = "P2"
    #: Kind-dependent; validated against the kind's model by the loader.
    expect: dict[str, object] = Field(default_factory=dict)
    steps: list[LoginStep] = Field(default_factory=list)
    credentials: Credentials | None = None
    #: A CA bundle to verify the target's certificate (the treasury's internal CA).
    ca_file: str | None = None
    maintenance: list[MaintenanceEntry] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict)


class ChecksFile(_Strict):
    #: Validated on their own (CheckDefaults), so broken defaults do not hide the checks' problems.
    defaults: dict[str, object] = Field(default_factory=dict)
    checks: list[dict[str, object]] = Field(default_factory=list)
    maintenance: list[dict[str, object]] = Field(default_factory=list)
    #: The WAN channels file, relative to this one (SPEC §5: data of their own).
    wan_channels: str | None = None


class Contact(_Strict):
    name: str = Field(min_length=1)
    phone: str = Field(pattern=r"^\+?[0-9][0-9 .-]{5,19}$")
    email: str | None = None


class WanChannelEntry(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80)
    carrier: str = Field(min_length=1)
    contact: Contact
    target: str = Field(min_length=1)
    expect: TcpExpect = Field(default_factory=TcpExpect)


class WanDistrictEntry(_Strict):
    district: str
    channels: list[WanChannelEntry]


class WanDefaults(_Strict):
    interval_s: int = Field(default=300, ge=0)
    timeout_s: float = Field(default=5, gt=0, le=300)
    priority: Priority = "P2"


class WanFile(_Strict):
    defaults: WanDefaults = Field(default_factory=WanDefaults)
    districts: list[dict[str, object]] = Field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Resolved values
# --------------------------------------------------------------------------------------------


def _local(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=LOCAL_TZ)


@dataclass(frozen=True)
class WeeklyWindow:
    """Every `days` (0 = Monday) from `start` local time, for `duration`."""

    days: frozenset[int]
    start: time
    duration: timedelta
    name: str = ""


@dataclass(frozen=True)
class OneOffWindow:
    start: datetime  # aware
    end: datetime  # aware
    name: str = ""


Window = WeeklyWindow | OneOffWindow


def window_of(entry: MaintenanceEntry) -> Window:
    if entry.weekly is not None:
        hour, minute = (int(p) for p in entry.weekly.start.split(":"))
        return WeeklyWindow(
            frozenset(WEEKDAYS.index(d) for d in entry.weekly.days),
            time(hour, minute),
            timedelta(minutes=entry.weekly.duration_min),
            entry.name,
        )
    assert entry.once is not None
    return OneOffWindow(_local(entry.once.start), _local(entry.once.end), entry.name)


@dataclass(frozen=True)
class Check:
    """One resolved check: every setting known, its maintenance windows attached."""

    id: str
    #: None for a WAN channel (network, not an application).
    application: str | None
    kind: str
    target: str
    name: str
    morning: bool
    interval_s: int
    timeout_s: float
    confirm_failures: int
    confirm_recoveries: int
    flap_window_s: int
    flap_max_changes: int
    flap_confirm_recoveries: int
    priority: str
    expect: Expect
    steps: tuple[LoginStep, ...] = ()
    credentials: Credentials | None = None
    #: Absolute paths (resolved against the checks file's folder).
    credentials_file: str | None = None
    ca_file: str | None = None
    maintenance: tuple[Window, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)

    def host_port(self) -> tuple[str, int]:
        """`host:port` of a tcp/smtp/imap target (validated by the loader)."""
        host, _, port = self.target.rpartition(":")
        return host.strip("[]"), int(port)


@dataclass(frozen=True)
class WanChannel:
    id: str
    carrier: str
    contact: Contact
    target: str


@dataclass(frozen=True)
class WanDistrict:
    district: str
    province: str
    name: str
    channels: tuple[WanChannel, ...]


@dataclass(frozen=True)
class Estate:
    """Everything the checks file describes."""

    file: str
    defaults: CheckDefaults
    checks: tuple[Check, ...]
    wan: tuple[WanDistrict, ...] = ()

    @cached_property
    def by_id(self) -> dict[str, Check]:
        return {c.id: c for c in self.checks}

    def check(self, check_id: str) -> Check | None:
        return self.by_id.get(check_id)

    @property
    def morning(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.morning)
