"""The filters of `GET /api/v1/tickets` and the queues, checked against the catalog (issue 13).

Each filter may be repeated (or comma-separated) for "any of"; codes are case-insensitive;
a value the catalog does not know is a 422 that says where the valid codes are listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import Query

from libs.catalog.model import GROUP_CODES, Catalog
from services.intake.api.query import one_of
from services.intake.domain.lifecycle import STATUS_NAMES_VI

STATUSES = tuple(STATUS_NAMES_VI)
TIERS = ("L1", "L2", "L3", "L4", "ITO")
CHANNELS = ("web", "email", "phone", "monitoring")
PRIORITIES = ("P1", "P2", "P3", "P4")

SortOrder = Literal["sla", "newest", "oldest", "due", "priority", "updated"]
SORT_HELP = (
    "sla: breached first, then the next due time, then priority; newest / oldest: by"
    " received time; due: next due time; priority: P1 first; updated: last change first"
)


@dataclass
class TicketFilters:
    status: list[str] | None = None
    group: list[str] | None = None
    tier: list[str] | None = None
    province: list[str] | None = None
    unit: list[str] | None = None
    application: list[str] | None = None
    channel: list[str] | None = None
    priority: list[str] | None = None
    assignee: list[str] | None = None
    assigned: bool | None = None
    breached: bool | None = None
    due_within_hours: int | None = None
    parent: str | None = None
    q: str | None = None


def ticket_filters(
    status: Annotated[
        list[str] | None, Query(description="new, routed, in_progress, … (repeat: any of)")
    ] = None,
    group: Annotated[
        list[str] | None, Query(description="group codes, see /api/v1/catalog/groups")
    ] = None,
    tier: Annotated[list[str] | None, Query(description="L1, L2, L3, L4, ITO")] = None,
    province: Annotated[
        list[str] | None, Query(description="codes or names, see /api/v1/catalog/provinces")
    ] = None,
    unit: Annotated[
        list[str] | None, Query(description="unit codes, see /api/v1/catalog/units")
    ] = None,
    application: Annotated[
        list[str] | None, Query(description="see /api/v1/catalog/applications")
    ] = None,
    channel: Annotated[list[str] | None, Query(description="web, email, phone, monitoring")] = None,
    priority: Annotated[list[str] | None, Query(description="P1 … P4")] = None,
    assignee: Annotated[
        list[str] | None, Query(description="the person working on it (any case)")
    ] = None,
    assigned: Annotated[bool | None, Query(description="true: someone took it")] = None,
    breached: Annotated[bool | None, Query(description="true: a target was missed")] = None,
    due_within_hours: Annotated[
        int | None,
        Query(ge=0, le=8760, description="the next target falls due within N hours (or is late)"),
    ] = None,
    parent: Annotated[
        str | None, Query(max_length=64, description="the outage's id or number")
    ] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> TicketFilters:
    return TicketFilters(
        status,
        group,
        tier,
        province,
        unit,
        application,
        channel,
        priority,
        assignee,
        assigned,
        breached,
        due_within_hours,
        parent,
        q,
    )


@dataclass
class QueueWhere:
    """View columns to match (a list = any of), and fixed SQL conditions."""

    columns: dict[str, Any] = field(default_factory=dict)
    extra: list[str] = field(default_factory=list)


def _provinces(values: list[str] | None, catalog: Catalog) -> list[str] | None:
    """Province codes or names ("Đà Nẵng", "da nang", "dng") as codes."""
    if not values:
        return None
    named = []
    for raw in values:
        for part in raw.split(","):
            found = catalog.province_by_name_or_code(part.strip()) if part.strip() else None
            named.append(found.code if found else part)
    return one_of("province", named, catalog.provinces, where="/api/v1/catalog/provinces")


def queue_where(
    filters: TicketFilters, catalog: Catalog, now: datetime | None = None
) -> QueueWhere:
    where = QueueWhere()
    cols = where.columns
    cols["status"] = one_of("status", filters.status, STATUSES, upper=False)
    cols["group_code"] = one_of("group", filters.group, GROUP_CODES, where="/api/v1/catalog/groups")
    cols["tier"] = one_of("tier", filters.tier, TIERS)
    cols["province"] = _provinces(filters.province, catalog)
    cols["unit_code"] = one_of("unit", filters.unit, catalog.units, where="/api/v1/catalog/units")
    cols["application"] = one_of(
        "application",
        filters.application,
        catalog.applications,
        where="/api/v1/catalog/applications",
    )
    cols["channel"] = one_of("channel", filters.channel, CHANNELS, upper=False)
    cols["priority"] = one_of("priority", filters.priority, PRIORITIES)
    if filters.assignee:
        cols["lower(assignee)"] = [a.strip().lower() for a in filters.assignee if a.strip()]
    if filters.assigned is not None:
        where.extra.append("assignee IS NOT NULL" if filters.assigned else "assignee IS NULL")
    if filters.breached is not None:
        where.extra.append("breached IS TRUE" if filters.breached else "breached IS NOT TRUE")
    if filters.due_within_hours is not None:
        moment = (now or datetime.now(UTC)) + timedelta(hours=filters.due_within_hours)
        cols["due_at <="] = moment
    where.columns = {k: v for k, v in cols.items() if v is not None}
    return where
