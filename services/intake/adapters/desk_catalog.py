"""Read `catalog/priority.yaml` and `catalog/canned_replies.yaml` at start-up, validated with
file, line, field and reason like the rest of the catalog (ARCHITECTURE rule 7)."""

from __future__ import annotations

from pathlib import Path

from libs.calendar.loader import read_model
from libs.catalog.loader import catalog_dir
from services.intake.domain.canned_replies import CannedReplies
from services.intake.domain.priority import PriorityMatrix

PRIORITY_FILE = "priority.yaml"
CANNED_REPLIES_FILE = "canned_replies.yaml"


def load_priority_matrix(folder: str | Path | None = None) -> PriorityMatrix:
    return read_model(catalog_dir(folder) / PRIORITY_FILE, PriorityMatrix)


def load_canned_replies(folder: str | Path | None = None) -> CannedReplies:
    return read_model(catalog_dir(folder) / CANNED_REPLIES_FILE, CannedReplies)
