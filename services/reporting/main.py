"""The reporting service: `python -m services.reporting.main`."""

from __future__ import annotations

from libs.calendar import load_business_calendar
from libs.catalog import load_catalog
from libs.catalog.loader import catalog_dir
from libs.events.sinks import ProjectionSink
from libs.platform.outgoing_mail import OutgoingMail
from libs.platform.service import ServiceKit, run_service
from services.reporting.adapters import analyst_role, projections
from services.reporting.adapters.delivery import DeliverySettings, ReportDelivery, service_now
from services.reporting.adapters.rebuild_service import RebuildService
from services.reporting.adapters.report_queries import ReportQueries
from services.reporting.adapters.report_recipients import load_report_recipients
from services.reporting.api import rebuild, reports
from services.reporting.api.report_service import ReportService


async def main() -> None:
    kit = ServiceKit("reporting")
    analysts = analyst_role.analyst_settings()
    delivering = DeliverySettings.from_env()
    recipients = load_report_recipients(delivering.recipients_file, load_catalog())
    calendar = load_business_calendar(catalog_dir())
    pool = await kit.open_pool()
    sink = ProjectionSink(
        name=projections.NAME,
        pool=pool,
        schema=kit.schema,
        project=projections.projector(kit.schema),
    )
    await sink.ensure_tables()
    await projections.ensure_schema(pool, kit.schema)
    await analyst_role.ensure_analyst_role(pool, kit.schema, analysts)
    kit.consumer(projections.NAME, projections.TOPICS, sink)
    http = kit.http("Hotro reporting", [rebuild.router, reports.router])
    queries = ReportQueries(pool, kit.schema)
    http.state.reports = ReportService(queries, calendar, clock=service_now)
    if delivering.enabled:
        delivery = ReportDelivery(
            pool=pool,
            schema=kit.schema,
            reports=http.state.reports,
            queries=queries,
            mail=OutgoingMail(pool, kit.schema),
            recipients=recipients,
            is_working_day=calendar.is_working_day,
            interval_s=delivering.interval_s,
        )
        await delivery.ensure_tables()
        kit.loops.append(delivery.run)
    rebuilds = RebuildService(
        pool,
        kit.settings.database_url,
        kit.schema,
        kit.settings.kafka_bootstrap_servers,
        [kit.topic(t) for t in projections.TOPICS],
    )
    http.state.rebuilds = rebuilds
    kit.loops.append(rebuilds.resume_orphans)  # once the topics exist (kit.run makes them)
    await kit.run(http)


if __name__ == "__main__":
    run_service(main)
