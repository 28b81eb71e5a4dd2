"""A calendar as the catalog writes it (the `calendars:` section of `catalog/sla.yaml`).

Moved here from escalation's SLA policy so that every service reads the treasury calendar from
the same data with the same validation; `SlaCatalog` embeds these models unchanged.
"""

from __future__ import annotations

from datetime import time
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def known_zone(v: str) -> str:
    """A time zone the zoneinfo database knows (`Asia/Ho_Chi_Minh`), as a pydantic validator."""
    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ValueError(f"unknown time zone {v!r}") from e
    return v


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class HolidaySource(_Strict):
    """Public holidays from the `holidays` package over a finite span of years."""

    country: str = Field(min_length=2)
    from_year: int = Field(ge=1995, le=2100)
    to_year: int = Field(ge=1995, le=2100)

    @model_validator(mode="after")
    def _ordered(self) -> HolidaySource:
        if self.to_year < self.from_year:
            raise ValueError("to_year must not be before from_year")
        return self


class CalendarSpec(_Strict):
    """`business`: weekly hours, public holidays and adjustments; `24x7`: every instant counts."""

    kind: Literal["business", "24x7"]
    working_days: list[Weekday] = Field(default_factory=list)
    hours: list[tuple[time, time]] = Field(default_factory=list)
    holidays: HolidaySource | None = None
    #: File name, relative to the catalog folder, of the government's yearly adjustments.
    adjustments: str | None = None

    @field_validator("hours", mode="before")
    @classmethod
    def _quoted_times(cls, v: Any) -> Any:
        # YAML 1.1 reads an unquoted 07:30 as the sexagesimal integer 450.
        if isinstance(v, list):
            for period in v:
                if isinstance(period, list | tuple) and any(isinstance(x, int) for x in period):
                    raise ValueError("write times as quoted strings, e.g. ['07:30', '11:30']")
        return v

    @model_validator(mode="after")
    def _complete(self) -> CalendarSpec:
        if self.kind == "business" and not (self.working_days and self.hours):
            raise ValueError("a business calendar needs working_days and hours")
        if self.kind == "24x7" and (self.working_days or self.hours or self.holidays):
            raise ValueError("a 24x7 calendar takes no working_days, hours or holidays")
        return self
