"""Bearer tokens for e2e tests, stored the way the gateway stores them (hashed)."""

from __future__ import annotations

import asyncio
import secrets

from psycopg_pool import AsyncConnectionPool

from services.intake.adapters.tokens import Principal, TokenStore
from tools.suite import Suite


def issue_token(suite: Suite, principal: Principal) -> str:
    token = secrets.token_urlsafe(16)

    async def put() -> None:
        async with AsyncConnectionPool(suite.database_url, open=False) as pool:
            await TokenStore(pool, "intake").put(token, principal)

    asyncio.run(put())
    return token
