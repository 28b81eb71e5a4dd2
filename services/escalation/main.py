"""The escalation service: `python -m services.escalation.main`."""

from __future__ import annotations

import asyncio

from libs.events.sinks import EventSourcedSink
from libs.events.topics import ROUTING
from libs.platform.service import ServiceKit, run_service
from services.escalation.adapters.store import EscalationApplication, decider, to_contract


async def main() -> None:
    kit = ServiceKit("escalation")
    app = await asyncio.to_thread(kit.event_store, EscalationApplication)
    await kit.open_pool()
    kit.relay(app, to_contract)
    kit.consumer(
        "escalation.ladder",
        [ROUTING],
        EventSourcedSink(name="escalation.ladder", app=app, decide=decider(app)),
    )
    await kit.run(kit.http("Hotro escalation", []))


if __name__ == "__main__":
    run_service(main)
