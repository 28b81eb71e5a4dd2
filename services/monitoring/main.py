"""The monitoring service: `python -m services.monitoring.main`."""

from __future__ import annotations

from libs.events.sinks import ProjectionSink
from libs.events.topics import ROUTING
from libs.platform.service import ServiceKit, run_service
from services.monitoring.adapters import reports_projection


async def main() -> None:
    kit = ServiceKit("monitoring")
    pool = await kit.open_pool()
    sink = ProjectionSink(
        name="monitoring.reports",
        pool=pool,
        schema=kit.schema,
        project=reports_projection.projector(kit.schema),
    )
    await sink.ensure_tables()
    await reports_projection.ensure_tables(pool, kit.schema)
    kit.consumer("monitoring.reports", [ROUTING], sink)
    await kit.run(kit.http("Hotro monitoring", []))


if __name__ == "__main__":
    run_service(main)
