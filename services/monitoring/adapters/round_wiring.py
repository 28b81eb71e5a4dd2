"""Builds the morning round into the monitoring service (one call from main).

Everything it reads is checked before the service starts: the treasury calendar (the same
`libs/calendar` data the SLA clocks use), the report's recipients, the round's settings.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from libs.calendar import load_business_calendar
from libs.catalog.checks_model import LOCAL_TZ, Estate
from libs.catalog.loader import catalog_dir
from libs.catalog.model import Catalog
from libs.platform.outgoing_mail import OutgoingMail
from libs.platform.service import ServiceKit
from services.monitoring.adapters.checker import Checker
from services.monitoring.adapters.notifier import WebhookNotifier
from services.monitoring.adapters.readiness_recipients import load_recipients
from services.monitoring.adapters.round_runner import Clock, MorningRound, RoundParts
from services.monitoring.adapters.round_scheduler import schedule_rounds
from services.monitoring.adapters.round_settings import RoundSettings, clock_offset
from services.monitoring.adapters.store import MonitoringApplication
from services.monitoring.api.readiness import ReadinessServices
from services.monitoring.domain.morning_round import RoundTimes


async def wire_readiness(
    kit: ServiceKit,
    http: FastAPI,
    app: MonitoringApplication,
    catalog: Catalog,
    estate: Estate,
    checker: Checker,
    pool: Any,
    clock: Clock,
) -> MorningRound:
    clock_offset()  # a malformed HOTRO_CLOCK_OFFSET_S stops the start, not a loop later
    settings = RoundSettings.from_env()
    calendar = load_business_calendar(catalog_dir())
    recipients = load_recipients(settings.recipients_file, catalog)
    mail = OutgoingMail(pool, kit.schema)
    await mail.ensure_table()
    times = RoundTimes(tz=LOCAL_TZ)
    morning = MorningRound(
        app,
        RoundParts(
            checks=estate.morning,
            catalog=catalog,
            check_once=checker.check_once,
            times=times,
            retry=settings.retry,
            recipients=recipients,
            mail=mail,
            webhook=WebhookNotifier(settings.webhook_url, settings.webhook_token),
            clock=clock,
        ),
    )
    http.state.readiness = ReadinessServices(morning, times)
    if settings.enabled:
        kit.loops.append(lambda stop: schedule_rounds(morning, calendar, times, clock, stop))
    return morning
