"""Whether the requester of a ticket can be mailed, and if not why (issue 13).

One answer for the mailer (which then sends nothing) and for the API (a public comment's
response says it could not be mailed): no address, or an address a bounce marked
undeliverable — for this ticket or, through `MailAddress`, for the whole directory.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from eventsourcing.application import AggregateNotFoundError

from services.intake.domain.mail_addresses import MailAddress, address_id

NO_ADDRESS = (
    "Người yêu cầu không có địa chỉ thư điện tử; thư không được gửi. / "
    "The requester has no e-mail address; no mail is sent."
)


async def address_refusal(app: Any, address: str, at: datetime | None = None) -> str | None:
    """Why mail to `address` is not sent (a bounce marked it undeliverable), or None; with
    `at`, as it stood then."""
    try:
        standing: Any = await asyncio.to_thread(app.repository.get, address_id(address))
    except AggregateNotFoundError:
        return None
    return standing.refusal(at) if isinstance(standing, MailAddress) else None


async def mail_refusal(
    app: Any, address: str | None, ticket_undeliverable: list[str], at: datetime | None = None
) -> str | None:
    """Why the requester at `address` gets no mail about this ticket, or None (they do); the
    mailer asks as of its event's time `at`, the API as of now."""
    to = (address or "").strip().lower()
    if "@" not in to:
        return NO_ADDRESS
    found = await address_refusal(app, to, at)
    if found is None and to in ticket_undeliverable:  # marked on the ticket before issue 13
        return (
            f"Thư gửi {to} về yêu cầu này đã bị trả lại; thư không được gửi. / "
            f"Mail to {to} about this ticket bounced; no mail is sent."
        )
    return found
