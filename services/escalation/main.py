"""The escalation service: `python -m services.escalation.main`."""

from __future__ import annotations

import asyncio
import os

from libs.catalog import load_catalog
from libs.catalog.loader import catalog_dir
from libs.events.sinks import EventSourcedSink, ProjectionSink
from libs.events.topics import ESCALATION, INTAKE, ROUTING
from libs.platform.outgoing_mail import OutgoingMail
from libs.platform.service import ServiceKit, run_service
from services.escalation.adapters import watch
from services.escalation.adapters.breach_watcher import BreachWatcher
from services.escalation.adapters.sla_config import load_calendars, load_sla_policy
from services.escalation.adapters.store import EscalationApplication, decider, to_contract
from services.escalation.api import known_errors, ladder
from services.escalation.domain.decisions import SlaSetup


async def main() -> None:
    kit = ServiceKit("escalation")
    catalog = load_catalog()
    folder = catalog_dir(None)
    sla_catalog = load_sla_policy(folder)
    setup = SlaSetup(sla_catalog, load_calendars(folder, sla_catalog))
    app = await asyncio.to_thread(kit.event_store, EscalationApplication)
    pool = await kit.open_pool()
    mail = OutgoingMail(pool, kit.schema)
    await mail.ensure_table()
    await watch.ensure_tables(pool, kit.schema)
    kit.relay(app, to_contract)
    kit.consumer(
        "escalation.ladder",
        [ROUTING, INTAKE],
        EventSourcedSink(name="escalation.ladder", app=app, decide=decider(catalog, setup)),
    )
    watch_sink = ProjectionSink(
        name="escalation.watch",
        pool=pool,
        schema=kit.schema,
        project=watch.projector(kit.schema, mail),
    )
    await watch_sink.ensure_tables()
    kit.consumer("escalation.watch", [INTAKE, ROUTING, ESCALATION], watch_sink)
    watcher = BreachWatcher(
        app=app,
        pool=pool,
        schema=kit.schema,
        catalog=catalog,
        setup=setup,
        interval_s=float(os.environ.get("HOTRO_SLA_SCAN_S", "5")),
    )
    kit.loops.append(watcher.run)
    http = kit.http("Hotro escalation", [ladder.router, known_errors.router])
    http.state.ladder = ladder.LadderServices(
        app=app, catalog=catalog, setup=setup, pool=pool, schema=kit.schema, mail=mail
    )
    kit.loops.append(lambda stop: known_errors.send_last_months_digest(http.state.ladder, stop))
    await kit.run(http)


if __name__ == "__main__":
    run_service(main)
