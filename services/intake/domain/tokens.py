"""When a bearer token stops working (SPEC §8): its expiry, chosen when it is issued, and the
refusal when it is used. Pure: the caller passes the time.

Every token expires except the bootstrap admin token of `HOTRO_ADMIN_TOKEN`: that one is a
deployment secret, rotated by changing the setting (the previous one is then revoked).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from services.intake.domain.access import Principal

TokenStatus = Literal["active", "expired", "revoked"]


class ExpiryRefused(ValueError):
    """A requested expiry the policy does not allow; names the request field."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class ExpiryPolicy:
    """A token lives `default_days` unless its issuer asks for less, never above `max_days`."""

    default_days: int = 90
    max_days: int = 365

    def check(self) -> None:
        if not 1 <= self.default_days <= self.max_days:
            raise ValueError(
                f"the default token lifetime ({self.default_days} days) must be between 1 "
                f"and the maximum ({self.max_days} days)"
            )


def expiry_for(
    policy: ExpiryPolicy,
    now: datetime,
    *,
    in_days: int | None = None,
    at: datetime | None = None,
) -> datetime:
    """The moment a token issued at `now` stops working."""
    if in_days is not None and at is not None:
        raise ExpiryRefused("expires_at", "give expires_in_days or expires_at, not both")
    if at is not None:
        if at <= now:
            raise ExpiryRefused("expires_at", "must be in the future")
        if at > now + timedelta(days=policy.max_days):
            raise ExpiryRefused("expires_at", f"must be at most {policy.max_days} days from now")
        return at
    days = policy.default_days if in_days is None else in_days
    if not 1 <= days <= policy.max_days:
        raise ExpiryRefused("expires_in_days", f"must be between 1 and {policy.max_days}")
    return now + timedelta(days=days)


@dataclass(frozen=True)
class TokenRecord:
    """What is kept of a token: never the secret, only who it stands for and its dates."""

    id: str
    principal: Principal
    created_at: datetime
    created_by: str | None
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None
    bootstrap: bool


def status_of(record: TokenRecord, now: datetime) -> TokenStatus:
    if record.revoked_at is not None:
        return "revoked"
    if record.expires_at is not None and record.expires_at <= now:
        return "expired"
    return "active"


def refusal(record: TokenRecord, now: datetime) -> str | None:
    """Why the token may not be used at `now` (the 401's text), or None when it may."""
    status = status_of(record, now)
    if status == "revoked":
        assert record.revoked_at is not None
        return f"token revoked at {record.revoked_at.isoformat()}"
    if status == "expired":
        assert record.expires_at is not None
        return f"token expired at {record.expires_at.isoformat()}"
    return None
