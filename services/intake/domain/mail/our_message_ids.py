"""Message-IDs of the mail Hotro sends: `<kind.YC-yyyy-nnnnnn.serial@domain>`.

The ticket number inside our own Message-ID lets a reply (or a bounce) find its ticket from the
In-Reply-To / References header alone, with no table of sent messages to consult, and keeps the
id unique per message through `serial`. Only ids under our own domain are read this way: a
stranger's Message-ID that happens to contain a ticket number means nothing.
"""

from __future__ import annotations

import re

_OURS = re.compile(r"^[a-z0-9-]+\.(YC-\d{4}-\d{6,})\.[^@\s]+@(\S+)$", re.IGNORECASE)


def our_message_id(kind: str, number: str, serial: str, domain: str) -> str:
    """Without angle brackets, as `normalize_message_id` gives incoming ones."""
    return f"{kind}.{number}.{serial}@{domain}"


def ticket_number_in_our_message_id(message_id: str, domain: str) -> str | None:
    match = _OURS.match(message_id or "")
    if match is None or match.group(2).lower() != domain.lower():
        return None
    return match.group(1).upper()
