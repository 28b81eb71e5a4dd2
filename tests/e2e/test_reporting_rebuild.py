"""Rebuilding a projection through the gateway and from the command line (issue 10): the
progress shown while it runs, the swap at the end, and the same rows as before."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import httpx
import psycopg
import pytest
from psycopg.rows import dict_row

from services.intake.adapters.tokens import Principal
from tests.support.tickets import assigned, submit, wait_until, web_ticket
from tests.support.tokens import issue_token
from tools.suite import ROOT, Suite

API = "/api/v1/reports/rebuild"


def _rows(suite: Suite, query: str) -> list[dict[str, Any]]:
    with psycopg.connect(suite.database_url, row_factory=dict_row) as conn:
        return list(conn.execute(query).fetchall())


def _tickets(suite: Suite) -> list[dict[str, Any]]:
    return _rows(suite, "SELECT * FROM reporting.v1_tickets ORDER BY number")


@pytest.fixture(scope="module")
def settled(suite: Suite) -> list[dict[str, Any]]:
    admin = {"Authorization": f"Bearer {suite.admin_token}"}
    ids = []
    for subject, unit in (("Lỗi kết sổ TABMIS", "KBNN-HNI"), ("Lỗi chứng từ TTSP", "KBNN-HCM")):
        response = submit(suite, web_ticket(subject, unit_code=unit), **admin)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    for ticket_id in ids:
        wait_until(lambda t=ticket_id: assigned(suite, t), 90, "the ticket on the ladder")
    wait_until(lambda: len([r for r in _tickets(suite) if r["tier"]]) == 2, 60, "the projection")
    return _tickets(suite)


def _call(suite: Suite, token: str, method: str, path: str, **kw: Any) -> httpx.Response:
    return httpx.request(
        method,
        f"{suite.url('intake')}{path}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
        **kw,
    )


def test_an_admin_rebuilds_a_projection_and_follows_its_progress(
    suite: Suite, settled: list[dict[str, Any]]
) -> None:
    started = _call(suite, suite.admin_token, "POST", API, json={"projection": "tickets"})
    assert started.status_code == 202, started.text
    job_id = started.json()["id"]

    def finished() -> dict[str, Any] | None:
        body: dict[str, Any] = _call(suite, suite.admin_token, "GET", f"{API}/{job_id}").json()
        return body if body["state"] in ("done", "failed") else None

    progress = wait_until(finished, 90, "the rebuild to finish")
    assert progress["state"] == "done", progress
    assert progress["percent"] == 100.0
    assert progress["events_done"] >= progress["events_total"] > 0
    assert progress["started_at"] <= progress["finished_at"]
    assert "error" not in progress
    assert _tickets(suite) == settled  # the swapped-in table holds the same rows


def test_only_admins_rebuild_and_bad_input_names_the_field(
    suite: Suite, settled: list[dict[str, Any]]
) -> None:
    analyst = issue_token(suite, Principal("Phân tích viên", "analyst"))
    refused = _call(suite, analyst, "POST", API, json={"projection": "tickets"})
    assert refused.status_code == 403, refused.text
    unknown = _call(suite, suite.admin_token, "POST", API, json={"projection": "ticket"})
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["field"] == "projection"
    assert "tickets" in unknown.json()["detail"][0]["msg"]  # says which exist
    missing = _call(suite, analyst, "GET", f"{API}/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404
    malformed = _call(suite, analyst, "GET", f"{API}/not-an-id")
    assert malformed.status_code == 422 and malformed.json()["detail"][0]["field"] == "id"


def test_the_command_line_rebuild_shows_a_progress_bar(
    suite: Suite, settled: list[dict[str, Any]]
) -> None:
    before = _rows(suite, "SELECT * FROM reporting.v1_status_changes ORDER BY ticket_id, seq")
    done = subprocess.run(
        [sys.executable, "-m", "services.reporting.cli", "rebuild", "status_changes"],
        cwd=ROOT,
        env=suite.env_for("reporting"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "100.0 %" in done.stderr and "events" in done.stderr
    assert "swapped in" in done.stderr
    after = _rows(suite, "SELECT * FROM reporting.v1_status_changes ORDER BY ticket_id, seq")
    assert after == before and before
