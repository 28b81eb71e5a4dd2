"""The gateway's intake API end to end: directory, channels, files, access per role (SPEC §7, §8),
the lifecycle's 409s, search, the public rate limit, and a schemathesis fuzz of the OpenAPI."""

from __future__ import annotations

import collections
import os
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.support.mail import admin, message, over_http, sent_about
from tests.support.org import unit_in_force
from tests.support.tickets import ticket, wait_until, web_ticket
from tools.suite import ROOT, Suite

API = "/api/v1"


def _post(suite: Suite, path: str, token: str | None = None, **kwargs: Any) -> httpx.Response:
    headers = kwargs.pop("headers", {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.post(f"{suite.url('intake')}{API}{path}", headers=headers, timeout=30, **kwargs)


def _get(suite: Suite, path: str, token: str, **params: Any) -> httpx.Response:
    return httpx.get(
        f"{suite.url('intake')}{API}{path}",
        params=params,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


@pytest.fixture(scope="module")
def tokens(suite: Suite) -> dict[str, str]:
    principals = {
        "hni": {"name": "Phòng Tin học Hà Nội", "role": "province_it", "province": "HNI"},
        "hcm": {"name": "Phòng Tin học TP.HCM", "role": "province_it", "province": "HCM"},
        "tabmis": {"name": "Nhóm TABMIS", "role": "group_agent", "group": "TABMIS"},
        "payment": {"name": "Nhóm Thanh toán", "role": "group_lead", "group": "PAYMENT"},
        "specialist": {"name": "Phòng QTUD", "role": "specialist"},
        "analyst": {"name": "Phân tích", "role": "analyst"},
        "lan": {"name": "Nguyễn Thị Lan", "role": "requester", "email": "lan@kbnn.gov.vn"},
        "binh": {"name": "Trần Văn Bình", "role": "requester", "email": "binh@kbnn.gov.vn"},
    }
    issued = {}
    for key, body in principals.items():
        response = _post(suite, "/tokens", suite.admin_token, json=body)
        assert response.status_code == 201, response.text
        issued[key] = response.json()["token"]
    return issued


def _submit(suite: Suite, body: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    response = _post(suite, "/tickets", token, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _routed(suite: Suite, ticket_id: str) -> dict[str, Any]:
    found: dict[str, Any] = wait_until(
        lambda: (v := ticket(suite, ticket_id)).get("group") and v, 60, "routing"
    )
    return found


def test_tokens_are_issued_by_admins_only_and_kept_hashed(
    suite: Suite, tokens: dict[str, str]
) -> None:
    body = {"name": "x", "role": "admin"}
    assert _post(suite, "/tokens", tokens["hni"], json=body).status_code == 403
    assert _post(suite, "/tokens", None, json=body).status_code == 401
    refused = _post(suite, "/tokens", suite.admin_token, json={"name": "x", "role": "province_it"})
    assert refused.status_code == 422 and refused.json()["detail"][0]["field"] == "province"
    with psycopg.connect(suite.database_url) as conn:
        stored = [r[0] for r in conn.execute("SELECT token_hash FROM intake.api_tokens")]
    assert tokens["hni"] not in stored and all(len(h) == 64 for h in stored)


def test_the_directory_is_imported_updated_and_used_by_every_channel(suite: Suite) -> None:
    csv_text = (
        "name,email,phone,unit_code\n"
        "Phạm Thu Hà,ha@kbnn.gov.vn,0912000111,KBNN-HNI\n"
        "Lê Văn Tâm,tam@kbnn.gov.vn,,KBNN-HCM\n"
        "Sai Mã,sai@kbnn.gov.vn,,KBNN-XYZ\n"
    )
    first = _post(
        suite, "/requesters/import", suite.admin_token,
        content=csv_text.encode(), headers={"Content-Type": "text/csv"},
    )  # fmt: skip
    assert first.status_code == 200, first.text
    assert (first.json()["created"], first.json()["updated"]) == (2, 0)
    assert first.json()["rejected"] == [
        {"line": 4, "reason": "unit_code: no unit has code 'KBNN-XYZ'"}
    ]
    jsonl = (
        '{"name": "Phạm Thu Hà", "email": "HA@kbnn.gov.vn", "phone": "0912000222", "unit_code": "KBNN-HNI"}\n'
        '{"name": "Lê Văn Tâm", "email": "tam@kbnn.gov.vn", "unit_code": "KBNN-HCM"}\n'
        "not json\n"
    )
    again = _post(
        suite, "/requesters/import", suite.admin_token,
        content=jsonl.encode(), headers={"Content-Type": "application/x-ndjson"},
    )  # fmt: skip
    counts = again.json()
    assert (counts["created"], counts["updated"], counts["unchanged"]) == (0, 1, 1)
    assert [r["line"] for r in counts["rejected"]] == [3]
    assert _post(suite, "/requesters/import", None, content=b"x").status_code == 401

    path = suite.log_dir / "directory.csv"
    path.write_text("name,email,unit_code\nĐỗ Đức Thắng,thang@kbnn.gov.vn,KBNN-DNG\n")
    cli = subprocess.run(
        [sys.executable, "-m", "services.intake.cli", "import-requesters", str(path)],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": suite.database_url, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert cli.returncode == 0 and "created 1" in cli.stdout, cli.stderr

    # A directory user gives only an e-mail, on the web or by mail; the unit comes along.
    web = _submit(suite, {"requester": {"email": "ha@kbnn.gov.vn"}, "subject": "Lỗi in TABMIS"})
    view = _routed(suite, web["id"])
    # KBNN-HNI closed in 2025: the directory keeps the unit that carries it on (issue 14).
    assert (view["unit_code"], view["province"], view["requester"]["phone"]) == (
        unit_in_force("KBNN-HNI"), "HNI", "0912000222",
    )  # fmt: skip
    mailed = over_http(
        suite,
        message("Không vào được TTSP", "Lỗi kết nối.", f"{uuid.uuid4().hex}@kbnn.gov.vn",
                sender="Thắng <thang@kbnn.gov.vn>"),
    )  # fmt: skip
    assert _routed(suite, mailed["ticket_id"])["province"] == "DNG"
    unknown = _post(suite, "/tickets", json={"requester": {"email": "ai@x.vn"}, "subject": "x"})
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["field"] in ("requester.name", "requester.unit_code")


def test_web_submissions_carry_checked_files(suite: Suite) -> None:
    body = web_ticket("Lỗi chứng từ TTSP, gửi kèm biên bản")
    pdf, png = b"%PDF-1.7 bien ban", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    files = [
        ("ticket", (None, httpx.Request("POST", "/", json=body).content, "application/json")),
        ("attachments", ("biên bản.pdf", pdf, "application/pdf")),
        ("attachments", ("màn hình.png", png, "image/png")),
    ]
    created = _post(suite, "/tickets", files=files, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert created.status_code == 201, created.text
    view = wait_until(
        lambda: len((v := ticket(suite, created.json()["id"]))["attachments"]) == 2 and v,
        30,
        "two attachments",
    )
    pdf_meta = next(a for a in view["attachments"] if a["content_type"] == "application/pdf")
    assert pdf_meta["filename"] == "biên bản.pdf" and pdf_meta["stored"]
    download = httpx.get(
        f"{suite.url('intake')}{API}/tickets/{view['number']}/attachments/{pdf_meta['attachment_id']}",
        headers=admin(suite),
    )
    assert download.content == pdf
    with psycopg.connect(suite.database_url) as conn:
        before = conn.execute("SELECT count(*) FROM intake.intake_events").fetchone()
        refused = _post(
            suite,
            "/tickets",
            files=[
                files[0],
                ("attachments", ("hoa-don.pdf", b"MZ\x90\x00binary", "application/pdf")),
            ],
        )
        after = conn.execute("SELECT count(*) FROM intake.intake_events").fetchone()
    assert refused.status_code == 422 and refused.json()["detail"][0]["field"] == "attachments"
    assert "executable" in refused.json()["detail"][0]["msg"] and before == after


def test_a_phone_call_is_logged_by_the_desk_as_a_ticket(
    suite: Suite, tokens: dict[str, str]
) -> None:
    call = {
        "caller": {"name": "Vũ Thị Ngọc Ánh", "unit_code": "KBNN-HNI"},
        "callback_number": "024 3826 1234",
        "subject": "Không đăng nhập được TABMIS",
        "notes": "Gọi lúc 8h, báo lỗi sai mật khẩu sau khi đổi.",
    }
    assert _post(suite, "/phone-calls", None, json=call).status_code == 401
    assert _post(suite, "/phone-calls", tokens["analyst"], json=call).status_code == 403
    assert _post(suite, "/phone-calls", tokens["lan"], json=call).status_code == 403
    created = _post(suite, "/phone-calls", tokens["hni"], json=call)
    assert created.status_code == 201, created.text
    view = ticket(suite, created.json()["id"])
    assert (view["channel"], view["requester"]["phone"], view["description"]) == (
        "phone", "024 3826 1234", call["notes"],
    )  # fmt: skip
    public_phone = _post(suite, "/tickets", json={**web_ticket("x"), "channel": "phone"})
    assert public_phone.status_code == 403


def test_each_role_sees_and_does_only_what_spec_8_allows(
    suite: Suite, tokens: dict[str, str]
) -> None:
    hni = _submit(suite, web_ticket("Lỗi kết sổ TABMIS phân hệ GL"))
    hcm = _submit(
        suite,
        {"requester": {"name": "Trần Văn Bình", "email": "binh@kbnn.gov.vn", "unit_code": "KBNN-HCM"},
         "subject": "Lỗi kết sổ TABMIS tại TP.HCM"},
    )  # fmt: skip
    view = _routed(suite, hni["id"])
    _routed(suite, hcm["id"])
    assert view["group"] == "TABMIS"

    assert _get(suite, f"/tickets/{hni['id']}", tokens["hni"]).status_code == 200
    assert _get(suite, f"/tickets/{hcm['id']}", tokens["hni"]).status_code == 403
    provinces = {
        t["province"] for t in _get(suite, "/tickets", tokens["hni"], limit=200).json()["data"]
    }
    assert provinces == {"HNI"}
    own = _get(suite, "/tickets", tokens["lan"], limit=200).json()["data"]
    assert own and {t["requester"]["email"] for t in own} == {"lan@kbnn.gov.vn"}
    assert _get(suite, f"/tickets/{hcm['id']}", tokens["lan"]).status_code == 404

    note = {"body": "Kiểm tra log máy chủ ứng dụng", "visibility": "internal"}
    assert (
        _post(suite, f"/tickets/{hni['id']}/comments", tokens["hni"], json=note).status_code == 201
    )
    assert (
        _post(suite, f"/tickets/{hcm['id']}/comments", tokens["hni"], json=note).status_code == 403
    )
    for role in ("analyst",):
        assert (
            _post(suite, f"/tickets/{hni['id']}/comments", tokens[role], json=note).status_code
            == 403
        )
        assert _post(suite, f"/tickets/{hni['id']}/resolve", tokens[role],
                     json={"cause": "data"}).status_code == 403  # fmt: skip
    assert _get(suite, f"/tickets/{hni['id']}", tokens["analyst"]).status_code == 200
    assert (
        _post(suite, f"/tickets/{hni['id']}/comments", tokens["specialist"], json=note).status_code
        == 201
    )
    assert _post(suite, f"/tickets/{hni['id']}/start", tokens["specialist"]).status_code == 403
    assert _post(suite, f"/tickets/{hni['id']}/start", tokens["payment"]).status_code == 403
    assert _post(suite, f"/tickets/{hni['id']}/start", tokens["tabmis"]).status_code == 200
    assert (
        _post(suite, f"/tickets/{hni['id']}/comments", tokens["lan"], json=note).status_code == 403
    )
    reply = {"body": "Em đã thử lại, vẫn lỗi.", "visibility": "public"}
    assert (
        _post(suite, f"/tickets/{hni['id']}/comments", tokens["lan"], json=reply).status_code == 201
    )
    assert _post(suite, f"/tickets/{hni['id']}/wait", tokens["lan"]).status_code == 403

    def notes_seen_by(who: str) -> list[str]:
        history = _get(suite, f"/tickets/{hni['id']}", tokens[who]).json()["history"]
        return [
            h["data"]["visibility"] for h in history if h["type"] == "hotro.ticket.commented.v1"
        ]

    wait_until(lambda: len(notes_seen_by("hni")) == 3, 30, "the comments in the view")
    mine = _get(suite, f"/tickets/{hni['id']}", tokens["lan"]).json()["history"]
    assert [e["body"] for e in mine if e["kind"] == "comment"] == [reply["body"]]


def test_status_moves_follow_the_lifecycle_and_invalid_ones_get_409(
    suite: Suite, tokens: dict[str, str]
) -> None:
    created = _submit(suite, web_ticket("Không gửi được thư trên hệ thống MAIL"))
    _routed(suite, created["id"])  # numbers resolve through the ticket view
    path = f"/tickets/{created['number']}"
    refused = _post(suite, f"{path}/close", tokens["hni"])
    assert refused.status_code == 409
    message_text = refused.json()["detail"][0]["msg"]
    assert "không thể đóng" in message_text and "Cannot close" in message_text
    assert _post(suite, f"{path}/resolve", tokens["hni"], json={}).status_code == 422
    waiting = _post(suite, f"{path}/wait", tokens["hni"], json={"reason": "Cần ảnh chụp"})
    assert waiting.json()["status"] == "waiting_requester"
    answered = _post(suite, f"{path}/comments", tokens["lan"], json={"body": "Ảnh đây."})
    assert answered.status_code == 201 and answered.json()["status"] == "in_progress"
    resolved = _post(suite, f"{path}/resolve", tokens["hni"],
                     json={"cause": "configuration", "reason": "Đã cấu hình lại Outlook."})  # fmt: skip
    assert resolved.json()["status"] == "resolved"
    assert _post(suite, f"{path}/wait", tokens["hni"]).status_code == 409
    assert _post(suite, f"{path}/reopen", tokens["lan"]).json()["status"] == "reopened"
    _post(
        suite, f"{path}/resolve", tokens["hni"], json={"cause": "configuration"}
    ).raise_for_status()
    assert _post(suite, f"{path}/close", tokens["lan"]).json()["status"] == "closed"
    closed = _post(suite, f"{path}/comments", tokens["hni"], json={"body": "?"})
    assert closed.status_code == 409 and "đã đóng" in closed.json()["detail"][0]["msg"]

    view = wait_until(
        lambda: (v := ticket(suite, created["id"]))["status"] == "closed" and v, 30, "closed"
    )
    moves = [
        h["data"]["status"]
        for h in view["history"]
        if h["type"] == "hotro.ticket.status_changed.v1"
    ]
    assert moves == [
        "waiting_requester",
        "in_progress",
        "resolved",
        "reopened",
        "resolved",
        "closed",
    ]
    assert view["cause"] == "configuration"

    # Acknowledged, asked (`wait`), told twice of the resolution: all to the requester.
    def resolution_notices() -> list[Any]:
        found = sent_about(suite, created["number"])
        return found if sum("đã được giải quyết" in m.get_content() for m in found) >= 2 else []

    notices = wait_until(resolution_notices, 30, "the resolution notices")
    assert all(str(m["To"]) == "lan@kbnn.gov.vn" for m in notices)
    assert any("Cần ảnh chụp" in m.get_content() for m in notices)


def test_search_ignores_case_and_diacritics_and_queues_page(suite: Suite) -> None:
    tag = uuid.uuid4().hex[:6]
    ids = [
        _submit(suite, web_ticket(f"TABMIS không đăng nhập được {tag} {i}"))["id"] for i in range(3)
    ]

    def found(**params: Any) -> dict[str, Any]:
        result: dict[str, Any] = _get(suite, "/tickets", suite.admin_token, **params).json()
        return result

    wait_until(lambda: found(q=f"tabmis khong dang nhap duoc {tag}")["count"] == 3, 30, "search")
    page = found(q=f"TABMIS KHÔNG {tag}", channel="web", province="HNI", limit=2, offset=0)
    rest = found(q=f"TABMIS KHÔNG {tag}", channel="web", province="HNI", limit=2, offset=2)
    assert (page["count"], len(page["data"]), len(rest["data"])) == (3, 2, 1)
    assert {t["id"] for t in page["data"] + rest["data"]} == set(ids)
    assert found(q=f"{tag}", province="HCM")["count"] == 0
    assert _get(suite, "/tickets", suite.admin_token, q="a\x00b").status_code == 422


def test_public_submissions_are_rate_limited_per_address(suite: Suite) -> None:
    transport = httpx.HTTPTransport(local_address="127.0.0.2")
    # All at once: one at a time on a loaded machine, the bucket refills between them.
    with (
        httpx.Client(transport=transport, base_url=suite.url("intake"), timeout=60) as client,
        ThreadPoolExecutor(20) as pool,
    ):
        codes = list(
            pool.map(
                lambda i: client.post(f"{API}/tickets", json=web_ticket(f"Giới hạn {i}")),
                range(60),
            )
        )
    statuses = collections.Counter(r.status_code for r in codes)
    assert statuses[201] >= 20 and statuses[429] > 0 and set(statuses) <= {201, 429}, statuses
    limited = next(r for r in codes if r.status_code == 429)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert (
        _post(suite, "/tickets", suite.admin_token, json=web_ticket("Có mã truy cập")).status_code
        == 201
    )


@schemathesis.serializer("message/rfc822")
def _raw_mail(_ctx: Any, value: Any) -> dict[str, Any]:
    return {"data": value if isinstance(value, bytes) else str(value).encode()}


#: Every operation of the gateway: its own and those it forwards to routing and escalation.
GATEWAY_TAGS = {"tickets", "ticket actions", "mail", "requesters", "access", "ladder", "routing"}


def test_fuzzed_requests_from_the_openapi_document_never_get_a_server_error(suite: Suite) -> None:
    schema = schemathesis.openapi.from_url(f"{suite.url('intake')}{API}/openapi.json")
    seen: collections.Counter[int] = collections.Counter()
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if not set(operation.tags or ()) & GATEWAY_TAGS:
            continue

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case: Any) -> None:
            response = case.call(headers=admin(suite), timeout=30)
            seen[response.status_code] += 1
            if response.status_code >= 500:
                failures.append(f"{case.as_curl_command()} -> {response.status_code}")

        call()
    assert sum(seen.values()) > 300 and not failures, failures[:5]


def test_an_old_ticket_is_history_without_a_clock_and_a_future_one_is_refused(
    suite: Suite,
) -> None:
    """Issue 16: an old `received_at` breached at once and escalated itself; a future one
    was accepted and sat on top of every queue under a future year's number."""
    now = datetime.now(UTC)
    ahead = web_ticket(
        "Lỗi TABMIS từ tương lai", received_at=(now + timedelta(hours=1)).isoformat()
    )
    refused = _post(suite, "/tickets", suite.admin_token, json=ahead)
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"][0]["field"] == "received_at"
    assert "future" in refused.json()["detail"][0]["msg"]
    skewed = web_ticket(
        "TABMIS lỗi đồng hồ lệch", received_at=(now + timedelta(minutes=2)).isoformat()
    )
    assert _post(suite, "/tickets", suite.admin_token, json=skewed).status_code == 201

    old = web_ticket(
        "TABMIS không kết xuất được báo cáo quý", priority="P1",
        received_at=(now - timedelta(days=400)).isoformat(),
    )  # fmt: skip
    created = _post(suite, "/tickets", suite.admin_token, json=old)
    assert created.status_code == 201, created.text
    placed = wait_until(
        lambda: (v := ticket(suite, created.json()["id"])).get("tier") and v, 60, "placement"
    )
    assert placed["number"].startswith(f"YC-{(now - timedelta(days=400)).year}-")
    assert placed["sla"] is None  # placed on the ladder, no clock of ours ran
    history = [h["type"] for h in ticket(suite, placed["id"])["history"]]
    assert "hotro.ticket.sla_breached.v1" not in history
