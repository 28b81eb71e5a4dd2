"""The agent directory for e2e tests: `assign` names a person working where the ticket is
(issue 13), so a test that takes a ticket first adds that person (as an admin would)."""

from __future__ import annotations

import secrets
from typing import Any

import httpx

from tools.suite import Suite


def register_agent(
    suite: Suite, name: str, office: str, role: str = "province_it", **extra: Any
) -> dict[str, Any]:
    email = extra.pop("email", None) or f"agent.{secrets.token_hex(4)}@kbnn.gov.vn"
    response = httpx.post(
        f"{suite.url('intake')}/api/v1/agents",
        json={"name": name, "email": email, "office": office, "role": role, **extra},
        headers={"Authorization": f"Bearer {suite.admin_token}"},
        timeout=30,
    )
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result
