"""Scheduled delivery of the reports: exactly once per period and recipient, across restarts.

`reporting.report_deliveries` has one row per (kind, period, recipient, province), written after
the mail went out; the mail itself goes through libs/platform/outgoing_mail.py with the same
key as its dedupe key. Only one reporting process delivers at a time (an advisory lock), so
replicas and restarts never send a period twice. `report_schedule.since` is when delivery was
first switched on: nothing that fell due before it is sent (domain/schedule.py).

| setting | default | what |
|---|---|---|
| `HOTRO_REPORT_DELIVERY_ENABLED` | 1 | 0: no scheduled delivery |
| `HOTRO_REPORT_DELIVERY_INTERVAL_S` | 60 | how often the schedule is looked at |
| `HOTRO_REPORT_RECIPIENTS_FILE` | `<catalog>/report_recipients.yaml` | who gets what |
| `HOTRO_CLOCK_OFFSET_S` | 0 | the service's clock runs this far ahead of (or behind) the wall clock (tests, rehearsals; as monitoring's) |
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from psycopg_pool import AsyncConnectionPool

from libs.catalog.loader import catalog_dir
from libs.platform.outgoing_mail import OutgoingMail
from libs.platform.settings import SettingError
from services.reporting.adapters.report_mail import report_message
from services.reporting.adapters.report_queries import ReportQueries
from services.reporting.adapters.report_recipients import Recipient
from services.reporting.api.report_service import ReportService
from services.reporting.domain.periods import Period
from services.reporting.domain.schedule import due_periods

log = logging.getLogger(__name__)
_LOCK = 7_330_002


def _number(name: str, default: str) -> float:
    raw = os.environ.get(name, default)
    try:
        return float(raw)
    except ValueError:
        raise SettingError(f"{name} must be a number, got {raw!r}") from None


def service_now() -> datetime:
    """Reporting's clock: the wall clock moved by HOTRO_CLOCK_OFFSET_S (tests, rehearsals)."""
    return datetime.now(UTC) + timedelta(seconds=_number("HOTRO_CLOCK_OFFSET_S", "0"))


@dataclass(frozen=True)
class DeliverySettings:
    enabled: bool
    interval_s: float
    recipients_file: Path

    @classmethod
    def from_env(cls) -> DeliverySettings:
        _number("HOTRO_CLOCK_OFFSET_S", "0")  # a malformed offset stops the start
        file = os.environ.get("HOTRO_REPORT_RECIPIENTS_FILE")
        return cls(
            enabled=os.environ.get("HOTRO_REPORT_DELIVERY_ENABLED", "1") != "0",
            interval_s=max(0.2, _number("HOTRO_REPORT_DELIVERY_INTERVAL_S", "60")),
            recipients_file=Path(file) if file else catalog_dir() / "report_recipients.yaml",
        )


def delivery_key(period: Period, recipient: Recipient) -> str:
    return f"report:{period.kind}:{period.label}:{recipient.province or ''}:{recipient.email}"


class ReportDelivery:
    def __init__(
        self,
        *,
        pool: AsyncConnectionPool[Any],
        schema: str,
        reports: ReportService,
        queries: ReportQueries,
        mail: OutgoingMail,
        recipients: list[Recipient],
        is_working_day: Callable[[date], bool],
        clock: Callable[[], datetime] = service_now,
        interval_s: float = 60,
    ) -> None:
        self.pool = pool
        self.s = f'"{schema}"'
        self.reports = reports
        self.queries = queries
        self.mail = mail
        self.recipients = recipients
        self.is_working_day = is_working_day
        self.clock = clock
        self.interval_s = interval_s

    async def ensure_tables(self) -> None:
        """The tables are made by projections.ensure_schema (with their comments)."""
        await self.mail.ensure_table()
        async with self.pool.connection() as conn:
            await conn.execute(
                f"INSERT INTO {self.s}.report_schedule (id, since) VALUES (1, %s)"
                " ON CONFLICT DO NOTHING",
                (self.clock(),),
            )

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.deliver_due()
            except Exception:
                log.exception("report delivery failed; trying again later")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval_s)

    async def deliver_due(self) -> int:
        """Send every report due now that has not gone out; the number sent."""
        sent = 0
        async with self.pool.connection() as lock:
            cur = await lock.execute("SELECT pg_try_advisory_lock(%s)", (_LOCK,))
            row = await cur.fetchone()
            if not row or not row[0]:
                return 0  # another reporting process delivers
            try:
                since = await self._since()
                for period in due_periods(self.clock(), since, self.is_working_day):
                    sent += await self._deliver_period(period)
            finally:
                await lock.execute("SELECT pg_advisory_unlock(%s)", (_LOCK,))
        return sent

    async def _since(self) -> datetime:
        async with self.pool.connection() as conn:
            cur = await conn.execute(f"SELECT since FROM {self.s}.report_schedule WHERE id = 1")
            row = await cur.fetchone()
        return row[0] if row else self.clock()

    async def _deliver_period(self, period: Period) -> int:
        waiting = [
            r
            for r in self.recipients
            if period.kind in r.kinds and not await self._delivered(period, r)
        ]
        reports: dict[str | None, dict[str, Any]] = {}
        for recipient in waiting:
            if recipient.province not in reports:
                reports[recipient.province] = await self.reports.report(period, recipient.province)
            errors = (
                await self.queries.user_errors(period, recipient.province)
                if recipient.province
                else None
            )
            message = report_message(recipient, reports[recipient.province], errors)
            await self.mail.send(message, delivery_key(period, recipient))
            await self._record(period, recipient, str(message["Message-ID"]))
            log.info(
                "report delivered",
                extra={"period": period.label, "recipient": recipient.email},
            )
        return len(waiting)

    async def _delivered(self, period: Period, recipient: Recipient) -> bool:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT 1 FROM {self.s}.report_deliveries WHERE kind = %s AND period = %s"
                " AND recipient = %s AND province = %s",
                (period.kind, period.label, recipient.email, recipient.province or ""),
            )
            return await cur.fetchone() is not None

    async def _record(self, period: Period, recipient: Recipient, message_id: str) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(
                f"INSERT INTO {self.s}.report_deliveries (kind, period, recipient, province,"
                " message_id, sent_at) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (
                    period.kind,
                    period.label,
                    recipient.email,
                    recipient.province or "",
                    message_id,
                    datetime.now(UTC),
                ),
            )
