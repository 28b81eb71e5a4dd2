"""The gateway's calls to the services that own a command, each signed for that one request.

The gateway has authenticated the person; the owning service decides what they may do. Every
forwarded request carries the gateway's assertion (libs/platform/caller.py), bound to its
method, path, query and body. A service that does not answer is a 503, one that answers
something other than JSON a 502, both in the gateway's error shape.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Annotated, Any

import httpx
from fastapi import Depends, Request
from fastapi.responses import JSONResponse, Response

from libs.platform.caller import ASSERTION_HEADER, Caller, sign_call
from libs.platform.errors import normalised, problem
from libs.platform.settings import DEFAULT_PORTS
from services.intake.adapters.tokens import Principal

_TIMEOUT_S = 30.0
#: What `call_raw` passes on from the service's answer besides its body and status.
PASSED_HEADERS = frozenset(
    {"content-type", "content-disposition", "location", "cache-control", "last-modified", "etag"}
)


def service_url(service: str) -> str:
    """HOTRO_<SERVICE>_URL, else the service's port on loopback (the embedded default)."""
    port = os.environ.get(f"HOTRO_{service.upper()}_PORT", str(DEFAULT_PORTS[service]))
    return os.environ.get(f"HOTRO_{service.upper()}_URL", f"http://127.0.0.1:{port}")


def _problem(error: str, service: str, msg: str, status: int) -> JSONResponse:
    return problem(status, error, service, msg)


@dataclass
class InternalCalls:
    key: bytes
    _client: httpx.AsyncClient | None = field(default=None, repr=False)

    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=_TIMEOUT_S)
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def _send(
        self,
        service: str,
        user: Principal,
        method: str,
        path: str,
        content: bytes | None,
        json: Any,
        params: Any,
        content_type: str,
    ) -> httpx.Response | JSONResponse:
        """The service's answer, or the gateway's 503 when it did not answer."""
        client = self.client()
        request = client.build_request(
            method,
            f"{service_url(service)}/api/v1{path}",
            params=params,
            content=content,
            json=json,
            headers={"Content-Type": content_type} if content is not None else None,
        )
        caller = Caller(user.name, user.role, user.province, user.group)
        request.headers[ASSERTION_HEADER] = sign_call(
            caller, method, request.url.raw_path.decode("latin-1"), request.content, self.key
        )
        try:
            return await client.send(request)
        except httpx.HTTPError as error:
            return _problem(
                f"{service}_unavailable",
                service,
                f"the {service} service did not answer: {error!r}",
                503,
            )

    async def call(
        self,
        service: str,
        user: Principal,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        json: Any = None,
        params: Any = None,
        content_type: str = "application/json",
    ) -> JSONResponse:
        """`path` is the service's path under /api/v1; its answer comes back as it is."""
        response = await self._send(
            service, user, method, path, content, json, params, content_type
        )
        if isinstance(response, JSONResponse):
            return response
        try:
            body = response.json()
        except ValueError:
            return _problem(f"{service}_error", service, response.text, 502)
        if response.status_code >= 400:
            # One error shape whatever the service behind wrote (issue 13).
            body = normalised(body)
        return JSONResponse(body, status_code=response.status_code)

    async def call_raw(
        self,
        service: str,
        user: Principal,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        params: Any = None,
        content_type: str = "application/json",
    ) -> Response:
        """Like `call`, for answers that are not JSON (HTML pages, feeds, redirects): the
        body, status and content type come back as they are, with the headers in
        `PASSED_HEADERS`."""
        response = await self._send(
            service, user, method, path, content, None, params, content_type
        )
        if isinstance(response, JSONResponse):
            return response
        headers = {k: v for k, v in response.headers.items() if k.lower() in PASSED_HEADERS}
        return Response(response.content, status_code=response.status_code, headers=headers)


def _internal_calls(request: Request) -> InternalCalls:
    calls: InternalCalls = request.app.state.internal_calls
    return calls


Internal = Annotated[InternalCalls, Depends(_internal_calls)]
