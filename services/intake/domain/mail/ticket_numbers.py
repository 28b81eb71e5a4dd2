"""The human ticket number inside mail subjects: `[YC-2026-000123]` (SPEC §2)."""

from __future__ import annotations

import re

#: Tolerant of case and inner spaces: mail clients and people retype the tag.
_TAG = re.compile(r"\[\s*(YC-\d{4}-\d{6})\s*\]", re.IGNORECASE)


def ticket_number_in_subject(subject: str) -> str | None:
    """The first `[YC-yyyy-nnnnnn]` tag of a subject, upper-cased, or None."""
    match = _TAG.search(subject or "")
    return match.group(1).upper() if match else None


def without_ticket_tags(subject: str) -> str:
    """The subject with every ticket tag removed (so an acknowledgement never doubles one)."""
    return " ".join(_TAG.sub(" ", subject or "").split())


def subject_tag(number: str) -> str:
    return f"[{number}]"
