"""Calls to the gateway as a given token, for e2e tests of the operator's working day."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tools.suite import Suite

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def call(suite: Suite, token: str | None, method: str, path: str, **kw: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    headers.update(kw.pop("headers", None) or {})
    return httpx.request(
        method, f"{suite.url('intake')}/api/v1{path}", headers=headers, timeout=30, **kw
    )


def numbers(answer: httpx.Response) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [t["number"] for t in answer.json()["data"]]


def assert_error_shape(answer: httpx.Response, status: int, field: str | None = None) -> str:
    """The one error body; returns the first message."""
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) == {"error", "detail"}, body
    assert body["detail"], body
    for entry in body["detail"]:
        assert set(entry) == {"loc", "field", "msg", "type"}, entry
    if field is not None:
        assert field in [e["field"] for e in body["detail"]], body
    return str(body["detail"][0]["msg"])
