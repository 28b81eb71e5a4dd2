"""The reporting service: `python -m services.reporting.main`."""

from __future__ import annotations

from libs.calendar import load_business_calendar
from libs.catalog.loader import catalog_dir
from libs.events.sinks import ProjectionSink
from libs.events.topics import ESCALATION, INTAKE, ROUTING
from libs.platform.service import ServiceKit, run_service
from services.reporting.adapters import analyst_role, projections
from services.reporting.adapters.report_queries import ReportQueries
from services.reporting.api import reports
from services.reporting.api.report_service import ReportService


async def main() -> None:
    kit = ServiceKit("reporting")
    analysts = analyst_role.analyst_settings()
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
    kit.consumer(projections.NAME, [INTAKE, ROUTING, ESCALATION], sink)
    http = kit.http("Hotro reporting", [reports.router])
    http.state.reports = ReportService(
        ReportQueries(pool, kit.schema), load_business_calendar(catalog_dir())
    )
    await kit.run(http)


if __name__ == "__main__":
    run_service(main)
