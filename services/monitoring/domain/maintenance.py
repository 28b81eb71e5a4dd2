"""Is a check inside one of its maintenance windows at a given moment? (SPEC §5)

Windows are written in treasury time (Asia/Ho_Chi_Minh). A weekly window that starts late
on a day runs on past midnight (Sunday 22:00 for 4 hours covers Monday 01:00), so the day
before is looked at too — and, for windows longer than a day, as many days as they last.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from libs.catalog.checks_model import LOCAL_TZ, OneOffWindow, WeeklyWindow, Window


def in_window(window: Window, at: datetime) -> bool:
    if isinstance(window, OneOffWindow):
        return window.start <= at < window.end
    local = at.astimezone(LOCAL_TZ)
    for back in range(window.duration.days + 2):
        day = local.date() - timedelta(days=back)
        if day.weekday() not in window.days:
            continue
        start = datetime.combine(day, window.start, tzinfo=LOCAL_TZ)
        if start <= local < start + window.duration:
            return True
    return False


def active_window(windows: Iterable[Window], at: datetime) -> Window | None:
    """The first window covering `at`, or None."""
    return next((w for w in windows if in_window(w, at)), None)


def window_label(window: Window) -> str:
    return window.name or ("bảo trì định kỳ" if isinstance(window, WeeklyWindow) else "bảo trì")
