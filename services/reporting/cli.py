"""`python -m services.reporting.cli rebuild PROJECTION`: rebuild one projection from the log
with a progress bar, beside the live tables, then swap it in (adapters/rebuild.py).

Uses the same settings as the service (DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS,
HOTRO_TOPIC_PREFIX) and the same job table, so `GET /api/v1/reports/rebuild/{id}` shows a
rebuild started here too, and one already under way (from here or the API) is refused.
Exit status: 0 swapped in, 1 failed, 2 refused (unknown projection, one under way).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from typing import TextIO

from psycopg_pool import AsyncConnectionPool

from libs.events.sinks import ProjectionSink
from libs.platform.settings import load_settings
from services.reporting.adapters import projections
from services.reporting.adapters.rebuild import Rebuild
from services.reporting.adapters.rebuild_jobs import RebuildJobs, RebuildRunning
from services.reporting.domain.rebuild_progress import Progress, progress_bar


def _printer(out: TextIO) -> Callable[[Progress], None]:
    def show(progress: Progress) -> None:
        end = "\n" if progress.finished else ""
        out.write("\r" + progress_bar(progress) + end)
        out.flush()

    return show


async def rebuild(projection: str, out: TextIO = sys.stderr) -> int:
    settings = load_settings("reporting")
    async with AsyncConnectionPool(settings.database_url, min_size=1, max_size=4) as pool:
        await ProjectionSink(
            name=projections.NAME, pool=pool, schema=settings.schema, project=_nothing
        ).ensure_tables()
        jobs = RebuildJobs(pool, settings.schema)
        await jobs.ensure_table()
        try:
            job_id = await jobs.create(projection, "cli")
        except RebuildRunning as running:
            print(f"a rebuild of {projection} is under way: {running.job_id}", file=out)
            return 2
        print(f"rebuild {job_id}: {projection}", file=out)
        job = Rebuild(
            pool=pool,
            database_url=settings.database_url,
            schema=settings.schema,
            bootstrap=settings.kafka_bootstrap_servers,
            topics=[settings.topic(t) for t in projections.TOPICS],
            projection=projection,
            job_id=job_id,
            jobs=jobs,
            on_progress=_printer(out),
        )
        try:
            await job.run()
        except Exception as error:
            print(f"\nrebuild failed: {error}", file=out)
            return 1
        print(f"{projection} rebuilt from {job.done:,} events and swapped in", file=out)
        return 0


async def _nothing(*_: object) -> None:
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.reporting.cli")
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("rebuild", help="rebuild a projection from the log")
    command.add_argument("projection", choices=sorted(projections.PROJECTIONS))
    args = parser.parse_args(argv)
    return asyncio.run(rebuild(args.projection))


if __name__ == "__main__":
    raise SystemExit(main())
