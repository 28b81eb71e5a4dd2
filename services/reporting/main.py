"""The reporting service: `python -m services.reporting.main`."""

from __future__ import annotations

from libs.events.sinks import ProjectionSink
from libs.events.topics import ESCALATION, INTAKE, ROUTING
from libs.platform.service import ServiceKit, run_service
from services.reporting.adapters import tickets_projection


async def main() -> None:
    kit = ServiceKit("reporting")
    pool = await kit.open_pool()
    sink = ProjectionSink(
        name="reporting.tickets",
        pool=pool,
        schema=kit.schema,
        project=tickets_projection.projector(kit.schema),
    )
    await sink.ensure_tables()
    await tickets_projection.ensure_tables(pool, kit.schema)
    kit.consumer("reporting.tickets", [INTAKE, ROUTING, ESCALATION], sink)
    await kit.run(kit.http("Hotro reporting", []))


if __name__ == "__main__":
    run_service(main)
