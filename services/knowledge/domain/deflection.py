"""Deflection (ServiceNow's definition): a requester who opened a suggested article and did
not submit a ticket within the window (24 h by default) was helped by the knowledge base.

The requester's form keeps one *session* id from the first keystroke to the submission: the
suggestions it asks for and the articles opened are recorded under it, and the submission
carries it (`kb_session`), so the knowledge service learns of it from intake's event.
"""

from __future__ import annotations

from datetime import datetime, timedelta

DEFAULT_WINDOW = timedelta(hours=24)
#: What a session's outcome is called in the statistics.
DEFLECTED, SUBMITTED, PENDING = "deflected", "submitted", "pending"


def outcome(
    opened_at: datetime, submitted_at: datetime | None, now: datetime, window: timedelta
) -> str:
    """A session that opened an article: submitted within the window, deflected once the
    window has passed without a submission, else still pending."""
    if submitted_at is not None and submitted_at <= opened_at + window:
        return SUBMITTED
    if now >= opened_at + window:
        return DEFLECTED
    return PENDING


def session_problem(session: str | None) -> str | None:
    """Why a session id given by a form is unusable, or None (ids are opaque but bounded)."""
    if session is None:
        return None
    if not 8 <= len(session) <= 100 or not all(c.isalnum() or c in "-_" for c in session):
        return "kb_session must be 8–100 letters, digits, '-' or '_'"
    return None
