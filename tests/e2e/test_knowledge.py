"""The knowledge base through the gateway (SPEC §6b, §7): a resolved ticket becomes a reviewed,
published article that the next similar ticket gets suggested; Vietnamese search with and
without diacritics, with typos and chat spellings; the requester's suggestions, deflection,
use and feedback; and the refusals (missing fields, unknown application, out of order)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from libs.platform.eventstore import derived_id
from services.intake.adapters.tokens import Principal
from tests.support.tickets import assigned, submit, wait_until, web_ticket
from tests.support.tokens import issue_token
from tools.suite import Suite

API = "/api/v1"
#: A short window, so a session that opened a suggestion counts as deflected in the test.
WINDOW_S = 4


@pytest.fixture(scope="module")
def suite_env() -> dict[str, str]:
    return {"HOTRO_KB_DEFLECTION_WINDOW_S": str(WINDOW_S)}


def seed_id(slug: str) -> str:
    return str(derived_id("kb-seed", slug))


class Caller:
    def __init__(self, suite: Suite, token: str | None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=f"{suite.url('intake')}{API}", headers=headers,
                                 timeout=30)  # fmt: skip

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params)

    def post(self, path: str, body: Any = None) -> httpx.Response:
        return self.http.post(path, json=body)

    def patch(self, path: str, body: Any) -> httpx.Response:
        return self.http.patch(path, json=body)


@pytest.fixture(scope="module")
def people(suite: Suite) -> Iterator[dict[str, Caller]]:
    principals = {
        "agent": Principal("Nguyễn Văn An (SD)", "group_agent", group="SERVICE_DESK"),
        "lead": Principal("Trần Thị Bích (trưởng nhóm SD)", "group_lead", group="SERVICE_DESK"),
        "tabmis_lead": Principal("Lê Văn Cường (TABMIS)", "group_lead", group="TABMIS"),
        "province": Principal("Phòng Tin học Hà Nội", "province_it", province="HNI"),
        "requester": Principal("Phạm Thị Dung", "requester", email="dung@kbnn.gov.vn"),
    }
    callers = {k: Caller(suite, issue_token(suite, p)) for k, p in principals.items()}
    callers["admin"] = Caller(suite, suite.admin_token)
    callers["public"] = Caller(suite, None)
    yield callers


def _ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def _resolved_ticket(suite: Suite, admin: Caller, subject: str, reason: str) -> dict[str, Any]:
    created = submit(suite, web_ticket(subject, application_code="KQKB",
                                       description="Các đơn vị báo lỗi từ sáng nay."),
                     Authorization=f"Bearer {suite.admin_token}")  # fmt: skip
    assert created.status_code == 201, created.text
    ticket: dict[str, Any] = created.json()
    wait_until(lambda: assigned(suite, ticket["id"]), 90, "the ticket on the ladder")
    _ok(
        admin.post(f"/tickets/{ticket['id']}/resolve", {"cause": "configuration", "reason": reason})
    )
    return ticket


def test_a_resolved_ticket_becomes_an_article_suggested_on_the_next_similar_ticket(
    suite: Suite, people: dict[str, Caller]
) -> None:
    agent, lead, admin = people["agent"], people["lead"], people["admin"]
    fix = "Cài lại phông chữ Times New Roman bản Unicode trên máy trạm rồi in lại bảng kê."
    first = _resolved_ticket(suite, admin, "In bảng kê KQKB bị lỗi phông chữ", fix)

    def drafted() -> dict[str, Any] | None:
        response = agent.post(f"/tickets/{first['number']}/article", {"audience": "public"})
        return response.json() if response.status_code == 201 else None

    draft = wait_until(drafted, 60, "the knowledge base to learn the resolution")
    assert draft["status"] == "draft" and draft["author"] == "Nguyễn Văn An (SD)"
    assert draft["title"] == "In bảng kê KQKB bị lỗi phông chữ"
    assert draft["fix"] == fix and draft["applications"] == ["KQKB"]
    assert draft["cause"] == "Lỗi cấu hình" and draft["source_ticket_id"] == first["id"]
    article = draft["id"]

    refused = lead.post(f"/kb/articles/{article}/publish", {"reason": "chưa duyệt"})
    assert refused.status_code == 409, refused.text  # a draft never reviewed
    assert "Only an article in review can be published" in refused.json()["detail"][0]["msg"]
    assert lead.post(f"/kb/articles/{article}/review").status_code == 403  # not the author
    _ok(agent.post(f"/kb/articles/{article}/review", {"reason": "Nhờ chị duyệt"}))
    assert agent.post(f"/kb/articles/{article}/publish").status_code == 403  # not a lead
    assert people["tabmis_lead"].post(f"/kb/articles/{article}/publish").status_code == 403
    published = _ok(lead.post(f"/kb/articles/{article}/publish", {"reason": "Đã kiểm tra"}))
    assert published["status"] == "published" and published["published_revision"] == 1
    moves = [(h["status"], h["actor"], h["reason"]) for h in published["history"]]
    assert moves == [
        ("draft", "Nguyễn Văn An (SD)", "Soạn từ yêu cầu " + first["number"]),
        ("in_review", "Nguyễn Văn An (SD)", "Nhờ chị duyệt"),
        ("published", "Trần Thị Bích (trưởng nhóm SD)", "Đã kiểm tra"),
    ]

    second = submit(suite, web_ticket("Bảng kê KQKB in ra bị lỗi font chữ", application_code="KQKB"),
                    Authorization=f"Bearer {suite.admin_token}").json()  # fmt: skip

    def suggested() -> dict[str, Any] | None:
        found = _ok(agent.get(f"/tickets/{second['id']}/suggestions"))
        return found if found["articles"] and found["tickets"] else None

    suggestions = wait_until(suggested, 60, "suggestions for the new ticket")
    assert suggestions["articles"][0]["id"] == article
    assert suggestions["tickets"][0]["id"] == first["id"]
    assert suggestions["tickets"][0]["resolution"] == fix
    links = _ok(agent.get(f"/tickets/{first['id']}/suggestions"))["linked_articles"]
    assert links == [{"article_id": article, "kind": "drafted_from",
                      "title": "In bảng kê KQKB bị lỗi phông chữ", "status": "published"}]  # fmt: skip

    used = _ok(agent.post(f"/kb/articles/{article}/used", {"ticket_id": second["number"]}))
    assert used["used_on"] == [second["id"]]
    again = _ok(agent.post(f"/kb/articles/{article}/used", {"ticket_id": second["id"]}))
    assert again["used_on"] == [second["id"]]  # a retry changes nothing
    assert people["province"].get(f"/tickets/{second['id']}/suggestions").status_code == 200
    assert people["requester"].get(f"/tickets/{second['id']}/suggestions").status_code == 403

    # A retired article is never suggested again, nor shown to requesters.
    _ok(lead.post(f"/kb/articles/{article}/retire", {"reason": "Đã có bản vá"}))
    assert _ok(agent.get(f"/tickets/{second['id']}/suggestions"))["articles"] == []
    assert people["public"].get(f"/kb/articles/{article}").status_code == 404


def test_editing_a_published_article_keeps_the_old_revision_readable(
    people: dict[str, Caller],
) -> None:
    agent, lead, public = people["agent"], people["lead"], people["public"]
    created = _ok(agent.post("/kb/articles", {
        "title": "Đổi mật khẩu hộp thư công vụ", "symptom": "Không biết đổi mật khẩu thư.",
        "cause": "Chưa được hướng dẫn.", "fix": "Vào Cài đặt, chọn Đổi mật khẩu.",
        "applications": ["MAIL"], "keywords": ["mật khẩu"], "audience": "public"}), 201)  # fmt: skip
    path = f"/kb/articles/{created['id']}"
    _ok(agent.post(f"{path}/review"))
    _ok(lead.post(f"{path}/publish"))
    edited = _ok(
        agent.patch(
            path, {"fix": "Vào Cài đặt › Bảo mật › Đổi mật khẩu.", "reason": "Giao diện mới"}
        )
    )
    assert edited["status"] == "draft" and edited["revision"] == 2
    assert edited["published_revision"] == 1
    assert _ok(public.get(path))["fix"] == "Vào Cài đặt, chọn Đổi mật khẩu."  # readers keep v1
    _ok(agent.post(f"{path}/review"))
    _ok(lead.post(f"{path}/publish"))
    assert _ok(public.get(path))["fix"] == "Vào Cài đặt › Bảo mật › Đổi mật khẩu."
    assert _ok(public.get(path, version=1))["fix"] == "Vào Cài đặt, chọn Đổi mật khẩu."
    versions = _ok(public.get(f"{path}/versions"))["data"]
    assert [(v["revision"], v["published"]) for v in versions] == [(1, False), (2, True)]


TABMIS_LOGIN = seed_id("tabmis-dang-nhap-sai-mat-khau")


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("Không đăng nhập được TABMIS", TABMIS_LOGIN),
        ("khong dang nhap duoc tabmis", TABMIS_LOGIN),
        ("KHONG DANG NHAP DUOC TABMIS", TABMIS_LOGIN),
        ("ko dc dang nhap tabmis", TABMIS_LOGIN),  # chat spellings
        ("khong dang nhapp duoc tabmsi", TABMIS_LOGIN),  # typos
        ("tabmis bao mat khau het han", seed_id("tabmis-het-han-mat-khau")),
        ("hop thu day khong gui duoc thu", seed_id("mail-day-hop-thu")),
        ("khong in duoc giay nop tien", seed_id("tcs-tt-khong-in-giay-nop-tien")),
        ("nop ho so dich vu cong bi loi", seed_id("dvc-khong-nop-ho-so")),
    ],
)
def test_search_forgives_diacritics_typos_and_chat_spellings(
    people: dict[str, Caller], query: str, first: str
) -> None:
    found = _ok(people["public"].get("/kb/articles", q=query))
    assert found["data"], found
    assert found["data"][0]["id"] == first, [a["title"] for a in found["data"]]


def test_requesters_never_see_internal_or_retired_articles(people: dict[str, Caller]) -> None:
    internal = seed_id("ktnb-khoa-so-cuoi-thang")
    for caller in (people["public"], people["requester"]):
        titles = [
            a["id"] for a in _ok(caller.get("/kb/articles", q="khoa so cuoi thang ktnb"))["data"]
        ]
        assert internal not in titles
        assert caller.get(f"/kb/articles/{internal}").status_code == 404
        assert internal not in [
            a["id"] for a in _ok(caller.get("/kb/suggest", q="khóa sổ KTNB"))["data"]
        ]
    staff = _ok(people["province"].get("/kb/articles", q="khoa so cuoi thang ktnb"))
    assert staff["data"][0]["id"] == internal and "tickets" in staff


def test_a_requester_who_opened_a_suggestion_and_did_not_submit_is_deflected(
    suite: Suite, people: dict[str, Caller]
) -> None:
    public = people["public"]
    stayed, submitted = secrets.token_hex(8), secrets.token_hex(8)
    for session in (stayed, submitted):
        hits = _ok(public.get("/kb/suggest", q="quen mat khau dich vu cong", session=session))
        assert hits["data"][0]["id"] == seed_id("dvc-quen-mat-khau")
        _ok(public.get(f"/kb/articles/{hits['data'][0]['id']}", session=session))
    body = web_ticket("Quên mật khẩu dịch vụ công", application_code="DVC", kb_session=submitted)
    assert submit(suite, body).status_code == 201
    vote = _ok(public.post(f"/kb/articles/{seed_id('dvc-quen-mat-khau')}/feedback",
                           {"helped": True, "session": stayed}))  # fmt: skip
    assert vote["feedback"] == {"helped": 1, "not_helped": 0}

    def decided() -> dict[str, str] | None:
        stats = _ok(people["lead"].get("/kb/stats"))["deflection"]
        outcomes = {s["session"]: s["outcome"] for s in stats["by_session"]}
        pending = {outcomes.get(stayed), outcomes.get(submitted)} & {"pending", None}
        return None if pending else outcomes

    outcomes = wait_until(decided, WINDOW_S + 30, "the deflection window to pass")
    assert outcomes[stayed] == "deflected" and outcomes[submitted] == "submitted"
    assert people["requester"].get("/kb/stats").status_code == 403


def test_bad_input_is_refused_with_the_field_and_reason(
    suite: Suite, people: dict[str, Caller]
) -> None:
    agent = people["agent"]
    missing = agent.post("/kb/articles", {"title": "Thiếu trường", "audience": "public"})
    assert missing.status_code == 422
    assert {d["field"] for d in missing.json()["detail"]} >= {"symptom", "cause", "fix"}
    unknown = agent.post("/kb/articles", {
        "title": "Ứng dụng lạ", "symptom": "abc", "cause": "abc", "fix": "abc",
        "applications": ["KHONGCO"], "keywords": [], "audience": "public"})  # fmt: skip
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["field"] == "applications.0"
    assert "KHONGCO" in unknown.json()["detail"][0]["msg"]
    audience = agent.post("/kb/articles", {
        "title": "Sai đối tượng", "symptom": "abc", "cause": "abc", "fix": "abc",
        "applications": [], "audience": "everyone"})  # fmt: skip
    assert audience.status_code == 422 and audience.json()["detail"][0]["field"] == "audience"
    assert people["tabmis_lead"].post("/kb/articles", {
        "title": "Không phải SD", "symptom": "abc", "cause": "abc", "fix": "abc",
        "applications": [], "audience": "public"}).status_code == 403  # fmt: skip
    assert people["public"].post("/kb/articles", {}).status_code == 401
    assert agent.get("/kb/suggest", q="mat khau", session="x").status_code == 422
    opened = submit(suite, web_ticket("Máy in tầng 3 không in được"),
                    Authorization=f"Bearer {suite.admin_token}").json()  # fmt: skip

    def known() -> httpx.Response | None:
        response = agent.post(f"/tickets/{opened['id']}/article")
        return response if response.status_code != 404 else None

    unresolved = wait_until(known, 60, "the knowledge base to learn the ticket")
    assert unresolved.status_code == 409, unresolved.text
    assert "is new" in unresolved.json()["detail"][0]["msg"] or "routed" in unresolved.text
