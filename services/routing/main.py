"""The routing service: `python -m services.routing.main`."""

from __future__ import annotations

import asyncio

from libs.catalog import load_catalog
from libs.events.sinks import EventSourcedSink
from libs.events.topics import INTAKE
from libs.platform.service import ServiceKit, run_service
from services.routing.adapters.store import RoutingApplication, decider, to_contract


async def main() -> None:
    kit = ServiceKit("routing")
    catalog = load_catalog()
    app = await asyncio.to_thread(kit.event_store, RoutingApplication)
    await kit.open_pool()
    kit.relay(app, to_contract)
    kit.consumer(
        "routing.decisions",
        [INTAKE],
        EventSourcedSink(name="routing.decisions", app=app, decide=decider(app, catalog)),
    )
    await kit.run(kit.http("Hotro routing", []))


if __name__ == "__main__":
    run_service(main)
