"""Bearer tokens against the running gateway (issue 17): expiry, listing without the secret,
last use noted at most once a minute, revocation with who and when, the bootstrap token."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
from psycopg_pool import AsyncConnectionPool

from services.intake.adapters.tokens import TokenStore
from services.intake.domain.tokens import ExpiryPolicy, TokenRecord
from tools.suite import Suite

API = "/api/v1"


def _call(
    suite: Suite, method: str, path: str, token: str | None = None, **kw: Any
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.request(
        method, f"{suite.url('intake')}{API}{path}", headers=headers, timeout=30, **kw
    )


def _issue(suite: Suite, **body: Any) -> dict[str, Any]:
    body = {"name": "Nhóm TABMIS", "role": "group_agent", "group": "TABMIS", **body}
    response = _call(suite, "POST", "/tokens", suite.admin_token, json=body)
    assert response.status_code == 201, response.text
    issued: dict[str, Any] = response.json()
    return issued


def _listed(suite: Suite, token_id: str, **params: str) -> dict[str, Any]:
    response = _call(suite, "GET", "/tokens", suite.admin_token, params={"limit": 200, **params})
    assert response.status_code == 200, response.text
    found: dict[str, Any] = next(t for t in response.json()["data"] if t["id"] == token_id)
    return found


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_a_token_expires_as_asked_and_is_listed_without_its_secret(suite: Suite) -> None:
    before = datetime.now(UTC)
    issued = _issue(suite, expires_in_days=7)
    assert issued["status"] == "active" and issued["created_by"] == "bootstrap-admin"
    expected = before + timedelta(days=7)
    assert abs(_when(issued["expires_at"]) - expected) < timedelta(minutes=1)
    default = _issue(suite)
    assert abs(_when(default["expires_at"]) - (before + timedelta(days=90))) < timedelta(minutes=1)

    listing = _call(suite, "GET", "/tokens", suite.admin_token, params={"role": "group_agent"})
    text = listing.text
    digest = hashlib.sha256(issued["token"].encode()).hexdigest()
    assert issued["token"] not in text and digest not in text and '"token"' not in text
    entry = _listed(suite, issued["id"])
    assert entry["role"] == "group_agent" and entry["group"] == "TABMIS"
    assert entry["expires_at"] and entry["last_used_at"] is None and entry["revoked_at"] is None
    admins = _call(suite, "GET", "/tokens", suite.admin_token, params={"role": "admin"}).json()
    assert any(t["bootstrap"] and t["expires_at"] is None for t in admins["data"])


def test_last_use_is_noted_at_most_once_a_minute(suite: Suite) -> None:
    issued = _issue(suite)
    assert _call(suite, "GET", "/tickets", issued["token"]).status_code == 200
    first = _listed(suite, issued["id"])["last_used_at"]
    assert first is not None
    for _ in range(5):
        assert _call(suite, "GET", "/tickets", issued["token"]).status_code == 200
    assert _listed(suite, issued["id"])["last_used_at"] == first
    with psycopg.connect(suite.database_url) as conn:
        # A minute later by the database's clock, the next use notes the time again.
        conn.execute(
            "UPDATE intake.api_tokens SET last_used_at = last_used_at - interval '61 seconds'"
            " WHERE id = %s",
            (issued["id"],),
        )
    assert _call(suite, "GET", "/tickets", issued["token"]).status_code == 200
    assert _when(_listed(suite, issued["id"])["last_used_at"]) > _when(first)


def test_a_revoked_token_gets_401_saying_so_and_the_revocation_says_who_and_when(
    suite: Suite,
) -> None:
    issued = _issue(suite)
    assert _call(suite, "GET", "/tickets", issued["token"]).status_code == 200
    revoked = _call(suite, "DELETE", f"/tokens/{issued['id']}", suite.admin_token)
    assert revoked.status_code == 200, revoked.text
    record = revoked.json()
    assert record["status"] == "revoked" and record["revoked_by"] == "bootstrap-admin"
    assert abs(_when(record["revoked_at"]) - datetime.now(UTC)) < timedelta(minutes=1)
    refused = _call(suite, "GET", "/tickets", issued["token"])
    assert refused.status_code == 401
    assert refused.json()["detail"][0]["msg"].startswith("token revoked at")
    again = _call(suite, "DELETE", f"/tokens/{issued['id']}", suite.admin_token).json()
    assert again["revoked_at"] == record["revoked_at"]  # the first revocation stands
    assert _listed(suite, issued["id"], status="revoked")["revoked_by"] == "bootstrap-admin"
    assert _call(suite, "DELETE", f"/tokens/{uuid.uuid4()}", suite.admin_token).status_code == 404
    assert _call(suite, "DELETE", "/tokens/not-an-id", suite.admin_token).status_code == 422


def test_an_expired_token_gets_401_saying_so(suite: Suite) -> None:
    soon = datetime.now(UTC) + timedelta(seconds=2)
    issued = _issue(suite, expires_at=soon.isoformat())
    assert _call(suite, "GET", "/tickets", issued["token"]).status_code == 200
    time.sleep(max(0.0, (soon - datetime.now(UTC)).total_seconds()) + 0.5)
    refused = _call(suite, "GET", "/tickets", issued["token"])
    assert refused.status_code == 401
    assert refused.json()["detail"][0]["msg"].startswith("token expired at")
    assert _listed(suite, issued["id"])["status"] == "expired"
    unknown = _call(suite, "GET", "/tickets", secrets.token_urlsafe(32))
    assert unknown.status_code == 401 and unknown.json()["detail"][0]["msg"] == "unknown token"


def test_only_admins_list_or_revoke_and_expiry_is_bounded(suite: Suite) -> None:
    agent = _issue(suite)
    assert _call(suite, "GET", "/tokens", agent["token"]).status_code == 403
    assert _call(suite, "DELETE", f"/tokens/{agent['id']}", agent["token"]).status_code == 403
    body = {"name": "x", "role": "analyst"}
    cases = {
        "expires_in_days": {"expires_in_days": 366},
        "expires_at": {
            "expires_in_days": 3,
            "expires_at": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
        },
    }
    for field, extra in cases.items():
        refused = _call(suite, "POST", "/tokens", suite.admin_token, json={**body, **extra})
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"][0]["field"] == field
    past = {**body, "expires_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat()}
    assert _call(suite, "POST", "/tokens", suite.admin_token, json=past).status_code == 422


def test_a_changed_bootstrap_token_revokes_the_previous_one(suite: Suite) -> None:
    old = suite.admin_token
    suite.stop("intake")
    suite.admin_token = secrets.token_urlsafe(16)
    suite.start("intake")
    suite.wait_ready(timeout_s=60, services=("intake",))
    refused = _call(suite, "GET", "/tickets", old)
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"][0]["msg"]
    assert _call(suite, "GET", "/tickets", suite.admin_token).status_code == 200
    admins = _call(suite, "GET", "/tokens", suite.admin_token, params={"role": "admin"}).json()
    boots = {t["status"]: t for t in admins["data"] if t["bootstrap"]}
    assert set(boots) == {"active", "revoked"}
    assert boots["revoked"]["revoked_by"] == "HOTRO_ADMIN_TOKEN changed"


def test_tokens_of_the_old_table_get_the_default_lifetime_on_upgrade(suite: Suite) -> None:
    schema = f"tokens_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(suite.database_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(  # the table as it was before expiry existed
            f'CREATE TABLE "{schema}".api_tokens (token_hash text PRIMARY KEY, name text NOT NULL,'
            " role text NOT NULL, scope jsonb NOT NULL DEFAULT '{}',"
            " created_at timestamptz NOT NULL DEFAULT now())"
        )
        conn.execute(
            f'INSERT INTO "{schema}".api_tokens (token_hash, name, role) VALUES'
            " ('a', 'bootstrap-admin', 'admin'), ('b', 'Phân tích', 'analyst')"
        )

    async def upgrade() -> list[TokenRecord]:
        async with AsyncConnectionPool(suite.database_url, open=False) as pool:
            store = TokenStore(pool, schema, ExpiryPolicy(default_days=30, max_days=60))
            await store.ensure_table()
            await store.ensure_table()  # a second start changes nothing
            records, _ = await store.list(role=None, status=None, limit=10, offset=0)
            return records

    records = {r.principal.name: r for r in asyncio.run(upgrade())}
    assert records["bootstrap-admin"].bootstrap and records["bootstrap-admin"].expires_at is None
    analyst = records["Phân tích"]
    assert not analyst.bootstrap and analyst.expires_at is not None
    assert abs(analyst.expires_at - (datetime.now(UTC) + timedelta(days=30))) < timedelta(minutes=1)
    assert len({r.id for r in records.values()}) == 2
