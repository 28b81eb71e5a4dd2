"""The monitoring service: `python -m services.monitoring.main`.

Settings (beside the suite's): HOTRO_CHECKS_FILE (another estate than catalog/checks.yaml),
HOTRO_CHECK_CONCURRENCY (probes at once, 64), HOTRO_CHECK_RETENTION_DAYS (raw results kept,
14), HOTRO_CHECKER_ENABLED (0 stops the continuous checks, e.g. for tests of other services).
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from libs.catalog import load_catalog
from libs.catalog.checks import load_estate
from libs.events.sinks import ProjectionSink
from libs.events.topics import ROUTING
from libs.platform.service import ServiceKit, run_service
from libs.platform.settings import SettingError
from services.monitoring.adapters import reports_projection
from services.monitoring.adapters.checker import Checker
from services.monitoring.adapters.incidents import wire_incidents, with_incident_contracts
from services.monitoring.adapters.notices_store import with_notices
from services.monitoring.adapters.readiness_store import with_readiness
from services.monitoring.adapters.recorder import Recorder
from services.monitoring.adapters.results import ResultStore
from services.monitoring.adapters.retention import sweep_forever
from services.monitoring.adapters.round_settings import service_now
from services.monitoring.adapters.round_wiring import wire_readiness
from services.monitoring.adapters.status_wiring import wire_status
from services.monitoring.adapters.store import MonitoringApplication, to_contract
from services.monitoring.api import alerts, checks, notices, readiness, status
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
    return service_now()  # HOTRO_CLOCK_OFFSET_S moves it (adapters/round_settings.py)


async def main() -> None:
    kit = ServiceKit("monitoring")
    catalog = load_catalog()
    estate = load_estate(catalog)
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
    kit.relay(app, with_readiness(with_notices(with_incident_contracts(to_contract))))
    alert_services = wire_incidents(kit, app, estate, catalog, utc_now)
    checker = Checker(estate.checks, recorder.record, utc_now, concurrency=concurrency)
    if os.environ.get("HOTRO_CHECKER_ENABLED", "1") != "0":
        kit.loops.append(checker.run)
    kit.loops.append(lambda stop: sweep_forever(results, utc_now, retention, stop))

    http = kit.http(
        "Hotro monitoring",
        [checks.router, alerts.router, status.router, notices.router, readiness.router],
    )
    install_error_handlers(http)
    await wire_status(kit, http, app, catalog, estate, results, utc_now, retention)
    http.state.checks = checks.ChecksServices(estate, results, utc_now)
    http.state.checker = checker
    http.state.recorder = recorder
    http.state.alerts = alert_services
    await wire_readiness(kit, http, app, catalog, estate, checker, pool, utc_now)
    await kit.run(http)


if __name__ == "__main__":
    run_service(main)
