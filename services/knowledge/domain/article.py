"""A knowledge-base article: an event-sourced aggregate whose revisions stay readable.

Every step is an event of the knowledge service's log with who and why: `Drafted` (new, or
drawn from a resolved ticket), `Revised` (an edit: in place for a draft, a new revision for a
published article), `StatusChanged` (review, publish, retire). The lifecycle's rules are in
`lifecycle.py` and checked before any event is recorded.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

from services.knowledge.domain import lifecycle
from services.knowledge.domain.lifecycle import DRAFT, IN_REVIEW, PUBLISHED, RETIRED, Actor

#: The author and reason of the articles the catalog ships.
SYSTEM = "system"
CATALOG_REASON = "catalog/kb_articles.yaml"
#: The fields an author writes; an edit may change any of them.
CONTENT_FIELDS = ("title", "symptom", "cause", "fix", "applications", "keywords", "audience")


class Article(Aggregate):
    @event("Drafted")
    def __init__(
        self,
        id: uuid.UUID,
        content: dict[str, Any],
        author: str,
        at: datetime,
        reason: str = "",
        source_ticket_id: str | None = None,
    ) -> None:
        self.status = DRAFT
        self.source_ticket_id = source_ticket_id
        self.created_at = at
        self.updated_at = at
        self.published_revision: int | None = None
        self.revisions: list[dict[str, Any]] = [_revision(1, content, author, at)]
        #: The tickets handlers used this article on (the handler's side of deflection).
        self.used_on: list[str] = []
        self.history: list[dict[str, Any]] = [
            {"status": DRAFT, "revision": 1, "actor": author, "at": at, "reason": reason}
        ]

    @property
    def latest(self) -> dict[str, Any]:
        return self.revisions[-1]

    @property
    def author(self) -> str:
        """The author of the working revision: the one who may not publish it."""
        return str(self.latest["author"])

    def revision(self, number: int) -> dict[str, Any] | None:
        return self.revisions[number - 1] if 1 <= number <= len(self.revisions) else None

    @property
    def published(self) -> dict[str, Any] | None:
        """What readers get: the published revision, none before publishing or once retired."""
        if self.published_revision is None:
            return None
        return self.revision(self.published_revision)

    def edit(self, changes: dict[str, Any], actor: Actor, at: datetime, reason: str) -> None:
        lifecycle.check_edit(self.status, actor)
        content = {k: self.latest[k] for k in CONTENT_FIELDS} | changes
        new = lifecycle.edit_starts_new_revision(self.status)
        number = len(self.revisions) + 1 if new else len(self.revisions)
        self._revised(number, content, actor.name, at, reason)

    @event("Revised")
    def _revised(
        self, revision: int, content: dict[str, Any], actor: str, at: datetime, reason: str
    ) -> None:
        entry = _revision(revision, content, actor, at)
        if revision > len(self.revisions):
            self.revisions.append(entry)
        else:
            self.revisions[revision - 1] = entry
        self._moved(lifecycle.status_after_edit(self.status), revision, actor, at, reason)

    def send_to_review(self, actor: Actor, at: datetime, reason: str = "") -> None:
        lifecycle.check_review(self.status, actor, self.author)
        self._status_changed(IN_REVIEW, self.status, len(self.revisions), actor.name, at, reason)

    def publish(self, actor: Actor, at: datetime, reason: str = "") -> None:
        lifecycle.check_publish(self.status, actor, self.author)
        self._status_changed(PUBLISHED, self.status, len(self.revisions), actor.name, at, reason)

    def retire(self, actor: Actor, at: datetime, reason: str = "") -> None:
        lifecycle.check_retire(self.status, actor)
        self._status_changed(RETIRED, self.status, len(self.revisions), actor.name, at, reason)

    def use_on(self, ticket_id: str, actor: Actor, at: datetime) -> bool:
        """Record that a handler used the article on a ticket; once per ticket (a retry
        changes nothing). Only what readers can see can be used: a published article."""
        if self.published_revision is None:
            raise lifecycle.OutOfOrder(
                "Chỉ bài viết đã công bố mới được ghi nhận sử dụng. / Only a published article "
                "can be recorded as used."
            )
        if ticket_id in self.used_on:
            return False
        self._used(ticket_id, actor.name, at)
        return True

    @event("Used")
    def _used(self, ticket_id: str, actor: str, at: datetime) -> None:
        self.used_on.append(ticket_id)

    def publish_from_catalog(self, at: datetime) -> None:
        """The shipped articles (catalog/kb_articles.yaml) were reviewed as data, in the
        repository, so the system publishes them at start-up without the review step."""
        if self.status == DRAFT and self.published_revision is None:
            self._status_changed(PUBLISHED, DRAFT, 1, SYSTEM, at, CATALOG_REASON)

    @event("StatusChanged")
    def _status_changed(
        self, status: str, previous: str, revision: int, actor: str, at: datetime, reason: str
    ) -> None:
        if status == PUBLISHED:
            self.published_revision = revision
        elif status == RETIRED:
            self.published_revision = None
        self._moved(status, revision, actor, at, reason)

    def _moved(self, status: str, revision: int, actor: str, at: datetime, reason: str) -> None:
        self.status = status
        self.updated_at = at
        self.history.append(
            {"status": status, "revision": revision, "actor": actor, "at": at, "reason": reason}
        )


def _revision(number: int, content: dict[str, Any], author: str, at: datetime) -> dict[str, Any]:
    return {"revision": number, **{k: content[k] for k in CONTENT_FIELDS}, "author": author,
            "at": at}  # fmt: skip
