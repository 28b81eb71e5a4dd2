"""When a request was received, as a caller may state it (an import, a gateway's late delivery).

Never before mail systems existed, never ahead of now by more than a clock's skew: a time in
the future would put the ticket on top of every queue under a future year's number
(`YC-2030-…`), and year 9999 overflowed the ticket's local year.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
#: Two machines' clocks disagree by this much at most (NTP keeps them far closer).
CLOCK_SKEW = timedelta(minutes=5)


def received_at_problem(
    received_at: datetime, now: datetime, field: str = "received_at"
) -> str | None:
    """Why `received_at` cannot be a request's time of receipt, or None when it can; the
    message names `field` (a phone call's `called_at`)."""
    if received_at.tzinfo is None:
        return f"{field} needs a UTC offset"
    if received_at < EARLIEST:
        return f"{field} must be after 1970"
    if received_at > now + CLOCK_SKEW:
        return (
            f"{field} {received_at.isoformat()} is in the future"
            f" (more than {int(CLOCK_SKEW.total_seconds() // 60)} minutes ahead of now)"
        )
    return None
