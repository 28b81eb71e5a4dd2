"""Report assembly: the adapter's rows, the treasury calendar and the pure composition."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from libs.calendar.business import BusinessCalendar, Calendar
from services.reporting.adapters.report_queries import ReportQueries
from services.reporting.domain.periods import Period
from services.reporting.domain.report import ReportInputs, compose_report


@dataclass
class ReportService:
    queries: ReportQueries
    calendar: Calendar
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def _business_hours(self, a: datetime, b: datetime) -> float:
        return self.calendar.business_time_between(a, b) / timedelta(hours=1)

    def _is_working_day(self, day: Any) -> bool:
        if isinstance(self.calendar, BusinessCalendar):
            return self.calendar.is_working_day(day)
        return True

    async def report(self, period: Period, province: str | None) -> dict[str, Any]:
        return compose_report(
            ReportInputs(
                period=period,
                tickets=await self.queries.tickets(period, province),
                backlog=await self.queries.backlog(period, province),
                business_hours=self._business_hours,
                is_working_day=self._is_working_day,
                outages=await self.queries.outages(period, province),
                readiness=await self.queries.readiness(period),
                now=self.clock(),
            )
        )
