"""The classifier's versions: which is in use, how each scored, and the retrain command."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from services.routing.api.deps import Caller, Svc
from services.routing.api.errors import Refused

router = APIRouter(prefix="/routing/model", tags=["routing"])


class VersionPublic(BaseModel):
    version: str
    trained_at: datetime
    trained_on: int
    sources: dict[str, int]
    scores: dict[str, float]
    previous_scores: dict[str, float] | None
    in_use: bool
    reason: str


class ModelPublic(BaseModel):
    in_use: str
    versions: list[VersionPublic]


class RetrainPublic(BaseModel):
    version: str
    adopted: bool
    reason: str
    scores: dict[str, float]
    previous_scores: dict[str, float] | None
    trained_on: int
    sources: dict[str, int]
    in_use: str


@router.get("", response_model=ModelPublic)
async def versions(svc: Svc) -> ModelPublic:
    """Every model version, newest first, with its scores on the held-back tickets."""
    rows = await asyncio.to_thread(svc.classifier.store.versions)
    return ModelPublic(
        in_use=svc.classifier.version,
        versions=[VersionPublic(**vars(row)) for row in rows],
    )


@router.post("/retrain", response_model=RetrainPublic)
async def retrain(svc: Svc, actor: Caller) -> Any:
    """Train a new version on the corpus and every reclassification; use it only if it does
    not do worse than the current one on the held-back tickets."""
    if actor.role != "admin":
        raise Refused(403, "role", "only an admin may retrain the classifier", "forbidden")
    outcome = await asyncio.to_thread(svc.classifier.retrain)
    return RetrainPublic(
        version=outcome.candidate.version,
        adopted=outcome.adopted,
        reason=outcome.reason,
        scores=outcome.candidate_scores.as_dict(),
        previous_scores=outcome.current_scores.as_dict() if outcome.current_scores else None,
        trained_on=outcome.candidate.trained_on,
        sources=outcome.sources,
        in_use=svc.classifier.version,
    )
