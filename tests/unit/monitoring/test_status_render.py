"""The page, feed and mails render from a status document: Vietnamese labels and dates,
nothing loaded from elsewhere, a feed that parses as Atom, addresses checked strictly."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from services.monitoring.adapters.status_render import render, uptime, vn_date, vn_datetime
from services.monitoring.adapters.subscriptions import address_problem

AT = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)  # 08:30 Tuesday in Hà Nội
ATOM = "{http://www.w3.org/2005/Atom}"


def a_notice(**changes: Any) -> dict[str, Any]:
    notice = {
        "id": "5d7f0c4e-0000-4000-8000-000000000001",
        "kind": "announcement",
        "title": "TABMIS gián đoạn <khẩn>",
        "applications": [{"code": "TABMIS", "name": "Hệ thống TABMIS"}],
        "description": "Không đăng nhập được & chậm.",
        "guidance": "Lập chứng từ giấy.",
        "status": "identified",
        "status_label": "Đã xác định nguyên nhân",
        "expected_fix_at": (AT + timedelta(hours=2)).isoformat(),
        "starts_at": None,
        "ends_at": None,
        "published_at": AT.isoformat(),
        "updated_at": (AT + timedelta(minutes=20)).isoformat(),
        "started_at": None,
        "finished_at": None,
        "updates": [
            {
                "status": "identified",
                "status_label": "Đã xác định",
                "message": "CSDL lỗi.",
                "at": (AT + timedelta(minutes=20)).isoformat(),
            },
            {
                "status": "investigating",
                "status_label": "Đang điều tra",
                "message": "x",
                "at": AT.isoformat(),
            },
        ],
    }
    return {**notice, **changes}


def a_document() -> dict[str, Any]:
    days = [
        {
            "date": (date(2026, 12, 1) - timedelta(days=89 - i)).isoformat(),
            "state": "operational",
            "uptime_pct": 100.0,
        }
        for i in range(90)
    ]
    days[-1] = {**days[-1], "state": "major_outage", "uptime_pct": 95.5}
    return {
        "generated_at": AT.isoformat(),
        "overall": {"state": "major_outage", "label": "Có hệ thống đang bị gián đoạn nghiêm trọng"},
        "systems": [
            {
                "application": "TABMIS",
                "name": "Hệ thống TABMIS",
                "state": "major_outage",
                "label": "Gián đoạn nghiêm trọng",
                "checks": {
                    "total": 2,
                    "up": 0,
                    "down": 2,
                    "maintenance": 0,
                    "unknown": 0,
                    "degraded": 0,
                },
                "uptime_90d_pct": 99.95,
                "history": days,
            },
        ],
        "announcements": {"current": [a_notice()], "past": []},
        "maintenances": {"active": [], "upcoming": [], "past": []},
    }


def test_dates_and_figures_are_written_the_vietnamese_way() -> None:
    assert vn_datetime(AT) == "08:30 Thứ Ba, 01/12/2026"
    assert vn_datetime(None) == ""
    assert vn_date("2026-12-06") == "06/12/2026"
    assert uptime(99.951) == "99,95 %" and uptime(None) == "—"


def test_the_page_shows_states_notices_and_loads_nothing_from_elsewhere() -> None:
    html = render("page.html", doc=a_document(), message=None)
    assert '<html lang="vi">' in html
    assert 'id="system-TABMIS" data-state="major_outage"' in html
    assert "Gián đoạn nghiêm trọng" in html and "Đã xác định nguyên nhân" in html
    assert "TABMIS gián đoạn &lt;khẩn&gt;" in html, "operators' text is escaped"
    assert html.count("<rect ") == 90
    assert "08:30 Thứ Ba, 01/12/2026" in html
    urls = re.findall(r"""(?:src|href)=["']([^"']+)""", html)
    assert urls and all(u.startswith(("/", "#", "data:")) for u in urls), urls
    assert "@import" not in html and "url(" not in html


def test_the_feed_is_well_formed_atom() -> None:
    xml = render(
        "feed.atom", base="https://hotro.kbnn.gov.vn", notices=[a_notice()], updated=AT.isoformat()
    )
    feed = ET.fromstring(xml.encode())
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}id") == "https://hotro.kbnn.gov.vn/status"
    entry = feed.find(f"{ATOM}entry")
    assert entry is not None
    assert entry.findtext(f"{ATOM}title") == (
        "[Thông báo sự cố · Đã xác định nguyên nhân] TABMIS gián đoạn <khẩn>"
    )
    content = entry.findtext(f"{ATOM}content") or ""
    assert "<p>Không đăng nhập được &amp; chậm.</p>" in content, "HTML content, escaped once"


@pytest.mark.parametrize(
    "address", ["ke-toan.hn@kbnn.gov.vn", "a+b@so-tai-chinh.hanoi.gov.vn", "X@Y.VN"]
)
def test_well_formed_addresses_are_accepted(address: str) -> None:
    assert address_problem(address) is None


@pytest.mark.parametrize(
    "address",
    [
        "",
        "khong-hop-le@",
        "@kbnn.gov.vn",
        "a@b",
        "a b@kbnn.gov.vn",
        "a..b@kbnn.gov.vn",
        "a@-kbnn.gov.vn",
        "a@1.2.3.4",
        "a@kbnn.gov.vn\r\nBcc: x@y.vn",
        "x" * 65 + "@kbnn.gov.vn",
    ],
)
def test_malformed_addresses_are_refused(address: str) -> None:
    assert address_problem(address) is not None
