"""Known errors addressed by their number through the gateway (issue 13), and their request
bodies described in the gateway's OpenAPI document."""

from __future__ import annotations

from typing import Any

import httpx

from services.intake.adapters.tokens import Principal
from tests.support.mail import admin
from tests.support.tickets import submit, ticket, wait_until, web_ticket
from tests.support.tokens import issue_token
from tools.suite import Suite

API = "/api/v1"


def _known_error(suite: Suite) -> dict[str, Any]:
    created = submit(suite, web_ticket("TABMIS kết xuất sổ cái sai số dư")).json()
    wait_until(lambda: ticket(suite, created["id"]).get("sla"), 60, "the ticket on the ladder")
    resolved = httpx.post(
        f"{suite.url('intake')}{API}/tickets/{created['id']}/resolve",
        json={"cause": "software_bug", "reason": "Lỗi tính số dư"},
        headers=admin(suite),
        timeout=30,
    )
    assert resolved.status_code == 200, resolved.text

    def filed() -> dict[str, Any] | None:
        listed = httpx.get(f"{suite.url('intake')}{API}/known-errors", headers=admin(suite))
        return next((k for k in listed.json()["data"] if created["id"] in k["tickets"]), None)

    found: dict[str, Any] = wait_until(filed, 60, "the known error")
    return found


def test_a_known_error_is_read_and_moved_by_its_number(suite: Suite) -> None:
    known = _known_error(suite)
    number = known["number"]
    assert number.startswith("KE-")
    base = f"{suite.url('intake')}{API}/known-errors"
    for reference in (number, number.lower(), known["id"]):
        one = httpx.get(f"{base}/{reference}", headers=admin(suite))
        assert one.status_code == 200, one.text
        assert (one.json()["id"], one.json()["number"]) == (known["id"], number)

    specialist = issue_token(suite, Principal("Phòng QTUD", "specialist", group="CNTT-QTUD"))
    as_specialist = {"Authorization": f"Bearer {specialist}"}
    moved = httpx.post(
        f"{base}/{number}/status",
        json={"status": "fix_in_progress", "note": "Đang sửa"},
        headers=as_specialist,
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["number"], moved.json()["status"]) == (number, "fix_in_progress")

    # The gateway checks the body itself, naming the field, before escalation sees it.
    bogus = httpx.post(f"{base}/{number}/status", json={"status": "done"}, headers=as_specialist)
    assert bogus.status_code == 422 and bogus.json()["detail"][0]["field"] == "status"
    extra = httpx.post(
        f"{base}/{number}/status", json={"status": "released", "by": "x"}, headers=as_specialist
    )
    assert extra.status_code == 422
    missing = httpx.get(f"{base}/KE-2000-TABMIS-999", headers=admin(suite))
    assert missing.status_code == 404 and "KE-2000-TABMIS-999" in missing.json()["detail"][0]["msg"]
    assert httpx.get(f"{base}/{number}", headers=admin(suite)).json()["status"] == (
        "fix_in_progress"
    )


def test_the_openapi_document_describes_the_known_error_bodies(suite: Suite) -> None:
    document = httpx.get(f"{suite.url('intake')}{API}/openapi.json", timeout=30).json()
    move = document["paths"][f"{API}/known-errors/{{known_error}}/status"]["post"]
    reference = move["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = document["components"]["schemas"][reference.rsplit("/", 1)[-1]]
    assert body["properties"]["status"]["enum"] == ["fix_in_progress", "released"]
    assert "note" in body["properties"] and body["required"] == ["status"]
    one = document["paths"][f"{API}/known-errors/{{known_error}}"]["get"]
    assert "200" in one["responses"]
