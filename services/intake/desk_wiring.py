"""Wires the desk's data (issue 13) into the gateway: the priority matrix and canned replies
from the catalog (refused at start-up when invalid), the agent directory seeded from the
tokens that name a person, and their routes."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI

from libs.catalog.model import Catalog
from services.intake.adapters.agents import AgentDirectory
from services.intake.adapters.desk_catalog import load_canned_replies, load_priority_matrix
from services.intake.api import agents, edits
from services.intake.service_layer.desk import Desk, check_matrix_codes

log = logging.getLogger(__name__)


async def wire(http: FastAPI, pool: Any, schema: str, catalog: Catalog) -> Desk:
    matrix = load_priority_matrix()
    check_matrix_codes(matrix, catalog)
    directory = AgentDirectory(pool, schema)
    await directory.ensure_table()
    seeded = await directory.seed_from_tokens(catalog)
    if seeded:
        log.info("agent directory seeded from tokens", extra={"agents": seeded})
    desk = Desk(matrix=matrix, canned=load_canned_replies(), agents=directory)
    http.state.desk = desk
    for router in (edits.router, agents.router):
        http.include_router(router, prefix="/api/v1")
    return desk
