"""Every model version, kept in routing's schema: which one is in use, and how it scored.

The artefact is a pickled `TicketModel` (about a megabyte): kept with its scores so a
version can be inspected or put back. Nothing is downloaded: the first version is trained
at start-up from the corpus shipped in `catalog/training/` (about two seconds), and every
later one by the retrain command from the corpus plus operators' reclassifications.
Several replicas may start at once: a version is named by its training data, so they
insert the same row and one insert wins.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from libs.catalog.model import Catalog
from services.routing.domain.examples import LabelledTicket, fingerprint
from services.routing.domain.learned import TicketModel
from services.routing.domain.learning import TrainingOutcome, train_and_gate

DDL = """
CREATE TABLE IF NOT EXISTS {s}.classifier_models (
  seq bigserial PRIMARY KEY,
  version text NOT NULL UNIQUE,
  trained_at timestamptz NOT NULL,
  trained_on integer NOT NULL,
  sources jsonb NOT NULL,
  scores jsonb NOT NULL,
  previous_scores jsonb,
  in_use boolean NOT NULL,
  reason text NOT NULL,
  artefact bytea NOT NULL
);
"""


@dataclass(frozen=True)
class ModelVersion:
    version: str
    trained_at: datetime
    trained_on: int
    sources: dict[str, int]
    scores: dict[str, float]
    previous_scores: dict[str, float] | None
    in_use: bool
    reason: str


class ModelStore:
    def __init__(self, database_url: str, schema: str) -> None:
        self.database_url = database_url
        self.s = f'"{schema}"'

    def _connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.database_url, autocommit=True)

    def ensure_table(self) -> None:
        with self._connect() as conn:
            conn.execute(DDL.format(s=self.s))

    def in_use(self) -> TicketModel | None:
        with self._connect() as conn:
            row = conn.execute(
                f"SELECT artefact FROM {self.s}.classifier_models WHERE in_use"
                " ORDER BY seq DESC LIMIT 1"
            ).fetchone()
        return _load(row[0]) if row else None

    def version_in_use(self) -> str | None:
        with self._connect() as conn:
            row = conn.execute(
                f"SELECT version FROM {self.s}.classifier_models WHERE in_use"
                " ORDER BY seq DESC LIMIT 1"
            ).fetchone()
        return str(row[0]) if row else None

    def versions(self) -> list[ModelVersion]:
        with self._connect() as conn:
            rows = conn.execute(
                f"SELECT version, trained_at, trained_on, sources, scores, previous_scores,"
                f" in_use, reason FROM {self.s}.classifier_models ORDER BY seq DESC"
            ).fetchall()
        return [ModelVersion(*row) for row in rows]

    def train(
        self, examples: list[LabelledTicket], catalog: Catalog, current: TicketModel | None
    ) -> TrainingOutcome:
        """Train, compare with `current`, record the version (used or not) and its scores."""
        version = self._next_version(examples)
        outcome = train_and_gate(examples, catalog, current, version)
        with self._connect() as conn, conn.transaction():
            inserted = conn.execute(
                f"INSERT INTO {self.s}.classifier_models (version, trained_at, trained_on,"
                " sources, scores, previous_scores, in_use, reason, artefact)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (version) DO NOTHING RETURNING seq",
                (
                    version,
                    datetime.now(UTC),
                    outcome.candidate.trained_on,
                    Jsonb(outcome.sources),
                    Jsonb(outcome.candidate_scores.as_dict()),
                    Jsonb(outcome.current_scores.as_dict()) if outcome.current_scores else None,
                    outcome.adopted,
                    outcome.reason,
                    pickle.dumps(outcome.candidate, protocol=pickle.HIGHEST_PROTOCOL),
                ),
            ).fetchone()
            if inserted and outcome.adopted:
                conn.execute(
                    f"UPDATE {self.s}.classifier_models SET in_use = false"
                    " WHERE in_use AND seq <> %s",
                    (inserted[0],),
                )
        return outcome

    def _next_version(self, examples: list[LabelledTicket]) -> str:
        """`clf-<n>-<fingerprint>`: the n-th version, and which examples made it."""
        with self._connect() as conn:
            row = conn.execute(f"SELECT count(*) FROM {self.s}.classifier_models").fetchone()
        return f"clf-{int(row[0] if row else 0) + 1}-{fingerprint(examples)[:8]}"


def _load(artefact: bytes) -> TicketModel:
    model = pickle.loads(artefact)
    if not isinstance(model, TicketModel):
        raise TypeError(f"the stored model is a {type(model).__name__}, not a TicketModel")
    return model
