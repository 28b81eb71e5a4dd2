"""Helpers the e2e tests share: submitting tickets and waiting for them to settle."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from tools.suite import Suite


def submit(suite: Suite, body: dict[str, Any], **headers: str) -> httpx.Response:
    return httpx.post(
        f"{suite.url('intake')}/api/v1/tickets", json=body, headers=headers, timeout=10
    )


def ticket(suite: Suite, id_or_number: str) -> dict[str, Any]:
    response = httpx.get(
        f"{suite.url('intake')}/api/v1/tickets/{id_or_number}",
        headers={"Authorization": f"Bearer {suite.admin_token}"},
        timeout=10,
    )
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


def wait_until(check: Callable[[], Any], timeout_s: float = 60, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except (httpx.HTTPError, AssertionError) as error:
            last = error
        else:
            if last:
                return last
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


def assigned(suite: Suite, ticket_id: str) -> dict[str, Any] | None:
    view = ticket(suite, ticket_id)
    return view if view.get("tier") and view.get("status") == "routed" else None


#: A Hà Nội treasury unit in force today: Kho bạc Nhà nước khu vực I (issue 14; the 2023 code
#: KBNN-HNI still works, mapped to it with a note on the ticket).
HANOI_UNIT = "KBNN-KV-HNI"


def web_ticket(subject: str, unit_code: str = HANOI_UNIT, **extra: Any) -> dict[str, Any]:
    return {
        "requester": {"name": "Nguyễn Thị Lan", "email": "lan@kbnn.gov.vn", "unit_code": unit_code},
        "subject": subject,
        "description": extra.pop("description", "Xin hỗ trợ gấp."),
        **extra,
    }
