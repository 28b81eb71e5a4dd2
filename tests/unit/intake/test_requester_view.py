"""The requester's view of their ticket is an allow-list: their request, the public
conversation, the status in plain words and the answer, nothing of the desk's inside."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from libs.catalog import load_catalog
from libs.catalog.model import Catalog
from services.intake.api.requester_view import CENTRAL_DESK, for_requester

AT = "2026-11-02T09:00:00+07:00"

#: What only staff may read, each planted somewhere in the ticket's internal history.
INTERNAL = {
    "internal note": "Nghi lỗi listener Oracle trên máy chủ DB02",
    "escalation reason": "Tỉnh không xử lý được, cần nhóm TABMIS",
    "staff name (assignee)": "Lê Văn Tâm",
    "staff name (actor)": "Trần Quốc Khánh",
    "vendor code": "VD-ORACLE",
    "specialist department": "CNTT-QTUD",
    "group code": "TABMIS-GROUP-X",
    "routing reason (English)": "application TABMIS named in the subject",
    "first-handler rule": "phase3-province-all",
    "policy version": "phase-3",
    "model version": "model-2026-11-01",
    "SLA policy": "year_end_strict",
    "group lead's address": "lead.tabmis@hotro.kbnn.local",
    "handback to the owner": "Đã vá lỗi ở máy chủ, báo lại người dùng",
    "known error": "KE-2026-0007",
    "mail threading": "in-reply-to <abc@kbnn> belongs to YC-2026-000123",
    "copied address": "truongphong@kbnn.gov.vn",
    "start reason among staff": "Bắt đầu kiểm tra log",
    "bounce reason": "550 mailbox full",
    "unknown future event": "SECRET-FUTURE-FIELD",
}
#: What the requester must see.
PUBLIC = {
    "subject": "Không đăng nhập được TABMIS",
    "description": "Báo lỗi ORA-12541 khi vào phân hệ GL",
    "desk's public answer": "Anh/chị vui lòng thử lại sau 10 phút.",
    "requester's reply": "Em đã thử lại, vẫn lỗi.",
    "the question asked": "Anh/chị gửi giúp ảnh chụp màn hình lỗi?",
    "the resolution answer": "Đã khởi động lại dịch vụ listener, anh/chị đăng nhập lại được.",
    "a file": "loi-tabmis.png",
}


def _event(event_type: str, **data: Any) -> dict[str, Any]:
    return {
        "id": f"e-{event_type}-{len(data)}",
        "type": event_type,
        "source": "x",
        "time": AT,
        "data": data,
    }


def _history() -> list[dict[str, Any]]:
    t = "hotro.ticket."
    return [
        _event(t + "submitted.v1", subject=PUBLIC["subject"], description=PUBLIC["description"]),
        _event(
            t + "email_received.v1",
            cc=[INTERNAL["copied address"]],
            threading=INTERNAL["mail threading"],
            text=PUBLIC["description"],
        ),
        _event(
            t + "routed.v1",
            group=INTERNAL["group code"],
            reasons=[INTERNAL["routing reason (English)"]],
            first_handler={"rule": INTERNAL["first-handler rule"], "office": "PTH-HNI"},
            classification={"model_version": INTERNAL["model version"]},
        ),
        _event(t + "assigned.v1", owner="PTH-HNI", handler="PTH-HNI", tier="L1"),
        _event(t + "taken.v1", assignee=INTERNAL["staff name (assignee)"], actor="PTH-HNI"),
        _event(
            t + "status_changed.v1",
            status="in_progress",
            previous="routed",
            actor=INTERNAL["staff name (actor)"],
            reason=INTERNAL["start reason among staff"],
        ),
        _event(
            t + "commented.v1",
            author=INTERNAL["staff name (actor)"],
            author_role="province_it",
            visibility="internal",
            body=INTERNAL["internal note"],
        ),
        _event(
            t + "escalated.v1",
            reason=INTERNAL["escalation reason"],
            handler=INTERNAL["vendor code"],
            actor=INTERNAL["staff name (actor)"],
        ),
        _event(t + "sla_updated.v1", policy=INTERNAL["SLA policy"], breached=["response"]),
        _event(t + "sla_breached.v1", kind="response", group_lead=INTERNAL["group lead's address"]),
        _event(t + "reclassified.v1", group="PAYMENT", actor=INTERNAL["staff name (actor)"]),
        _event(t + "linked.v1", parent_id="p-1", reasons=[INTERNAL["routing reason (English)"]]),
        _event(
            t + "returned.v1",
            answer=INTERNAL["handback to the owner"],
            handler=INTERNAL["specialist department"],
        ),
        _event("hotro.known_error.changed.v1", number=INTERNAL["known error"], change="joined"),
        _event(t + "requester_undeliverable.v1", reason=INTERNAL["bounce reason"]),
        _event(t + "something_new.v9", note=INTERNAL["unknown future event"]),
        _event(
            t + "commented.v1",
            author="Phòng Tin học - KBNN Hà Nội",
            author_role="province_it",
            visibility="public",
            body=PUBLIC["desk's public answer"],
        ),
        _event(
            t + "status_changed.v1",
            status="waiting_requester",
            previous="in_progress",
            actor=INTERNAL["staff name (actor)"],
            reason=PUBLIC["the question asked"],
        ),
        _event(
            t + "commented.v1",
            author="Nguyễn Văn An",
            author_role="requester",
            visibility="public",
            body=PUBLIC["requester's reply"],
        ),
        _event(
            t + "attachment_added.v1",
            filename=PUBLIC["a file"],
            size=2048,
            stored=True,
            sha256="ab" * 32,
        ),
        _event(
            t + "status_changed.v1",
            status="resolved",
            previous="in_progress",
            actor=INTERNAL["staff name (actor)"],
            reason=PUBLIC["the resolution answer"],
            cause="configuration",
        ),
    ]


def _row(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": "5f0c6a51-0000-4000-8000-000000000001",
        "number": "YC-2026-000123",
        "status": "resolved",
        "channel": "email",
        "subject": PUBLIC["subject"],
        "description": PUBLIC["description"],
        "requester": {
            "name": "Nguyễn Văn An",
            "email": "an@kbnn.gov.vn",
            "unit_code": "KBNN-HNI",
            "directory_note": INTERNAL["copied address"],
        },
        "unit_code": "KBNN-HNI",
        "province": "HNI",
        "application": "TABMIS",
        "picked_application": "TABMIS",
        "group_code": INTERNAL["group code"],
        "type": "incident",
        "priority": "P2",
        "tier": "L4",
        "owner": "PTH-HNI",
        "handler": INTERNAL["vendor code"],
        "assignee": INTERNAL["staff name (assignee)"],
        "first_handler": {"policy_version": INTERNAL["policy version"]},
        "classification": {"model_version": INTERNAL["model version"]},
        "sla": {"policy": INTERNAL["SLA policy"], "breached": ["response"]},
        "cause": "configuration",
        "received_at": AT,
        "submitted_at": AT,
        "updated_at": AT,
        "attachments": [
            {
                "attachment_id": "a1",
                "filename": PUBLIC["a file"],
                "content_type": "image/png",
                "size": 2048,
                "sha256": "ab" * 32,
                "stored": True,
                "source": "email",
                "refused_reason": "",
            }
        ],
        "undeliverable": ["an@kbnn.gov.vn"],
        "history": _history(),
    }
    return {**row, **overrides}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def _shown(row: dict[str, Any], catalog: Catalog) -> dict[str, Any]:
    """The view as the requester receives it: JSON, so nothing hides in an object."""
    shown: dict[str, Any] = orjson.loads(for_requester(row, catalog).model_dump_json())
    return shown


@pytest.mark.parametrize("what", sorted(INTERNAL))
def test_nothing_internal_reaches_the_requester(what: str, catalog: Catalog) -> None:
    text = orjson.dumps(_shown(_row(), catalog)).decode()
    assert INTERNAL[what] not in text


@pytest.mark.parametrize("what", sorted(PUBLIC))
def test_what_the_requester_should_see_is_there(what: str, catalog: Catalog) -> None:
    text = orjson.dumps(_shown(_row(), catalog)).decode()
    assert PUBLIC[what] in text


def test_the_view_has_only_the_allowed_fields(catalog: Catalog) -> None:
    shown = _shown(_row(), catalog)
    assert set(shown) == {
        "id", "number", "status", "status_text", "subject", "description", "channel",
        "application", "application_name", "requester", "handled_by", "resolution",
        "received_at", "submitted_at", "updated_at", "attachments", "history",
    }  # fmt: skip
    for internal in ("owner", "handler", "tier", "group", "sla", "priority", "assignee"):
        assert internal not in shown
    assert set(shown["requester"]) == {"name", "email", "unit_code"}
    assert set(shown["attachments"][0]) <= {
        "attachment_id", "filename", "content_type", "size", "stored", "refused_reason",
    }  # fmt: skip


def test_history_is_the_public_conversation_in_order(catalog: Catalog) -> None:
    history = _shown(_row(), catalog)["history"]
    assert [(e["kind"], e.get("status") or e.get("side")) for e in history] == [
        ("submitted", None),
        ("status", "in_progress"),
        ("comment", "desk"),
        ("status", "waiting_requester"),
        ("comment", "requester"),
        ("attachment", None),
        ("status", "resolved"),
    ]
    started = history[1]
    assert started["text"] == "Đang xử lý" and "note" not in started
    assert history[3]["note"] == PUBLIC["the question asked"]


def test_the_answer_and_its_cause_are_told_in_vietnamese(catalog: Catalog) -> None:
    shown = _shown(_row(), catalog)
    assert shown["status_text"] == "Đã giải quyết"
    assert shown["resolution"]["answer"] == PUBLIC["the resolution answer"]
    assert shown["resolution"]["cause_text"] == "lỗi cấu hình"
    assert shown["application_name"] == catalog.applications["TABMIS"].name


def test_a_ticket_in_progress_has_no_resolution(catalog: Catalog) -> None:
    shown = _shown(_row(status="in_progress", cause=None, history=[]), catalog)
    assert shown["resolution"] is None and shown["status_text"] == "Đang xử lý"


def test_handled_by_names_the_provincial_office_or_the_desk_never_a_vendor(
    catalog: Catalog,
) -> None:
    assert _shown(_row(), catalog)["handled_by"] == catalog.it_offices["PTH-HNI"].name
    for owner in ("SERVICE_DESK", "TABMIS", "ITO", "VD-ORACLE", "CNTT-QTUD"):
        assert _shown(_row(owner=owner), catalog)["handled_by"] == CENTRAL_DESK
    assert _shown(_row(owner=None), catalog)["handled_by"] is None
