"""Notices on the status page (SPEC §5): announcements of an outage and scheduled maintenance.

A notice is an event-sourced `Notice`; publishing it and every update are events of
monitoring's log (`hotro.notice.published.v1`, `hotro.notice.updated.v1`). Its status moves
along a fixed flow, checked before any event is recorded:

- announcement: investigating → identified → monitoring → resolved. An update may keep the
  status (new information) or move it forward; `monitoring` may go back to `identified` when
  the fix did not hold. `resolved` is final: a new outage is a new notice.
- maintenance: scheduled → in_progress → completed, or scheduled → cancelled. Only a started
  maintenance can be completed; completed and cancelled are final.

Who may publish (SPEC §8 roles): the Service Desk (it owns the desk and tells users what is
going on) and the Technical group (it runs monitoring) — their leads and agents — and
admins; also the lead of the group that owns every application named (the TABMIS lead may
announce a TABMIS outage). Requesters, provinces, specialists, analysts and integrations
may not.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

ANNOUNCEMENT = "announcement"
MAINTENANCE = "maintenance"
KINDS = (ANNOUNCEMENT, MAINTENANCE)

INVESTIGATING, IDENTIFIED, MONITORING, RESOLVED = (
    "investigating",
    "identified",
    "monitoring",
    "resolved",
)
SCHEDULED, IN_PROGRESS, COMPLETED, CANCELLED = "scheduled", "in_progress", "completed", "cancelled"

#: Each kind's statuses, in order, and where an update may move each of them.
FLOWS: dict[str, dict[str, frozenset[str]]] = {
    ANNOUNCEMENT: {
        INVESTIGATING: frozenset({INVESTIGATING, IDENTIFIED, MONITORING, RESOLVED}),
        IDENTIFIED: frozenset({IDENTIFIED, MONITORING, RESOLVED}),
        MONITORING: frozenset({MONITORING, IDENTIFIED, RESOLVED}),
        RESOLVED: frozenset(),
    },
    MAINTENANCE: {
        SCHEDULED: frozenset({SCHEDULED, IN_PROGRESS, CANCELLED}),
        IN_PROGRESS: frozenset({IN_PROGRESS, COMPLETED}),
        COMPLETED: frozenset(),
        CANCELLED: frozenset(),
    },
}
#: The statuses a notice may be published with.
OPENING: dict[str, frozenset[str]] = {
    ANNOUNCEMENT: frozenset({INVESTIGATING, IDENTIFIED, MONITORING}),
    MAINTENANCE: frozenset({SCHEDULED, IN_PROGRESS}),
}
FINAL = frozenset({RESOLVED, COMPLETED, CANCELLED})
STATUS_LABELS = {
    INVESTIGATING: "Đang điều tra",
    IDENTIFIED: "Đã xác định nguyên nhân",
    MONITORING: "Đang theo dõi",
    RESOLVED: "Đã khắc phục",
    SCHEDULED: "Đã lên lịch",
    IN_PROGRESS: "Đang bảo trì",
    COMPLETED: "Đã hoàn thành",
    CANCELLED: "Đã hủy",
}
KIND_LABELS = {ANNOUNCEMENT: "Thông báo sự cố", MAINTENANCE: "Bảo trì theo kế hoạch"}

PUBLISHER_GROUPS = frozenset({"SERVICE_DESK", "TECHNICAL"})
_OPERATOR_ROLES = frozenset({"group_lead", "group_agent"})


class InvalidTransition(Exception):
    """The update would move the notice where its flow does not go (answered with 409)."""


class NotAllowed(Exception):
    """The caller may not publish or update this notice (answered with 403)."""


def may_publish(
    role: str, group: str | None, applications: Iterable[str], owner_of: Mapping[str, str]
) -> bool:
    """Whether a caller may publish or update a notice about `applications`; `owner_of`
    maps an application code to its owning group (the catalog)."""
    if role == "admin":
        return True
    if role in _OPERATOR_ROLES and group in PUBLISHER_GROUPS:
        return True
    codes = list(applications)
    return role == "group_lead" and bool(codes) and all(owner_of.get(c) == group for c in codes)


def may_publish_some(role: str, group: str | None) -> bool:
    """Whether a caller may publish any notice at all: the rest are refused before the
    notice they name is even looked up."""
    return role in ("admin", "group_lead") or (
        role in _OPERATOR_ROLES and group in PUBLISHER_GROUPS
    )


def check_opening(kind: str, status: str) -> None:
    if status not in OPENING[kind]:
        allowed = ", ".join(sorted(OPENING[kind]))
        raise InvalidTransition(
            f"Không thể công bố với trạng thái {status!r}. / A new {kind} starts as one of: "
            f"{allowed}."
        )


def check_window(starts_at: datetime | None, ends_at: datetime | None) -> str | None:
    """Why a maintenance window is not usable, or None."""
    if starts_at is None or ends_at is None:
        return "a maintenance needs starts_at and ends_at"
    if ends_at <= starts_at:
        return "ends_at must be after starts_at"
    return None


@dataclass(frozen=True)
class UpdateEntry:
    """One line of a notice's timeline, as the page shows it."""

    status: str
    message: str
    at: datetime
    actor: str


class Notice(Aggregate):
    """One announcement or maintenance and its updates."""

    @event("Published")
    def __init__(
        self,
        id: uuid.UUID,
        kind: str,
        title: str,
        applications: list[str],
        description: str,
        guidance: str,
        status: str,
        expected_fix_at: datetime | None,
        starts_at: datetime | None,
        ends_at: datetime | None,
        actor: str,
        at: datetime,
    ) -> None:
        self.kind = kind
        self.title = title
        self.applications = list(applications)
        self.description = description
        self.guidance = guidance
        self.status = status
        self.expected_fix_at = expected_fix_at
        self.starts_at = starts_at
        self.ends_at = ends_at
        self.published_at = at
        self.updated_at = at
        self.started_at: datetime | None = at if status == IN_PROGRESS else None
        self.finished_at: datetime | None = None
        self.updates: list[dict[str, Any]] = [
            {"status": status, "message": description, "at": at, "actor": actor}
        ]

    def check_move(self, status: str) -> None:
        allowed = FLOWS[self.kind][self.status]
        if status in allowed:
            return
        label = STATUS_LABELS.get(self.status, self.status)
        if not allowed:
            raise InvalidTransition(
                f"Thông báo đã ở trạng thái cuối ({label}); hãy tạo thông báo mới. / The "
                f"{self.kind} is {self.status}, which is final; publish a new one."
            )
        raise InvalidTransition(
            f"Không thể chuyển từ {label} sang {STATUS_LABELS.get(status, status)}. / A "
            f"{self.kind} cannot go from {self.status} to {status}; allowed: "
            f"{', '.join(sorted(allowed))}."
        )

    def post_update(
        self,
        status: str,
        message: str,
        actor: str,
        at: datetime,
        guidance: str | None = None,
        expected_fix_at: datetime | None = None,
        starts_at: datetime | None = None,
        ends_at: datetime | None = None,
    ) -> None:
        """Record an update; raises InvalidTransition before anything is recorded."""
        self.check_move(status)
        if self.kind == MAINTENANCE and (starts_at is not None or ends_at is not None):
            if self.status != SCHEDULED:
                raise InvalidTransition(
                    "Chỉ dời lịch được khi bảo trì chưa bắt đầu. / Only a scheduled "
                    "maintenance can be moved."
                )
            problem = check_window(starts_at or self.starts_at, ends_at or self.ends_at)
            if problem:
                raise InvalidTransition(problem)
        self._updated(
            kind=self.kind,
            title=self.title,
            applications=list(self.applications),
            status=status,
            previous=self.status,
            message=message,
            guidance=guidance,
            expected_fix_at=expected_fix_at,
            starts_at=starts_at,
            ends_at=ends_at,
            actor=actor,
            at=at,
        )

    @event("Updated")
    def _updated(
        self,
        kind: str,
        title: str,
        applications: list[str],
        status: str,
        previous: str,
        message: str,
        guidance: str | None,
        expected_fix_at: datetime | None,
        starts_at: datetime | None,
        ends_at: datetime | None,
        actor: str,
        at: datetime,
    ) -> None:
        self.status = status
        self.updated_at = at
        if guidance is not None:
            self.guidance = guidance
        if expected_fix_at is not None:
            self.expected_fix_at = expected_fix_at
        if starts_at is not None:
            self.starts_at = starts_at
        if ends_at is not None:
            self.ends_at = ends_at
        if status == IN_PROGRESS and self.started_at is None:
            self.started_at = at
        if status in FINAL:
            self.finished_at = at
        self.updates.append({"status": status, "message": message, "at": at, "actor": actor})

    @property
    def is_open(self) -> bool:
        return self.status not in FINAL

    def timeline(self) -> list[UpdateEntry]:
        return [UpdateEntry(u["status"], u["message"], u["at"], u["actor"]) for u in self.updates]
