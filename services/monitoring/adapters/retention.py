"""The raw results are kept `retention` long, then swept (the state and the events stay)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from services.monitoring.adapters.probes import Clock
from services.monitoring.adapters.results import ResultStore

log = logging.getLogger(__name__)


async def sweep_forever(
    results: ResultStore,
    clock: Clock,
    retention: timedelta,
    stop: asyncio.Event,
    every_s: float = 3600,
) -> None:
    while not stop.is_set():
        try:
            deleted = await results.sweep(clock() - retention)
            if deleted:
                log.info("old check results swept", extra={"deleted": deleted})
        except Exception:
            log.exception("sweeping old check results failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every_s)
