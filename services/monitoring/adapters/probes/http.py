"""HTTP(S) probe: one GET with httpx; status, page and the certificate's expiry."""

from __future__ import annotations

from typing import Any

import httpx

from libs.catalog.checks_model import Check
from services.monitoring.adapters.probes.base import (
    BODY_LIMIT,
    Progress,
    Seen,
    cert_expiry,
    tls_context,
)

USER_AGENT = "Hotro-monitoring/1 (KBNN service desk)"


def client_for(check: Check) -> httpx.AsyncClient:
    """A client of its own per probe: its own cookie jar (a login's session) and no pooled
    connection shared with another check, so one slow target holds nothing others need."""
    return httpx.AsyncClient(
        verify=tls_context(check.ca_file),
        timeout=check.timeout_s,
        follow_redirects=True,
        headers={"User-Agent": USER_AGENT},
    )


async def fetch(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    progress: Progress,
    data: dict[str, str] | None = None,
) -> Seen:
    """One request: status, the page (bounded), and the certificate read from the live
    connection — `network_stream` is only there while the response is open."""
    progress.stage = f"{method} {url}"
    kwargs: dict[str, Any] = {"data": data} if data else {}
    async with client.stream(method, url, **kwargs) as response:
        stream = response.extensions.get("network_stream")
        ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
        expires = cert_expiry(ssl_object)
        progress.stage = f"reading the page of {url}"
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size >= BODY_LIMIT:
                break
        raw = b"".join(chunks)[:BODY_LIMIT]
        body = raw.decode(response.encoding or "utf-8", errors="replace")
    return Seen(status=response.status_code, body=body, cert_expires_at=expires)


async def probe(check: Check, progress: Progress) -> Seen:
    async with client_for(check) as client:
        return await fetch(client, "GET", check.target, progress)
