"""Report periods (SPEC §6): ISO weeks `2026-W48`, months `2026-11`, quarters `2026-Q4`.

A ticket belongs to the period of its `received_at` in Asia/Ho_Chi_Minh, so a period is the
half-open interval [start, end) between two local midnights: a ticket at 23:30 on the last day
of November is November's, one at 00:00 on 1 December is December's. Pure: the caller passes
"today" when it wants the default period.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
Kind = Literal["weekly", "monthly", "quarterly"]
KINDS: tuple[Kind, ...] = ("weekly", "monthly", "quarterly")

_PATTERNS: dict[Kind, tuple[re.Pattern[str], str]] = {
    "weekly": (re.compile(r"(\d{4})-W(\d{2})"), "an ISO week such as 2026-W48"),
    "monthly": (re.compile(r"(\d{4})-(\d{2})"), "a month such as 2026-11"),
    "quarterly": (re.compile(r"(\d{4})-Q(\d)"), "a quarter such as 2026-Q4"),
}


class PeriodError(ValueError):
    """A period that cannot be read; `field` names the request field at fault."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Period:
    kind: Kind
    label: str
    first_day: date
    #: The day after the last day (exclusive).
    next_day: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time(), LOCAL_TZ)

    @property
    def end(self) -> datetime:
        """Exclusive: the first instant of the next period."""
        return datetime.combine(self.next_day, time(), LOCAL_TZ)

    def days(self) -> list[date]:
        return [self.first_day + timedelta(n) for n in range((self.next_day - self.first_day).days)]

    def previous(self) -> Period:
        return period_containing(self.kind, self.first_day - timedelta(days=1))


def _month_start(year: int, month: int) -> date:
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def parse_period(kind: str, label: str, field: str = "period") -> Period:
    """The period `label` of `kind`, or PeriodError naming `field` and what is wrong."""
    if kind not in KINDS:
        raise PeriodError("kind", f"unknown report kind {kind!r}: one of {', '.join(KINDS)}")
    pattern, example = _PATTERNS[kind]  # type: ignore[index]
    found = pattern.fullmatch(label.strip())
    if not found:
        raise PeriodError(field, f"{label!r} is not {example}")
    year, number = int(found.group(1)), int(found.group(2))
    if not 1 <= year <= 9998:
        raise PeriodError(field, f"year {year} is out of range")
    if kind == "weekly":
        try:
            first = date.fromisocalendar(year, number, 1)
        except ValueError:
            raise PeriodError(field, f"{year} has no ISO week {number:02d}") from None
        return Period("weekly", f"{year}-W{number:02d}", first, first + timedelta(weeks=1))
    if kind == "monthly":
        if not 1 <= number <= 12:
            raise PeriodError(field, f"month {number:02d} does not exist")
        return Period(
            "monthly", f"{year}-{number:02d}", date(year, number, 1), _month_start(year, number + 1)
        )
    if not 1 <= number <= 4:
        raise PeriodError(field, f"quarter {number} does not exist: Q1 to Q4")
    first_month = 3 * (number - 1) + 1
    return Period(
        "quarterly",
        f"{year}-Q{number}",
        date(year, first_month, 1),
        _month_start(year, first_month + 3),
    )


def period_containing(kind: Kind, day: date) -> Period:
    """The period of `kind` that holds the local day `day`."""
    if kind == "weekly":
        iso = day.isocalendar()
        return parse_period(kind, f"{iso.year}-W{iso.week:02d}")
    if kind == "monthly":
        return parse_period(kind, f"{day.year}-{day.month:02d}")
    return parse_period(kind, f"{day.year}-Q{(day.month - 1) // 3 + 1}")


def default_period(kind: Kind, today: date) -> Period:
    """Without `period=`: the last complete period before `today` (what a reader expects)."""
    return period_containing(kind, today).previous()
