"""The public status page end to end, through the gateway with the five services running:
a system taken down shows as an outage with no token, operators publish and update notices
(unknown application 422, wrong role 403, invalid move 409), maintenance shows as such, the
feed is valid Atom, and an e-mail subscription is confirmed by its link, hears of the
resolution and is ended in one click (RFC 8058)."""

from __future__ import annotations

import email
import email.policy
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.intake.adapters.tokens import Principal
from tests.support.switchable_site import Site, site_fixture, status_suite_env  # noqa: F401
from tests.support.tokens import issue_token
from tests.support.waiting import eventually
from tools.suite import Suite

pytestmark = pytest.mark.e2e
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def gateway(suite: Suite) -> Iterator[httpx.AsyncClient]:
    client = httpx.AsyncClient(base_url=suite.url("intake"), timeout=30)
    yield client


#: The headers of the test's own polling (an analyst's token: reads only).
POLLER: dict[str, str] = {}


@pytest.fixture(scope="module")
def desk(suite: Suite) -> dict[str, str]:
    token = issue_token(suite, Principal("sd-lead", "group_lead", group="SERVICE_DESK"))
    analyst = issue_token(suite, Principal("poller", "analyst"))
    POLLER["Authorization"] = f"Bearer {analyst}"
    return {"Authorization": f"Bearer {token}"}


def system(doc: dict[str, Any], code: str) -> dict[str, Any]:
    return next(s for s in doc["systems"] if s["application"] == code)


async def state_of(gateway: httpx.AsyncClient, code: str) -> str:
    """Polled often, so with a token: the gateway's per-address limits (limits.py) apply to
    anonymous callers only, and the status answer is the same for everyone."""
    response = await gateway.get("/api/v1/status", headers=POLLER)
    assert response.status_code == 200, response.text
    return str(system(response.json(), code)["state"])


def mails_to(suite: Suite, address: str) -> list[EmailMessage]:
    folder: Path = suite.log_dir / "outbox"
    found = []
    for path in sorted(folder.glob("*.eml")) if folder.exists() else []:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if address in str(message["To"]):
            assert isinstance(message, EmailMessage)
            found.append(message)
    return found


def body_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


async def test_a_system_taken_down_is_an_outage_on_the_public_page(
    gateway: httpx.AsyncClient, site: Site, desk: dict[str, str]
) -> None:
    await eventually(lambda: _is(gateway, "TABMIS", "operational"), timeout=60, interval=0.5)
    site.take_down("tabmis")
    await eventually(lambda: _is(gateway, "TABMIS", "major_outage"), timeout=30, interval=0.5)
    doc = (await gateway.get("/api/v1/status")).json()
    assert doc["overall"] == {
        "state": "major_outage",
        "label": "Có hệ thống đang bị gián đoạn nghiêm trọng",
    }
    tabmis = system(doc, "TABMIS")
    assert tabmis["label"] == "Gián đoạn nghiêm trọng"
    assert tabmis["checks"]["down"] == 2 and tabmis["checks"]["total"] == 2
    assert len(tabmis["history"]) == 90
    assert tabmis["history"][-1]["state"] == "major_outage"
    assert system(doc, "TTSP")["state"] == "operational"

    page = await gateway.get("/status")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'id="system-TABMIS" data-state="major_outage"' in page.text
    assert "Gián đoạn nghiêm trọng" in page.text and "Hoạt động bình thường" in page.text
    assert "http://" not in page.text.replace('xmlns="http://www.w3.org/2000/svg"', "")


async def _is(gateway: httpx.AsyncClient, code: str, state: str) -> None:
    assert await state_of(gateway, code) == state, f"{code} is not {state} yet"


@pytest.fixture(scope="module")
def province(suite: Suite) -> dict[str, str]:
    token = issue_token(suite, Principal("hn-it", "province_it", province="HN"))
    return {"Authorization": f"Bearer {token}"}


async def test_operators_publish_and_update_announcements_others_may_not(
    gateway: httpx.AsyncClient, desk: dict[str, str], province: dict[str, str]
) -> None:
    body = {
        "applications": ["TABMIS", "KHONG-CO"],
        "title": "TABMIS gián đoạn",
        "description": "Không truy cập được TABMIS từ 08:10.",
    }
    unknown = await gateway.post("/api/v1/announcements", json=body, headers=desk)
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["field"] == "applications"
    assert "KHONG-CO" in unknown.json()["detail"][0]["msg"]

    body["applications"] = ["TABMIS"]
    assert (await gateway.post("/api/v1/announcements", json=body)).status_code == 401
    refused = await gateway.post("/api/v1/announcements", json=body, headers=province)
    assert refused.status_code == 403 and refused.json()["detail"][0]["field"] == "role"

    fix_at = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    created = await gateway.post(
        "/api/v1/announcements",
        json={**body, "guidance": "Tạm lập chứng từ giấy.", "expected_fix_at": fix_at},
        headers=desk,
    )
    assert created.status_code == 201, created.text
    notice = created.json()
    assert notice["status"] == "investigating" and notice["updates"][0]["actor"] == "sd-lead"

    path = f"/api/v1/announcements/{notice['id']}/updates"
    identified = await gateway.post(
        path, json={"status": "identified", "message": "Lỗi cơ sở dữ liệu."}, headers=desk
    )
    assert identified.status_code == 201 and identified.json()["status"] == "identified"
    back = await gateway.post(path, json={"status": "investigating", "message": "?"}, headers=desk)
    assert back.status_code == 409 and back.json()["detail"][0]["field"] == "status"

    public = (await gateway.get(f"/api/v1/announcements/{notice['id']}")).json()
    assert public["status_label"] == "Đã xác định nguyên nhân"
    assert all("actor" not in u for u in public["updates"])

    doc = (await gateway.get("/api/v1/status")).json()
    assert [n["title"] for n in doc["announcements"]["current"]] == ["TABMIS gián đoạn"]
    page = (await gateway.get("/status")).text
    assert "TABMIS gián đoạn" in page and "Đã xác định nguyên nhân" in page
    assert "Tạm lập chứng từ giấy." in page and "Dự kiến khắc phục" in page


async def test_the_feed_is_atom_with_each_notice(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/status/feed.atom")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{required}") is not None
    entries = feed.findall(f"{ATOM}entry")
    assert entries, "the announcement is in the feed"
    titles = [e.findtext(f"{ATOM}title") or "" for e in entries]
    assert any("TABMIS gián đoạn" in t for t in titles)
    for entry in entries:
        assert (entry.findtext(f"{ATOM}id") or "").startswith("urn:uuid:")
        datetime.fromisoformat(entry.findtext(f"{ATOM}updated") or "")


async def test_maintenance_in_progress_shows_the_system_in_maintenance(
    gateway: httpx.AsyncClient, desk: dict[str, str]
) -> None:
    now = datetime.now(UTC)
    upcoming = await gateway.post(
        "/api/v1/maintenances",
        json={
            "applications": ["TTSP"],
            "title": "Nâng cấp TTSP",
            "description": "Nâng cấp máy chủ cơ sở dữ liệu.",
            "starts_at": (now + timedelta(days=2)).isoformat(),
            "ends_at": (now + timedelta(days=2, hours=2)).isoformat(),
        },
        headers=desk,
    )
    assert upcoming.status_code == 201, upcoming.text
    doc = (await gateway.get("/api/v1/status")).json()
    assert [m["title"] for m in doc["maintenances"]["upcoming"]] == ["Nâng cấp TTSP"]
    assert system(doc, "TTSP")["state"] == "operational"

    path = f"/api/v1/maintenances/{upcoming.json()['id']}/updates"
    early = await gateway.post(path, json={"status": "completed", "message": "x"}, headers=desk)
    assert early.status_code == 409
    started = await gateway.post(
        path, json={"status": "in_progress", "message": "Bắt đầu sớm."}, headers=desk
    )
    assert started.status_code == 201
    assert await state_of(gateway, "TTSP") == "maintenance"
    page = (await gateway.get("/status")).text
    assert 'id="system-TTSP" data-state="maintenance"' in page and "Bảo trì" in page
    done = await gateway.post(
        path, json={"status": "completed", "message": "Hoàn thành."}, headers=desk
    )
    assert done.status_code == 201
    assert await state_of(gateway, "TTSP") == "operational"
    wrong = await gateway.post(
        "/api/v1/maintenances",
        json={
            "applications": ["TTSP"],
            "title": "x",
            "description": "x",
            "starts_at": now.isoformat(),
            "ends_at": (now - timedelta(hours=1)).isoformat(),
        },
        headers=desk,
    )
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["field"] == "ends_at"


async def test_a_subscriber_confirms_hears_the_resolution_and_leaves_in_one_click(
    gateway: httpx.AsyncClient, suite: Suite, desk: dict[str, str], site: Site
) -> None:
    bad = await gateway.post("/api/v1/status/subscriptions", json={"email": "khong-hop-le@"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "email"

    address = "ke-toan.hn@kbnn.gov.vn"
    ok = await gateway.post("/api/v1/status/subscriptions", json={"email": address})
    assert ok.status_code == 202, ok.text
    again = await gateway.post("/api/v1/status/subscriptions", json={"email": address})
    assert again.status_code == 202
    confirmation = (await eventually(lambda: mails_to(suite, address), interval=0.5))[0]
    assert len(mails_to(suite, address)) == 1, "asking twice at once mails one link"
    assert "Xác nhận đăng ký" in str(confirmation["Subject"])
    link = re.search(r"http://\S+/status/subscriptions/confirm\?token=\S+", body_of(confirmation))
    assert link is not None
    assert link.group(0).startswith(suite.url("intake"))

    confirmed = await gateway.get(link.group(0))
    assert confirmed.status_code == 200 and "Đã xác nhận đăng ký" in confirmed.text
    assert (await gateway.get(link.group(0))).status_code == 404, "a link confirms once"

    notice = await gateway.post(
        "/api/v1/announcements",
        json={"applications": ["TABMIS"], "title": "TABMIS chậm", "description": "Chậm."},
        headers=desk,
    )
    notice_id = notice.json()["id"]
    site.bring_up("tabmis")
    resolved = await gateway.post(
        f"/api/v1/announcements/{notice_id}/updates",
        json={"status": "resolved", "message": "Đã khắc phục hoàn toàn."},
        headers=desk,
    )
    assert resolved.status_code == 201

    async def resolution() -> EmailMessage:
        found = [m for m in mails_to(suite, address) if "[Đã khắc phục]" in str(m["Subject"])]
        assert found
        return found[0]

    mail = await eventually(resolution, timeout=60, interval=0.5)
    assert "TABMIS chậm" in str(mail["Subject"])
    assert "Đã khắc phục hoàn toàn." in body_of(mail)
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = str(mail["List-Unsubscribe"]).strip("<>")
    assert unsubscribe in body_of(mail)

    shown = await gateway.get(unsubscribe)
    assert shown.status_code == 200 and "Hủy đăng ký" in shown.text
    one_click = await gateway.post(
        unsubscribe,
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert one_click.status_code == 200 and "Đã hủy đăng ký" in one_click.text
    assert (await gateway.post(unsubscribe)).status_code == 404

    await eventually(lambda: _is(gateway, "TABMIS", "operational"), timeout=30, interval=0.5)
    doc = (await gateway.get("/api/v1/status")).json()
    assert system(doc, "TABMIS")["history"][-1]["state"] == "major_outage", "today had one"
    assert [n["title"] for n in doc["announcements"]["past"]][:1] == ["TABMIS chậm"]


async def test_the_pages_form_subscribes_and_comes_back_to_the_page(
    gateway: httpx.AsyncClient,
) -> None:
    response = await gateway.post(
        "/api/v1/status/subscriptions",
        data={"email": "van-thu@kbnn.gov.vn"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/status?subscription=pending#subscribe"
    bad = await gateway.post("/api/v1/status/subscriptions", data={"email": "x"})
    assert bad.headers["location"] == "/status?subscription=invalid#subscribe"
    page = await gateway.get("/status?subscription=pending")
    assert "Vui lòng mở thư xác nhận" in page.text
