"""The console's one way to read and change things: the gateway's own API, called in-process
as the signed-in person.

A page does not re-implement a rule of the API: it sends the API the request the person would
have sent with their token (same path, body, validation, access checks, 409s, error shape), and
renders the answer. The call never leaves the process: an ASGI request to the same app, whose
caller is the session's principal, put where `deps.authenticate` keeps the caller it proved,
so no token travels and the console never holds one. Whatever the API owners change later
(new filters, stricter bodies) the pages get without a line here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import orjson
from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from services.intake.api.deps import AUTH_STATE, Authentication
from services.intake.domain.access import Principal
from services.intake.web.messages import vietnamese

API = "/api/v1"


@dataclass(frozen=True)
class ApiAnswer:
    """The API's answer: status, body, and its errors by field, in Vietnamese."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        return orjson.loads(self.body) if self.body else None

    def errors(self) -> dict[str, str]:
        """`{field: Vietnamese message}` of an error answer (first message per field)."""
        if self.ok:
            return {}
        try:
            payload = self.json()
        except orjson.JSONDecodeError:
            return {"": vietnamese({"msg": self.body.decode(errors="replace")}, self.status)}
        found: dict[str, str] = {}
        for issue in (payload or {}).get("detail") or [{"msg": str(payload)}]:
            name = str(issue.get("field") or "")
            found.setdefault(name, vietnamese(issue, self.status))
        return found

    @property
    def message(self) -> str:
        """All the error's messages in one line, for a banner."""
        return " ".join(dict.fromkeys(self.errors().values()))


def seg(value: str) -> str:
    """One path segment of an API path, from what a URL gave: quoted, never `.` or `..`."""
    return quote(value, safe="") if value.strip(".") else "-"


def _as_caller(app: ASGIApp, user: Principal) -> ASGIApp:
    async def with_caller(scope: Scope, receive: Receive, send: Send) -> None:
        scope["state"] = {AUTH_STATE: Authentication(user)}
        await app(scope, receive, send)

    return with_caller


async def call_api(
    request: Request,
    user: Principal,
    method: str,
    path: str,
    *,
    json: Any = None,
    params: dict[str, Any] | None = None,
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
    data: dict[str, str] | None = None,
    content: bytes | None = None,
    content_type: str | None = None,
) -> ApiAnswer:
    """`method` `/api/v1{path}` as `user`; never raises for a 4xx/5xx (the page shows it)."""
    transport = httpx.ASGITransport(app=_as_caller(request.app, user))
    headers = {"Content-Type": content_type} if content_type else None
    clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
    async with httpx.AsyncClient(transport=transport, base_url="http://console") as client:
        answer = await client.request(
            method,
            f"{API}{path}",
            json=json,
            params=clean or None,
            files=files,
            data=data,
            content=content,
            headers=headers,
            timeout=60,
        )
    return ApiAnswer(answer.status_code, answer.content, dict(answer.headers))
