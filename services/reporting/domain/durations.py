"""Time to resolve in business hours, net of the time spent waiting for the requester (SPEC §4:
"the clock pauses while waiting for the requester").

Pure: the business-hours function (the treasury calendar) is passed in, so the rule is tested
without a server and the report and its tests count the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

#: Business hours between two instants on the treasury calendar.
BusinessHours = Callable[[datetime, datetime], float]
#: One stretch of waiting for the requester: its start, and its end (None: still waiting).
Pause = tuple[datetime, datetime | None]


def net_business_hours(
    start: datetime, end: datetime, pauses: Iterable[Pause], business_hours: BusinessHours
) -> float:
    """Business hours from `start` to `end`, less the business hours of each pause within them.

    A pause is clipped to [start, end] (a pause still open at `end` counts up to `end`), and
    overlapping pauses are merged first so nothing is subtracted twice.
    """
    if end <= start:
        return 0.0
    total = business_hours(start, end)
    for a, b in _merged(start, end, pauses):
        total -= business_hours(a, b)
    return max(total, 0.0)


def _merged(
    start: datetime, end: datetime, pauses: Iterable[Pause]
) -> list[tuple[datetime, datetime]]:
    clipped = sorted(
        (max(a, start), min(b or end, end)) for a, b in pauses if a < end and (b or end) > start
    )
    merged: list[tuple[datetime, datetime]] = []
    for a, b in clipped:
        if b <= a:
            continue
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged
