"""The routing service: `python -m services.routing.main`."""

from __future__ import annotations

import asyncio

from libs.catalog import load_catalog
from libs.events.sinks import EventSourcedSink
from libs.events.topics import INTAKE
from libs.platform.service import ServiceKit, run_service
from services.routing.adapters.classifier import Classifier
from services.routing.adapters.model_store import ModelStore
from services.routing.adapters.store import RoutingApplication, RoutingDecider, to_contract
from services.routing.adapters.ticket_index import TicketIndex
from services.routing.api import commands, model, preview
from services.routing.api.deps import RoutingServices
from services.routing.api.errors import install_error_handlers


async def main() -> None:
    kit = ServiceKit("routing")
    catalog = load_catalog()
    app = await asyncio.to_thread(kit.event_store, RoutingApplication)
    await kit.open_pool()
    index = TicketIndex(kit.settings.database_url, kit.schema, app)
    await asyncio.to_thread(index.ensure_tables)
    classifier = Classifier(ModelStore(kit.settings.database_url, kit.schema), catalog, index)
    await asyncio.to_thread(classifier.start)
    kit.relay(app, to_contract)
    kit.consumer(
        "routing.decisions",
        [INTAKE],
        EventSourcedSink(
            name="routing.decisions",
            app=app,
            decide=RoutingDecider(catalog, index, classifier),
        ),
    )
    kit.loops.append(classifier.follow)
    http = kit.http("Hotro routing", [preview.router, commands.router, model.router])
    install_error_handlers(http)
    http.state.routing = RoutingServices(
        app=app, catalog=catalog, index=index, classifier=classifier
    )
    await kit.run(http)


if __name__ == "__main__":
    run_service(main)
