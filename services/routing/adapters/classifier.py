"""The model version routing decides with: loaded at start-up, followed, retrained on command.

Several replicas share one store: the one that retrains records the new version, and the
others pick it up within `follow_every_s`. A stored version that no longer loads (the code
or scikit-learn changed) is replaced by one trained from the corpus, never a crash.
"""

from __future__ import annotations

import asyncio
import logging
import threading

from libs.catalog.model import Catalog
from services.routing.adapters.corpus import load_examples
from services.routing.adapters.model_store import ModelStore
from services.routing.adapters.ticket_index import TicketIndex
from services.routing.domain.examples import LabelledTicket
from services.routing.domain.learned import TicketModel
from services.routing.domain.learning import TrainingOutcome

log = logging.getLogger(__name__)


class Classifier:
    def __init__(
        self,
        store: ModelStore,
        catalog: Catalog,
        index: TicketIndex,
        follow_every_s: float = 10.0,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.index = index
        self.follow_every_s = follow_every_s
        self.model: TicketModel | None = None
        self._training = threading.Lock()

    def start(self) -> None:
        """Load the version in use; train the first one from the shipped corpus if none."""
        self.store.ensure_table()
        try:
            self.model = self.store.in_use()
        except Exception as error:  # unpickling a model written by other code
            log.warning("stored model does not load; retraining", extra={"error": repr(error)})
            self.model = None
        if self.model is None:
            self.retrain(first=True)
        log.info("classifier ready", extra={"model_version": self.version})

    @property
    def version(self) -> str:
        return self.model.version if self.model else "none"

    def examples(self) -> list[LabelledTicket]:
        """The shipped corpus and every operator reclassification so far."""
        self.index.catch_up()
        return [*load_examples(self.catalog), *self.index.reclassified_examples()]

    def retrain(self, first: bool = False) -> TrainingOutcome:
        with self._training:
            examples = load_examples(self.catalog) if first else self.examples()
            outcome = self.store.train(examples, self.catalog, None if first else self.model)
            if outcome.adopted:
                self.model = outcome.candidate
            log.info(
                "classifier trained",
                extra={"model_version": outcome.candidate.version, "adopted": outcome.adopted},
            )
            return outcome

    def refresh(self) -> None:
        """Use the version in use in the store, if another replica changed it."""
        in_use = self.store.version_in_use()
        if in_use and in_use != self.version:
            model = self.store.in_use()
            if model is not None:
                self.model = model
                log.info("classifier version followed", extra={"model_version": in_use})

    async def follow(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.follow_every_s)
            except TimeoutError:
                try:
                    await asyncio.to_thread(self.refresh)
                except Exception:
                    log.exception("could not follow the model store")
