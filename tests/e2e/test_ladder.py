"""The support ladder through the gateway: L1 → L4 and back, access, SLA breaches."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.intake.adapters.tokens import Principal
from tests.support.agents import register_agent
from tests.support.catalog_copy import catalog_with_sla
from tests.support.org import l1_office
from tests.support.tickets import submit, ticket, wait_until, web_ticket
from tests.support.tokens import issue_token
from tools.suite import Suite

_token = issue_token
#: Today's L1 of Hà Nội (since 2025 the IT function of its regional treasury, issue 14).
HNI_L1 = l1_office("HNI")


#: These tests make a breach happen with a ticket received days ago; the shipped catalog calls
#: such a ticket history (issue 16: never breaches), so here history starts much further back.
@pytest.fixture(scope="module")
def suite_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("catalog")
    return {"HOTRO_CATALOG_DIR": str(catalog_with_sla(folder, history_after_hours=100_000))}


@pytest.fixture(scope="module")
def tokens(suite: Suite) -> Iterator[dict[str, str]]:
    yield {
        "hni": _token(suite, Principal("Phòng Tin học Hà Nội", "province_it", province="HNI")),
        "hcm": _token(suite, Principal("Phòng Tin học TP.HCM", "province_it", province="HCM")),
        "tabmis": _token(suite, Principal("Nhóm TABMIS", "group_agent", group="TABMIS")),
        "specialist": _token(
            suite, Principal("Phòng QTUD TABMIS", "specialist", group="CNTT-QTUD")
        ),
        "analyst": _token(suite, Principal("Phân tích", "analyst")),
    }


def _move(suite: Suite, token: str, ticket_id: str, move: str, **body: Any) -> httpx.Response:
    return httpx.post(
        f"{suite.url('intake')}/api/v1/tickets/{ticket_id}/{move}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def _placed(suite: Suite, ticket_id: str) -> dict[str, Any]:
    return wait_until(
        lambda: (v := ticket(suite, ticket_id)).get("sla") and v,
        60,
        "the ticket to be placed with its SLA",
    )


def _history_types(view: dict[str, Any]) -> list[str]:
    return [h["type"].removeprefix("hotro.ticket.").removesuffix(".v1") for h in view["history"]]


def test_a_ticket_walks_l1_to_l4_and_back_with_its_owner_unchanged(
    suite: Suite, tokens: dict[str, str]
) -> None:
    created = submit(suite, web_ticket("Lỗi kết sổ trên TABMIS phân hệ GL", priority="P2")).json()
    view = _placed(suite, created["id"])
    assert (view["tier"], view["owner"], view["handler"]) == ("L1", HNI_L1, HNI_L1)
    assert view["sla"]["policy"] in ("standard", "year_end")
    assert view["sla"]["response_due"] and view["sla"]["resolution_due"]

    assert _move(suite, tokens["hcm"], created["id"], "escalate", reason="x").status_code == 403
    assert _move(suite, tokens["analyst"], created["id"], "escalate", reason="x").status_code == 403

    steps = [
        (tokens["hni"], "L2", "TABMIS", "Tỉnh không xử lý được, cần nhóm TABMIS"),
        (tokens["tabmis"], "L3", "CNTT-QTUD", "Cần Phòng Quản trị ứng dụng TABMIS"),
        (tokens["specialist"], "L4", "VD-ORACLE", "Lỗi sản phẩm, cần chuyên gia Oracle"),
    ]
    for token, tier, handler, reason in steps:
        response = _move(suite, token, created["id"], "escalate", reason=reason)
        assert response.status_code == 200, response.text
        assert (response.json()["tier"], response.json()["handler"]) == (tier, handler)
        assert response.json()["owner"] == HNI_L1

    past = _move(suite, tokens["specialist"], created["id"], "escalate", reason="nữa")
    assert past.status_code == 409
    assert "L4" in past.json()["detail"][0]["msg"]

    followed = httpx.get(
        f"{suite.url('intake')}/api/v1/queues/mine-to-follow-up",
        headers={"Authorization": f"Bearer {tokens['hni']}"},
        timeout=10,
    )
    wait_until(
        lambda: (
            created["id"]
            in [
                t["id"]
                for t in httpx.get(
                    f"{suite.url('intake')}/api/v1/queues/mine-to-follow-up",
                    headers={"Authorization": f"Bearer {tokens['hni']}"},
                    timeout=10,
                ).json()["data"]
            ]
        ),
        30,
        "the ticket in the province's follow-up queue",
    )
    assert followed.status_code == 200

    back = _move(
        suite,
        tokens["specialist"],
        created["id"],
        "return",
        answer="Đã vá lỗi, đề nghị tỉnh hướng dẫn người dùng chạy lại.",
    )
    assert back.status_code == 200, back.text
    assert (back.json()["tier"], back.json()["handler"]) == ("L1", HNI_L1)

    def settled() -> dict[str, Any] | None:
        view = ticket(suite, created["id"])
        return view if "returned" in _history_types(view) else None

    view = wait_until(settled, 30, "the return in the ticket's history")
    moves = [t for t in _history_types(view) if t in ("assigned", "escalated", "returned")]
    assert moves == ["assigned", "escalated", "escalated", "escalated", "returned"]
    assert (view["tier"], view["owner"], view["handler"]) == ("L1", HNI_L1, HNI_L1)


def test_taking_a_ticket_is_the_first_response(suite: Suite, tokens: dict[str, str]) -> None:
    created = submit(suite, web_ticket("Không in được báo cáo TABMIS")).json()
    placed = _placed(suite, created["id"])
    register_agent(suite, "Lê Văn Tâm", placed["handler"])  # assign names a real person
    response = _move(suite, tokens["hni"], created["id"], "assign", assignee="Lê Văn Tâm")
    assert response.status_code == 200, response.text
    assert response.json()["sla"]["responded"] is True

    view = wait_until(
        lambda: (v := ticket(suite, created["id"]))["status"] == "in_progress" and v,
        30,
        "intake to put the taken ticket in progress",
    )
    assert view["assignee"] == "Lê Văn Tâm"


def _old_p1_ticket(suite: Suite, subject: str) -> str:
    received = (datetime.now(UTC) - timedelta(days=7)).isoformat()
    body = web_ticket(subject, priority="P1", received_at=received)
    response = submit(suite, body, Authorization=f"Bearer {suite.admin_token}")
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _breaches(suite: Suite, ticket_id: str) -> list[str]:
    return [
        h["data"]["kind"]
        for h in ticket(suite, ticket_id)["history"]
        if h["type"] == "hotro.ticket.sla_breached.v1"
    ]


def test_a_breach_escalates_once_and_tells_the_group_lead_even_across_restarts(
    suite: Suite,
) -> None:
    before = _old_p1_ticket(suite, "TABMIS ngừng hoạt động toàn tỉnh")
    wait_until(
        lambda: sorted(_breaches(suite, before)) == ["resolution", "response"],
        90,
        "both breaches of the old P1 ticket",
    )

    suite.stop("escalation")
    during = _old_p1_ticket(suite, "TABMIS lại ngừng hoạt động")
    suite.start("escalation")
    suite.wait_ready(services=("escalation",))
    wait_until(
        lambda: sorted(_breaches(suite, during)) == ["resolution", "response"],
        90,
        "the breaches missed while escalation was down",
    )

    suite.stop("escalation")
    suite.start("escalation")
    suite.wait_ready(services=("escalation",))
    wait_until(lambda: ticket(suite, during)["tier"] == "L3", 30, "two automatic steps")

    for ticket_id in (before, during):
        assert sorted(_breaches(suite, ticket_id)) == ["resolution", "response"]
        view = ticket(suite, ticket_id)
        automatic = [h for h in view["history"] if h["type"] == "hotro.ticket.escalated.v1"]
        assert len(automatic) == 2 and all(h["data"]["automatic"] for h in automatic)
        assert view["owner"] == HNI_L1 and view["tier"] == "L3"

    outbox = Path(suite.log_dir) / "outbox"
    notices = [p.read_bytes() for p in outbox.glob("*.eml")]
    to_lead = [n for n in notices if b"lead.tabmis" in n.lower() or b"lead" in n.lower()]
    assert len(to_lead) >= 4


def _sla(suite: Suite, ticket_id: str) -> dict[str, Any]:
    return dict(ticket(suite, ticket_id)["sla"])


def test_waiting_for_the_requester_pauses_the_sla_and_a_reply_resumes_it(
    suite: Suite, tokens: dict[str, str]
) -> None:
    created = submit(suite, web_ticket("Không đăng nhập được TABMIS")).json()
    _placed(suite, created["id"])
    assert _move(suite, tokens["hni"], created["id"], "start").status_code == 200

    waiting = _move(
        suite, tokens["hni"], created["id"], "wait", reason="Đề nghị gửi ảnh chụp màn hình lỗi"
    )
    assert waiting.status_code == 200, waiting.text
    wait_until(lambda: _sla(suite, created["id"])["paused"], 30, "the clock to pause")

    assert _move(suite, tokens["hni"], created["id"], "resume").status_code == 200
    resumed = wait_until(
        lambda: (s := _sla(suite, created["id"]))["paused"] is False and s["resolution_due"] and s,
        30,
        "the clock to resume",
    )
    assert resumed["resolution_due"]

    done = _move(
        suite,
        tokens["hni"],
        created["id"],
        "resolve",
        cause="user_error",
        reason="Hướng dẫn NSD nhập lại mật khẩu",
    )
    assert done.status_code == 200, done.text
    again = _move(suite, tokens["hni"], created["id"], "resolve", cause="user_error")
    assert again.status_code == 409
    closed = wait_until(
        lambda: (
            (r := _move(suite, tokens["hni"], created["id"], "escalate", reason="muộn")).status_code
            == 409
            and r
        ),
        30,
        "escalation to refuse a resolved ticket",
    )
    assert "resolved" in closed.json()["detail"][0]["msg"]


def _known_errors(suite: Suite, token: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{suite.url('intake')}/api/v1/known-errors",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    response.raise_for_status()
    return list(response.json()["data"])


def test_software_bugs_gather_into_a_known_error_whose_release_tells_the_requesters(
    suite: Suite, tokens: dict[str, str]
) -> None:
    ids = []
    # Two different defects of one application: the same words twice would be a duplicate
    # report, linked to the first while routing has not yet heard it was resolved.
    subjects = (
        "Lỗi kết xuất sổ cái TABMIS sai số dư",
        "TABMIS in báo cáo B02 thiếu dòng tổng cộng",
    )
    for subject in subjects:
        created = submit(suite, web_ticket(subject)).json()
        _placed(suite, created["id"])
        resolved = _move(
            suite,
            tokens["hni"],
            created["id"],
            "resolve",
            cause="software_bug",
            reason="Lỗi tính số dư sổ cái",
        )
        assert resolved.status_code == 200, resolved.text
        ids.append(created["id"])

    def gathered() -> dict[str, Any] | None:
        for known in _known_errors(suite, tokens["specialist"]):
            if set(ids) <= set(known["tickets"]):
                return known
        return None

    known = wait_until(gathered, 60, "one known error holding both tickets")
    assert known["status"] == "open" and known["application"] == "TABMIS"
    assert known["department"] == "CNTT-QTUD"

    url = f"{suite.url('intake')}/api/v1/known-errors/{known['id']}/status"
    refused = httpx.post(
        url,
        json={"status": "released"},
        timeout=10,
        headers={"Authorization": f"Bearer {tokens['hni']}"},
    )
    assert refused.status_code == 403
    for status in ("fix_in_progress", "released"):
        moved = httpx.post(
            url,
            json={"status": status, "note": "Bản vá 2.1.3"},
            timeout=10,
            headers={"Authorization": f"Bearer {tokens['specialist']}"},
        )
        assert moved.status_code == 200, moved.text
    backwards = httpx.post(
        url,
        json={"status": "fix_in_progress"},
        timeout=10,
        headers={"Authorization": f"Bearer {tokens['specialist']}"},
    )
    assert backwards.status_code == 409

    outbox = Path(suite.log_dir) / "outbox"

    def release_notices() -> list[bytes]:
        return [
            m
            for m in (p.read_bytes() for p in outbox.glob("*.eml"))
            if known["number"].encode() in m
        ]

    notices = wait_until(
        lambda: len(release_notices()) >= 2 and release_notices(),
        60,
        "a release notice per linked requester",
    )
    assert len(notices) == 2
    history = ticket(suite, ids[1])["history"]
    assert any(h["type"] == "hotro.known_error.changed.v1" for h in history)


def _sent_mail(suite: Suite) -> list[Any]:
    outbox = Path(suite.log_dir) / "outbox"
    return [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in sorted(outbox.glob("*.eml"))
    ]


def test_last_months_proposals_reach_their_department_by_themselves(
    suite: Suite, tokens: dict[str, str]
) -> None:
    last_month = (datetime.now(UTC).replace(day=1) - timedelta(days=1)).replace(day=15)
    body = web_ticket(
        "Đề xuất bổ sung báo cáo tổng hợp số dư trên TABMIS",
        description="Kính đề xuất bổ sung mẫu báo cáo mới.",
        received_at=last_month.isoformat(),
    )
    created = submit(suite, body, Authorization=f"Bearer {suite.admin_token}").json()
    wait_until(
        lambda: ticket(suite, created["id"]).get("type") == "proposal",
        60,
        "the ticket to be routed as a proposal",
    )
    month = last_month.strftime("%Y-%m")

    def in_digest() -> bool:
        response = httpx.get(
            f"{suite.url('intake')}/api/v1/proposals/digest",
            params={"month": month},
            timeout=10,
            headers={"Authorization": f"Bearer {tokens['analyst']}"},
        )
        return created["number"] in response.text

    wait_until(in_digest, 60, "the proposal in the month's digest")
    suite.stop("escalation")
    suite.start("escalation")
    suite.wait_ready(services=("escalation",))

    def digest_mail() -> Any:
        return next(
            (
                m
                for m in _sent_mail(suite)
                if created["number"] in m.get_body(("plain",)).get_content()
                and "Tổng hợp góp ý" in m["Subject"]
            ),
            None,
        )

    mail = wait_until(digest_mail, 60, "the digest mail for the proposal's department")
    assert mail["To"] == "phong.qtud@hotro.kbnn.local"
