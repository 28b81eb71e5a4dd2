"""`python -m services.routing.train`: retrain the classifier outside the service.

The same command as `POST /api/v1/routing/model/retrain`: trains a new version on the shipped
corpus and every operator reclassification found in routing's schema of `DATABASE_URL`,
scores it and the version in use on the held-back tickets, and puts it in use only if it does
not do worse. Running routing services follow the version in use within seconds.
"""

from __future__ import annotations

import json
import os
import sys

from libs.catalog import load_catalog
from libs.platform.eventstore import open_application
from services.routing.adapters.classifier import Classifier
from services.routing.adapters.model_store import ModelStore
from services.routing.adapters.store import RoutingApplication
from services.routing.adapters.ticket_index import TicketIndex

SCHEMA = "routing"


def main() -> int:
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url:
        print("hotro: DATABASE_URL is not set (routing's database)", file=sys.stderr)
        return 2
    catalog = load_catalog()
    app = open_application(RoutingApplication, database_url, SCHEMA)
    index = TicketIndex(database_url, SCHEMA, app)
    try:
        index.ensure_tables()
        classifier = Classifier(ModelStore(database_url, SCHEMA), catalog, index)
        classifier.start()
        outcome = classifier.retrain()
    finally:
        index.close()
    print(
        json.dumps(
            {
                "version": outcome.candidate.version,
                "adopted": outcome.adopted,
                "reason": outcome.reason,
                "scores": outcome.candidate_scores.as_dict(),
                "previous_scores": (
                    outcome.current_scores.as_dict() if outcome.current_scores else None
                ),
                "sources": outcome.sources,
                "in_use": classifier.version,
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
