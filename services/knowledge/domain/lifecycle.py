"""The article lifecycle (SPEC §6b): who may do what, and which moves are allowed.

draft → in_review (the author asks for review) → published (a Service Desk group lead or an
admin who is not the author) → retired (the same people). Editing a published article starts
a new revision as a draft while readers keep the published one; editing a draft or an article
in review changes that revision in place (an article in review goes back to draft). A retired
article is final: it is never shown to anyone but staff and never suggested.

Authors are the Service Desk (it owns the knowledge base, SPEC §1): its agents and leads, and
admins. Every refusal is a whole sentence in Vietnamese, then in English.
"""

from __future__ import annotations

from dataclasses import dataclass

DRAFT, IN_REVIEW, PUBLISHED, RETIRED = "draft", "in_review", "published", "retired"
STATUSES = (DRAFT, IN_REVIEW, PUBLISHED, RETIRED)
PUBLIC, INTERNAL = "public", "internal"
AUDIENCES = (PUBLIC, INTERNAL)
OWNER_GROUP = "SERVICE_DESK"
#: Roles that read internal articles too; requesters and the public read public ones only.
STAFF_ROLES = frozenset(
    {"province_it", "group_agent", "group_lead", "specialist", "analyst", "integration", "admin"}
)
STATUS_LABELS = {
    DRAFT: "Bản nháp",
    IN_REVIEW: "Đang duyệt",
    PUBLISHED: "Đã công bố",
    RETIRED: "Đã ngừng sử dụng",
}


@dataclass(frozen=True)
class Actor:
    """Who acts: the caller the gateway vouched for."""

    name: str
    role: str
    group: str | None = None
    province: str | None = None


class NotAllowed(PermissionError):
    """The caller may not do this (answered with 403)."""


class OutOfOrder(Exception):
    """The move does not follow the lifecycle (answered with 409)."""


def is_staff(role: str) -> bool:
    return role in STAFF_ROLES


def may_author(actor: Actor) -> bool:
    if actor.role == "admin":
        return True
    return actor.role in ("group_agent", "group_lead") and actor.group == OWNER_GROUP


def may_approve(actor: Actor) -> bool:
    """Publishing and retiring: a Service Desk group lead, or an admin."""
    return actor.role == "admin" or (actor.role == "group_lead" and actor.group == OWNER_GROUP)


def check_author(actor: Actor) -> None:
    if not may_author(actor):
        raise NotAllowed(
            "Chỉ Nhóm Service Desk và quản trị viên được soạn bài viết. / Only the Service "
            "Desk group and admins may write articles."
        )


def check_review(status: str, actor: Actor, author: str) -> None:
    """The author sends their own draft to review."""
    if actor.name != author:
        raise NotAllowed(
            "Chỉ tác giả của bản nháp được gửi duyệt. / Only the draft's author may send it "
            "to review."
        )
    if status != DRAFT:
        raise OutOfOrder(
            f"Chỉ bản nháp mới được gửi duyệt; bài viết đang ở trạng thái "
            f"{STATUS_LABELS[status]}. / Only a draft can be sent to review; the article is "
            f"{status}."
        )


def check_publish(status: str, actor: Actor, author: str) -> None:
    """A lead or admin other than the author publishes what was reviewed."""
    if not may_approve(actor):
        raise NotAllowed(
            "Chỉ trưởng nhóm Service Desk hoặc quản trị viên được công bố bài viết. / Only a "
            "Service Desk group lead or an admin may publish an article."
        )
    if actor.name == author:
        raise NotAllowed(
            "Tác giả không được tự công bố bài viết của mình; cần một người khác duyệt. / The "
            "author may not publish their own article; someone else must approve it."
        )
    if status != IN_REVIEW:
        raise OutOfOrder(
            f"Chỉ bài viết đã gửi duyệt mới được công bố; bài viết đang ở trạng thái "
            f"{STATUS_LABELS[status]}. / Only an article in review can be published; this "
            f"one is {status}."
        )


def check_retire(status: str, actor: Actor) -> None:
    if not may_approve(actor):
        raise NotAllowed(
            "Chỉ trưởng nhóm Service Desk hoặc quản trị viên được ngừng sử dụng bài viết. / "
            "Only a Service Desk group lead or an admin may retire an article."
        )
    if status == RETIRED:
        raise OutOfOrder("Bài viết đã ngừng sử dụng từ trước. / The article is already retired.")


def check_may_step(step: str, actor: Actor) -> None:
    """The part of a step's rule that needs no article: the caller's role."""
    if step == "review":
        check_author(actor)
    elif not may_approve(actor):
        raise NotAllowed(
            "Chỉ trưởng nhóm Service Desk hoặc quản trị viên được công bố hoặc ngừng sử dụng "
            "bài viết. / Only a Service Desk group lead or an admin may publish or retire an "
            "article."
        )


def check_edit(status: str, actor: Actor) -> None:
    check_author(actor)
    if status == RETIRED:
        raise OutOfOrder(
            "Bài viết đã ngừng sử dụng nên không sửa được; hãy soạn bài mới. / A retired "
            "article cannot be edited; write a new one."
        )


def status_after_edit(status: str) -> str:
    """An edit makes (or keeps) the working revision a draft."""
    return DRAFT if status in (DRAFT, IN_REVIEW, PUBLISHED) else status


def edit_starts_new_revision(status: str) -> bool:
    """Readers keep the published text while its next revision is drafted and reviewed."""
    return status == PUBLISHED


def may_read(
    role: str, audience: str | None, published: bool, retired: bool, actor_may_author: bool
) -> bool:
    """Whether a caller sees an article at all (its published revision, or its drafts)."""
    if actor_may_author:
        return True
    if retired or not published:
        return False
    return audience == PUBLIC or is_staff(role)


def reaches_requesters(status: str, audience: str | None, published: bool) -> bool:
    """Only a published public article, never a retired or internal one, reaches requesters."""
    return published and status != RETIRED and audience == PUBLIC
