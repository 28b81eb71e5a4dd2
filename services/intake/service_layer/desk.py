"""The desk's own data beside the tickets (issue 13): the priority matrix, canned replies and
the agent directory, wired once and reached by the routes through `get_desk`."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.persistence import IntegrityError
from fastapi import Request

from libs.catalog.model import Catalog
from services.intake.adapters.agents import AgentDirectory
from services.intake.adapters.store import IntakeApplication
from services.intake.domain.canned_replies import CannedReplies
from services.intake.domain.priority import PriorityMatrix
from services.intake.domain.ticket import Ticket
from services.intake.service_layer.ticket_changes import RETRIES, load


@dataclass
class Desk:
    matrix: PriorityMatrix
    canned: CannedReplies
    agents: AgentDirectory


def get_desk(request: Request) -> Desk:
    desk: Desk = request.app.state.desk
    return desk


def check_matrix_codes(matrix: PriorityMatrix, catalog: Catalog) -> None:
    """priority.yaml may only name applications of the catalog (refused at start-up)."""
    unknown = sorted(set(matrix.impact_of.applications) - set(catalog.applications))
    if unknown:
        raise ValueError(
            f"catalog/priority.yaml: impact_of.applications: unknown application codes {unknown}"
        )


def _merge_now(
    app: IntakeApplication, merged_id: uuid.UUID, into_id: uuid.UUID, reason: str, actor: str,
    at: datetime,
) -> tuple[Ticket, bool]:  # fmt: skip
    """Both tickets change in one save: never one closed without the other knowing."""
    for _ in range(RETRIES):
        merged, survivor = load(app, merged_id), load(app, into_id)
        changed = merged.merge_into(survivor, reason, actor, at)
        if not changed:
            return merged, False
        try:
            app.save(merged, survivor)
        except IntegrityError:
            continue
        return merged, True
    raise RuntimeError("the tickets kept changing; try again")


async def merge(
    app: IntakeApplication, merged_id: uuid.UUID, into_id: uuid.UUID, reason: str, actor: str,
    at: datetime,
) -> tuple[Ticket, bool]:  # fmt: skip
    return await asyncio.to_thread(_merge_now, app, merged_id, into_id, reason, actor, at)


def ticket_values(row: dict[str, Any], catalog: Catalog, agent_name: str) -> dict[str, str]:
    """What a canned reply may say about the ticket, from its view row."""
    app = row.get("application") or row.get("picked_application") or ""
    group = row.get("group_code") or ""
    return {
        "requester_name": str((row.get("requester") or {}).get("name") or ""),
        "ticket_number": str(row.get("number") or ""),
        "subject": str(row.get("subject") or ""),
        "application": app,
        "application_name": catalog.applications[app].name if app in catalog.applications else app,
        "group_name": catalog.groups[group].name if group in catalog.groups else group,
        "agent_name": agent_name,
    }
