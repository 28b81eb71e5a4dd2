"""Runs rebuilds inside the reporting service: asked through the API, taken up again after a
restart (a job its dead process left `running` starts over under the same id)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from psycopg_pool import AsyncConnectionPool

from services.reporting.adapters import projections
from services.reporting.adapters.rebuild import Rebuild
from services.reporting.adapters.rebuild_jobs import RebuildJobs

log = logging.getLogger(__name__)


class RebuildService:
    def __init__(
        self,
        pool: AsyncConnectionPool[Any],
        database_url: str,
        schema: str,
        bootstrap: str,
        topics: list[str],
    ) -> None:
        self.jobs = RebuildJobs(pool, schema)
        self._args: dict[str, Any] = {
            "pool": pool,
            "database_url": database_url,
            "schema": schema,
            "bootstrap": bootstrap,
            "topics": topics,
            "jobs": self.jobs,
        }
        self._tasks: set[asyncio.Task[None]] = set()

    def known(self, projection: str) -> bool:
        return projection in projections.PROJECTIONS

    async def start(self, projection: str, requested_by: str) -> str:
        """A new job id (raises RebuildRunning when one is under way for `projection`)."""
        job_id = await self.jobs.create(projection, requested_by)
        self._launch(projection, job_id)
        return job_id

    async def resume_orphans(self, stop: asyncio.Event | None = None) -> None:
        for job in await self.jobs.orphans():
            log.info("rebuild taken up again", extra={"job": job.id, "projection": job.projection})
            self._launch(job.projection, job.id)

    def _launch(self, projection: str, job_id: str) -> None:
        rebuild = Rebuild(projection=projection, job_id=job_id, **self._args)
        task = asyncio.create_task(self._run(rebuild))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, rebuild: Rebuild) -> None:
        # A failure is recorded on the job (state failed, error) and logged by the rebuild.
        with contextlib.suppress(Exception):
            await rebuild.run()
