"""The monitoring service: `python -m services.monitoring.main`.

Settings (beside the suite's): HOTRO_CHECKS_FILE (another estate than catalog/checks.yaml),
HOTRO_CHECK_CONCURRENCY (probes at once, 64), HOTRO_CHECK_RETENTION_DAYS (raw results kept,
14), HOTRO_CHECKER_ENABLED (0 stops the continuous checks, e.g. for tests of other services).
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from libs.catalog import load_catalog
from libs.catalog.checks import load_estate
from libs.events.sinks import ProjectionSink
from libs.events.topics import ROUTING
from libs.platform.service import ServiceKit, run_service
from libs.platform.settings import SettingError
from services.monitoring.adapters import reports_projection
from services.monitoring.adapters.checker import Checker
from services.monitoring.adapters.recorder import Recorder
from services.monitoring.adapters.results import ResultStore
from services.monitoring.adapters.retention import sweep_forever
from services.monitoring.adapters.store import MonitoringApplication, to_contract
from services.monitoring.api import checks
from services.monitoring.api.errors import install_error_handlers


def _number(name: str, default: str) -> float:
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        raise SettingError(f"{name} must be a number") from None
    if value < 0:
        raise SettingError(f"{name} must not be negative")
    return value


def utc_now() -> datetime:
    return datetime.now(UTC)


async def main() -> None:
    kit = ServiceKit("monitoring")
    estate = load_estate(load_catalog())
    concurrency = int(_number("HOTRO_CHECK_CONCURRENCY", "64")) or 1
    retention = timedelta(days=_number("HOTRO_CHECK_RETENTION_DAYS", "14"))
    # asyncio resolves host names in its default executor (6 threads on 2 cores): one per
    # probe slot, so a slow resolver cannot queue the checks behind each other.
    asyncio.get_running_loop().set_default_executor(
        ThreadPoolExecutor(max_workers=max(concurrency, 8), thread_name_prefix="resolve")
    )
    app = await asyncio.to_thread(kit.event_store, MonitoringApplication)
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

    results = ResultStore(pool, kit.schema)
    await results.ensure_tables()
    recorder = Recorder(app, results)
    await recorder.start(estate.checks)
    kit.relay(app, to_contract)
    checker = Checker(estate.checks, recorder.record, utc_now, concurrency=concurrency)
    if os.environ.get("HOTRO_CHECKER_ENABLED", "1") != "0":
        kit.loops.append(checker.run)
    kit.loops.append(lambda stop: sweep_forever(results, utc_now, retention, stop))

    http = kit.http("Hotro monitoring", [checks.router])
    install_error_handlers(http)
    http.state.checks = checks.ChecksServices(estate, results, utc_now)
    http.state.checker = checker
    http.state.recorder = recorder
    await kit.run(http)


if __name__ == "__main__":
    run_service(main)
