"""The article lifecycle (SPEC §6b): who may review, publish, retire and edit, and in what order."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from services.knowledge.domain import lifecycle
from services.knowledge.domain.article import Article
from services.knowledge.domain.lifecycle import Actor, NotAllowed, OutOfOrder

AT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
AGENT = Actor("An", "group_agent", "SERVICE_DESK")
OTHER_AGENT = Actor("Bình", "group_agent", "SERVICE_DESK")
LEAD = Actor("Bích", "group_lead", "SERVICE_DESK")
TABMIS_LEAD = Actor("Cường", "group_lead", "TABMIS")
ADMIN = Actor("Quản trị", "admin")
CONTENT = {"title": "Không đăng nhập được TABMIS", "symptom": "Báo sai mật khẩu.",
           "cause": "Bật Caps Lock.", "fix": "Tắt Caps Lock.", "applications": ["TABMIS"],
           "keywords": ["mật khẩu"], "audience": "public"}  # fmt: skip


def draft(author: Actor = AGENT) -> Article:
    return Article(id=uuid.uuid4(), content=CONTENT, author=author.name, at=AT)


def published() -> Article:
    article = draft()
    article.send_to_review(AGENT, AT)
    article.publish(LEAD, AT, "đã kiểm tra")
    return article


def test_the_author_sends_a_draft_to_review_and_someone_else_publishes_it() -> None:
    article = published()
    assert article.status == "published" and article.published_revision == 1
    assert [(h["status"], h["actor"]) for h in article.history] == [
        ("draft", "An"), ("in_review", "An"), ("published", "Bích")
    ]  # fmt: skip
    assert article.history[-1]["reason"] == "đã kiểm tra"


def test_publishing_a_draft_that_was_never_reviewed_is_out_of_order() -> None:
    with pytest.raises(OutOfOrder, match="Only an article in review can be published"):
        draft().publish(LEAD, AT)


def test_only_the_author_sends_their_draft_to_review() -> None:
    with pytest.raises(NotAllowed, match="Only the draft's author"):
        draft().send_to_review(OTHER_AGENT, AT)


def test_a_second_review_request_is_out_of_order() -> None:
    article = draft()
    article.send_to_review(AGENT, AT)
    with pytest.raises(OutOfOrder, match="Only a draft can be sent to review"):
        article.send_to_review(AGENT, AT)


@pytest.mark.parametrize("who", [AGENT, TABMIS_LEAD, Actor("x", "province_it", province="HNI")])
def test_only_a_service_desk_lead_or_an_admin_publishes(who: Actor) -> None:
    article = draft()
    article.send_to_review(AGENT, AT)
    with pytest.raises(NotAllowed):
        article.publish(who, AT)


def test_the_author_may_not_publish_their_own_article_even_as_a_lead() -> None:
    article = draft(LEAD)
    article.send_to_review(LEAD, AT)
    with pytest.raises(NotAllowed, match="may not publish their own"):
        article.publish(LEAD, AT)
    article.publish(ADMIN, AT)
    assert article.status == "published"


def test_retiring_takes_the_article_away_from_readers_for_good() -> None:
    article = published()
    with pytest.raises(NotAllowed):
        article.retire(AGENT, AT)
    article.retire(LEAD, AT, "hệ thống mới")
    assert article.published is None and article.status == "retired"
    assert not lifecycle.reaches_requesters(article.status, "public", article.published is not None)
    with pytest.raises(OutOfOrder):
        article.retire(ADMIN, AT)
    with pytest.raises(OutOfOrder, match="retired article cannot be edited"):
        article.edit({"fix": "Khác."}, AGENT, AT, "")


def test_editing_a_published_article_drafts_a_new_revision_and_readers_keep_the_old() -> None:
    article = published()
    article.edit({"fix": "Bấm Quên mật khẩu."}, OTHER_AGENT, AT, "cách mới")
    assert article.status == "draft" and len(article.revisions) == 2
    assert article.published is not None and article.published["fix"] == "Tắt Caps Lock."
    assert article.author == "Bình"  # the new revision's author may not publish it
    article.send_to_review(OTHER_AGENT, AT)
    article.publish(LEAD, AT)
    assert article.published_revision == 2 and article.published["fix"] == "Bấm Quên mật khẩu."
    assert article.revision(1) is not None and article.revision(1)["fix"] == "Tắt Caps Lock."  # type: ignore[index]


def test_editing_a_draft_changes_it_in_place() -> None:
    article = draft()
    article.send_to_review(AGENT, AT)
    article.edit({"title": "Không đăng nhập được TABMIS (sửa)"}, AGENT, AT, "")
    assert len(article.revisions) == 1 and article.status == "draft"
    assert article.latest["title"] == "Không đăng nhập được TABMIS (sửa)"


def test_only_the_service_desk_and_admins_write_articles() -> None:
    for who in (AGENT, LEAD, ADMIN):
        lifecycle.check_author(who)
    for who in (TABMIS_LEAD, Actor("x", "requester"), Actor("y", "specialist")):
        with pytest.raises(NotAllowed, match="Only the Service Desk group and admins"):
            lifecycle.check_author(who)


def test_a_use_on_a_ticket_is_recorded_once_and_only_for_published_articles() -> None:
    with pytest.raises(OutOfOrder):
        draft().use_on("t-1", AGENT, AT)
    article = published()
    assert article.use_on("t-1", AGENT, AT) is True
    assert article.use_on("t-1", AGENT, AT) is False
    assert article.used_on == ["t-1"]


def test_internal_and_unpublished_articles_never_reach_requesters() -> None:
    assert lifecycle.reaches_requesters("published", "public", True)
    assert not lifecycle.reaches_requesters("published", "internal", True)
    assert not lifecycle.reaches_requesters("draft", "public", False)
    assert not lifecycle.may_read("requester", "internal", True, False, False)
    assert lifecycle.may_read("province_it", "internal", True, False, False)
    assert not lifecycle.may_read("public", "public", True, True, False)


def test_refusals_are_whole_sentences_in_vietnamese_then_english() -> None:
    with pytest.raises(OutOfOrder) as refused:
        draft().publish(LEAD, AT)
    vietnamese, english = str(refused.value).split(" / ")
    assert vietnamese.startswith("Chỉ bài viết đã gửi duyệt") and vietnamese.endswith(".")
    assert english.endswith(".")
