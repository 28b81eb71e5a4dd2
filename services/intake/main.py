"""The intake service and gateway: `python -m services.intake.main`."""

from __future__ import annotations

import asyncio
import os

from libs.catalog import load_catalog
from libs.events.sinks import EventSourcedSink, ProjectionSink
from libs.events.topics import ESCALATION, INTAKE, MONITORING, ROUTING
from libs.platform.service import ServiceKit, run_service
from services.intake import bootstrap, desk_wiring
from services.intake.adapters import lifecycle_consumer, monitoring_consumer, ticket_view
from services.intake.adapters.store import IntakeApplication, TicketNumbers, to_contract
from services.intake.adapters.tokens import TokenStore
from services.intake.api import (
    alerts_proxy,
    kb_proxy,
    ladder_proxy,
    monitoring_proxy,
    reports_proxy,
    routing_proxy,
    status_proxy,
    tickets,
)
from services.intake.api import catalog as catalog_api
from services.intake.api.errors import install_error_handlers
from services.intake.api.internal_calls import InternalCalls
from services.intake.api.limits import limit_body_size
from services.intake.web.mount import mount_console


async def main() -> None:
    kit = ServiceKit("intake")
    catalog = load_catalog()
    app = await asyncio.to_thread(kit.event_store, IntakeApplication)
    pool = await kit.open_pool()
    numbers = TicketNumbers(pool, kit.schema)
    await numbers.ensure_table()
    await ticket_view.ensure_tables(pool, kit.schema)
    tokens = TokenStore(pool, kit.schema)
    await tokens.ensure_table()
    if os.environ.get("HOTRO_ADMIN_TOKEN"):
        await tokens.keep_bootstrap(os.environ["HOTRO_ADMIN_TOKEN"])
    kit.relay(app, monitoring_consumer.with_monitoring_contracts(to_contract))
    view_sink = ProjectionSink(
        name="intake.ticket-view",
        pool=pool,
        schema=kit.schema,
        project=ticket_view.projector(kit.schema),
    )
    await view_sink.ensure_tables()
    kit.consumer("intake.ticket-view", [INTAKE, ROUTING, ESCALATION], view_sink)
    kit.consumer(
        "intake.lifecycle",
        [ROUTING, ESCALATION],
        EventSourcedSink(name="intake.lifecycle", app=app, decide=lifecycle_consumer.decide),
    )
    kit.consumer(
        monitoring_consumer.NAME,
        [MONITORING],
        monitoring_consumer.MonitoringTicketsSink(app, numbers, catalog),
    )
    # The gateway is the door: it authenticates people itself and signs what it forwards.
    http = kit.http(
        "Hotro gateway",
        [
            tickets.router,
            catalog_api.router,
            ladder_proxy.router,
            routing_proxy.router,
            alerts_proxy.router,
            monitoring_proxy.router,
            status_proxy.router,
            reports_proxy.router,
            kb_proxy.router,
        ],
        signed=False,
        local_docs=True,
    )
    http.state.internal_calls = InternalCalls(kit.internal_key)
    http.include_router(status_proxy.pages)
    http.include_router(kb_proxy.pages)
    install_error_handlers(http)
    limit_body_size(http)
    http.state.services = await bootstrap.wire(
        kit,
        http,
        app=app,
        catalog=catalog,
        numbers=numbers,
        queries=ticket_view.TicketQueries(pool, kit.schema),
        tokens_store=tokens,
    )
    await desk_wiring.wire(http, pool, kit.schema, catalog)
    await mount_console(http, pool, kit.schema)
    await kit.run(http)


if __name__ == "__main__":
    run_service(main)
