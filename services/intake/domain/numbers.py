"""Human ticket numbers (SPEC §2): YC-yyyy-nnnnnn, counted per year of receipt."""

from __future__ import annotations

import re

NUMBER_PATTERN = re.compile(r"^YC-(\d{4})-(\d{6,})$")


def ticket_number(year: int, sequence: int) -> str:
    return f"YC-{year:04d}-{sequence:06d}"


def is_ticket_number(text: str) -> bool:
    return NUMBER_PATTERN.match(text) is not None
