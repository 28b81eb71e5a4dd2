"""Wires the notices, the status page and the subscriptions into the monitoring service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import FastAPI

from libs.catalog.checks_model import Estate
from libs.catalog.model import Catalog
from libs.events.sinks import ProjectionSink
from libs.events.topics import MONITORING
from libs.platform.eventstore import ServiceApplication
from libs.platform.outgoing_mail import OutgoingMail
from libs.platform.service import ServiceKit
from libs.platform.settings import positive_seconds
from services.monitoring.adapters.notices_store import NoticeStore
from services.monitoring.adapters.results import ResultStore
from services.monitoring.adapters.status_rollup import StatusRollup, roll_forever
from services.monitoring.adapters.status_view import StatusView
from services.monitoring.adapters.subscriptions import SubscriptionStore
from services.monitoring.adapters.subscriptions_mail import SubscriberMailer


@dataclass
class StatusServices:
    catalog: Catalog
    notices: NoticeStore
    view: StatusView
    subscriptions: SubscriptionStore
    mailer: SubscriberMailer
    clock: Any

    @property
    def owner_of(self) -> dict[str, str]:
        return {c: a.group for c, a in self.catalog.applications.items()}


async def wire_status(
    kit: ServiceKit,
    http: FastAPI,
    app: ServiceApplication,
    catalog: Catalog,
    estate: Estate,
    results: ResultStore,
    clock: Any,
    retention: timedelta,
) -> StatusServices:
    """Tables, start-up repair, the rollup loop and the subscribers' mailer (a consumer of
    monitoring's own topic). Settings: HOTRO_STATUS_ROLLUP_S (60), HOTRO_PUBLIC_URL (the
    gateway's address in mailed links), HOTRO_SUBSCRIBE_RESEND_S (300)."""
    assert kit.pool is not None
    pool, schema = kit.pool, kit.schema
    notices = NoticeStore(app, pool, schema)
    await notices.ensure_tables()
    await notices.repair()
    rollup = StatusRollup(pool, schema, estate, clock, retention_days=max(1, retention.days))
    await rollup.ensure_tables()
    view = StatusView(estate, catalog, results, notices, rollup, clock)
    every = positive_seconds("HOTRO_STATUS_ROLLUP_S", 60)
    kit.loops.append(lambda stop: roll_forever(rollup, view.recent_notices, every, stop))

    subscriptions = SubscriptionStore(pool, schema)
    await subscriptions.ensure_tables()
    outgoing = OutgoingMail(pool, schema)
    await outgoing.ensure_table()
    mailer = SubscriberMailer(subscriptions, outgoing, view.names, clock)
    sink = ProjectionSink(
        name="monitoring.status-mail", pool=pool, schema=schema, project=mailer.project
    )
    await sink.ensure_tables()
    kit.consumer("monitoring.status-mail", [MONITORING], sink)

    services = StatusServices(catalog, notices, view, subscriptions, mailer, clock)
    http.state.status = services
    return services
