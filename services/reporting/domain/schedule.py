"""When each scheduled report is due (issue 10, like RT's mailed dashboards).

- weekly: last ISO week's report each Monday;
- monthly: last month's on the first working day of the month;
- quarterly: last quarter's on the first working day after the quarter;
each from `SEND_AT` local time on the treasury calendar (holidays, Tết, compensatory
Saturdays). A report stays due until it is sent (a service down on the day sends it when it is
back), but only for moments after `since` — the day delivery was first switched on — so a new
installation does not mail every past period at once. Pure: the clock and calendar come in.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from services.reporting.domain.periods import KINDS, LOCAL_TZ, Kind, Period, period_containing

SEND_AT = time(7, 30)


def first_working_day(first: date, is_working_day: Callable[[date], bool]) -> date:
    day = first
    for _ in range(62):
        if is_working_day(day):
            return day
        day += timedelta(days=1)
    return first  # a calendar with no working day for two months: not ours to guess


def due_at(period: Period, is_working_day: Callable[[date], bool]) -> datetime:
    """When the report of `period` is due: the moment after it on its kind's rule."""
    day = period.next_day  # weekly: the Monday after the week
    if period.kind != "weekly":
        day = first_working_day(period.next_day, is_working_day)
    return datetime.combine(day, SEND_AT, LOCAL_TZ)


def due_periods(
    now: datetime, since: datetime, is_working_day: Callable[[date], bool]
) -> list[Period]:
    """The last complete period of each kind whose report is due at `now` (and fell due
    after `since`)."""
    today = now.astimezone(LOCAL_TZ).date()
    out = []
    for kind in KINDS:
        last: Kind = kind
        period = period_containing(last, today).previous()
        moment = due_at(period, is_working_day)
        if since <= moment <= now:
            out.append(period)
    return out
