"""How far a rebuild got, as people read it: events done of total, percent, rate, time left.

Pure, so the CLI's progress bar and `GET /api/v1/reports/rebuild/{id}` show the same figures.
`events_total` is the number of messages in the topics when the rebuild started; a broker that
lost its data and got everything republished makes the rebuild read more than that, so the
total grows with what was read and the percent never passes 100 before the swap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Progress:
    events_done: int
    events_total: int
    started_at: datetime
    now: datetime
    finished: bool = False

    @property
    def total(self) -> int:
        return max(self.events_total, self.events_done)

    @property
    def percent(self) -> float:
        if self.finished:
            return 100.0
        if self.total == 0:
            return 0.0
        return min(99.9, round(100.0 * self.events_done / self.total, 1))

    @property
    def rate_per_s(self) -> float:
        seconds = (self.now - self.started_at).total_seconds()
        return round(self.events_done / seconds, 1) if seconds > 0 else 0.0

    @property
    def seconds_left(self) -> float | None:
        if self.finished:
            return 0.0
        rate = self.rate_per_s
        return round((self.total - self.events_done) / rate, 1) if rate > 0 else None


def progress_bar(progress: Progress, width: int = 30) -> str:
    """One line: `[#######-------]  45.2 %  12,345/27,300 events  8,123/s  ~2 s left`."""
    filled = int(width * progress.percent / 100)
    left = progress.seconds_left
    eta = "" if left is None else f"  ~{left:,.0f} s left"
    return (
        f"[{'#' * filled}{'-' * (width - filled)}] {progress.percent:5.1f} %"
        f"  {progress.events_done:,}/{progress.total:,} events  {progress.rate_per_s:,.0f}/s{eta}"
    )
