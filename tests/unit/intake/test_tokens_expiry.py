"""A token's lifetime and its refusal at use (domain/tokens.py): pure, on given times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.intake.domain.access import Principal
from services.intake.domain.tokens import (
    ExpiryPolicy,
    ExpiryRefused,
    TokenRecord,
    expiry_for,
    refusal,
    status_of,
)

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
POLICY = ExpiryPolicy(default_days=90, max_days=365)


def _record(**dates: datetime | None) -> TokenRecord:
    return TokenRecord(
        id="t1",
        principal=Principal("Phòng Tin học Hà Nội", "province_it", "HNI"),
        created_at=NOW - timedelta(days=1),
        created_by="admin",
        expires_at=dates.get("expires_at"),
        last_used_at=None,
        revoked_at=dates.get("revoked_at"),
        revoked_by="admin" if dates.get("revoked_at") else None,
        bootstrap=False,
    )


def test_a_token_gets_the_default_lifetime_unless_its_issuer_chooses_one() -> None:
    assert expiry_for(POLICY, NOW) == NOW + timedelta(days=90)
    assert expiry_for(POLICY, NOW, in_days=7) == NOW + timedelta(days=7)
    at = NOW + timedelta(hours=3)
    assert expiry_for(POLICY, NOW, at=at) == at


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"in_days": 366}, "expires_in_days"),
        ({"in_days": 0}, "expires_in_days"),
        ({"at": NOW - timedelta(seconds=1)}, "expires_at"),
        ({"at": NOW + timedelta(days=366)}, "expires_at"),
        ({"in_days": 1, "at": NOW + timedelta(days=1)}, "expires_at"),
    ],
)
def test_an_expiry_beyond_the_maximum_or_in_the_past_is_refused_naming_the_field(
    kwargs: dict[str, object], field: str
) -> None:
    with pytest.raises(ExpiryRefused) as refused:
        expiry_for(POLICY, NOW, **kwargs)  # type: ignore[arg-type]
    assert refused.value.field == field


def test_a_policy_whose_default_exceeds_its_maximum_is_refused() -> None:
    with pytest.raises(ValueError, match="between 1 and the maximum"):
        ExpiryPolicy(default_days=400, max_days=365).check()


def test_an_expired_or_revoked_token_is_refused_saying_which() -> None:
    live = _record(expires_at=NOW + timedelta(seconds=1))
    assert (status_of(live, NOW), refusal(live, NOW)) == ("active", None)
    expired = _record(expires_at=NOW)
    assert status_of(expired, NOW) == "expired"
    assert refusal(expired, NOW) == f"token expired at {NOW.isoformat()}"
    revoked = _record(expires_at=NOW - timedelta(days=1), revoked_at=NOW - timedelta(hours=1))
    assert status_of(revoked, NOW) == "revoked"  # revocation is the reason given first
    assert "token revoked at" in str(refusal(revoked, NOW))


def test_the_bootstrap_token_without_an_expiry_stays_active() -> None:
    assert status_of(_record(expires_at=None), NOW + timedelta(days=10_000)) == "active"
