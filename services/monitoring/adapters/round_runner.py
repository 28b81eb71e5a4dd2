"""Runs a morning round: every `morning: true` check at once, retries, alerts, the one report.

Each step is saved in the day's `ReadinessRound` before the next one, so a process that dies
mid-round resumes where it stopped (the checks not yet recorded, then completion, then the
report) and a day already reported is never reported again: the aggregate refuses a second
`ReportSent`, and the mail itself carries the dedupe key `readiness-report:<date>`.
A failed login tells its group's lead at once, in a task of its own, while the round goes on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from eventsourcing.application import AggregateNotFoundError

from libs.catalog.checks_model import Check
from libs.catalog.model import Catalog
from libs.platform.outgoing_mail import OutgoingMail
from services.monitoring.adapters.notifier import NOTIFICATIONS, Background, WebhookNotifier
from services.monitoring.adapters.readiness_mail import login_alert_message, report_message
from services.monitoring.adapters.readiness_recipients import Recipients, lead_of
from services.monitoring.adapters.readiness_store import round_id_of
from services.monitoring.adapters.store import MonitoringApplication
from services.monitoring.domain.evaluation import Result
from services.monitoring.domain.morning_round import Progress, RetryPolicy, RoundTimes
from services.monitoring.domain.readiness_report import (
    CheckOutcome,
    compose_report,
    late_reason,
    login_alert_text,
    missing,
    systems_of,
    vietnamese_date,
)
from services.monitoring.domain.readiness_round import ReadinessRound

log = logging.getLogger(__name__)

CheckOnce = Callable[[Check], Awaitable[Result]]
Clock = Callable[[], datetime]


@dataclass
class RoundParts:
    """What a round needs besides the event store (built once in main)."""

    checks: tuple[Check, ...]
    catalog: Catalog
    check_once: CheckOnce
    times: RoundTimes
    retry: RetryPolicy
    recipients: Recipients
    mail: OutgoingMail
    webhook: WebhookNotifier
    clock: Clock


class MorningRound:
    def __init__(self, app: MonitoringApplication, parts: RoundParts) -> None:
        self.app = app
        self.p = parts
        self.names = {code: a.name for code, a in parts.catalog.applications.items()}
        self.background = Background()
        #: Days whose run a task of this process is carrying out now.
        self.active: set[str] = set()
        #: Mutations and saves of a round one at a time (its checks finish concurrently).
        self.saving = asyncio.Lock()
        self.rounds: dict[str, ReadinessRound | None] = {}
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="readiness-store")

    def now(self) -> datetime:
        return self.p.clock()

    # -- the event store -------------------------------------------------------------------

    async def _blocking(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    async def load(self, day: str) -> ReadinessRound | None:
        if day not in self.rounds:
            try:
                self.rounds[day] = await self._blocking(self.app.repository.get, round_id_of(day))
            except AggregateNotFoundError:
                self.rounds[day] = None
        return self.rounds[day]

    async def _save(self, agg: ReadinessRound) -> None:
        try:
            await self._blocking(self.app.save, agg)
        except Exception:
            self.rounds.pop(agg.day, None)  # reload the truth next time
            raise

    async def progress(self, day: str) -> Progress:
        agg = await self.load(day)
        return "none" if agg is None else agg.progress

    # -- the steps the scheduler and the API ask for ---------------------------------------

    async def begin(self, day: date, trigger: str, by: str, late: bool) -> ReadinessRound:
        """Open a new run of the day's round (RunInProgress when one is going)."""
        key = day.isoformat()
        async with self.saving:
            agg = await self.load(key) or ReadinessRound(id=round_id_of(key), day=key)
            agg.start_run(
                run=agg.runs + 1,
                at=self.p.clock(),
                trigger=trigger,
                by=by,
                late=late,
                checks=[c.id for c in self.p.checks],
            )
            await self._save(agg)
            self.rounds[key] = agg
        log.info("readiness round started", extra={"day": key, "run": agg.runs, "trigger": trigger})
        return agg

    async def run(self, day: date, trigger: str, by: str, late: bool) -> ReadinessRound:
        agg = await self.begin(day, trigger, by, late)
        await self.carry_on(day)
        return agg

    async def carry_on(self, day: date) -> None:
        """Finish what the day's round has not done yet: its open run, then its report."""
        key = day.isoformat()
        if key in self.active:
            return
        self.active.add(key)
        try:
            agg = await self.load(key)
            if agg is not None and agg.running:
                await self._finish_run(agg, day)
            agg = await self.load(key)
            if agg is not None and agg.progress == "completed":
                await self._report(agg, day)
        finally:
            self.active.discard(key)

    def start_in_background(self, agg: ReadinessRound, day: date) -> None:
        self.background.start(self.carry_on(day), name=f"readiness:{agg.day}:{agg.runs}")

    # -- a run -----------------------------------------------------------------------------

    async def _finish_run(self, agg: ReadinessRound, day: date) -> None:
        run = agg.runs
        remaining = [c for c in self.p.checks if c.id not in agg.results]
        await asyncio.gather(*(self._check(agg, run, day, c) for c in remaining))
        by_id = {o.check_id: o for o in agg.outcomes()}
        outcomes = [
            by_id.get(c.id) or missing(c.id, c.application, c.name, c.kind) for c in self.p.checks
        ]
        systems = systems_of(outcomes, self.names)
        async with self.saving:
            now = self.p.clock()
            assert agg.started_at is not None
            agg.complete(
                run=run,
                day=agg.day,
                trigger=agg.trigger,
                started_at=agg.started_at,
                at=now,
                late=agg.late or self.p.times.late(day, agg.started_at, now),
                checks=[o.public() for o in outcomes],
                systems_total=len(systems),
                systems_ready=sum(1 for s in systems if s.ok),
            )
            await self._save(agg)
        log.info(
            "readiness round completed",
            extra={"day": agg.day, "run": run, "late": agg.late, "systems": len(systems)},
        )

    async def _attempt(self, check: Check) -> Result:
        try:
            return await self.p.check_once(check)
        except Exception as error:  # recording failed; the round still has an answer
            log.exception("morning check failed to run", extra={"check_id": check.id})
            return Result(False, False, f"the check could not run: {error!r}", 0, self.p.clock())

    async def _check(self, agg: ReadinessRound, run: int, day: date, check: Check) -> None:
        assert agg.started_at is not None
        deadline = self.p.times.completion_deadline(day)
        attempts = 0
        while True:
            result = await self._attempt(check)
            attempts += 1
            if result.ok:
                break
            again = self.p.retry.retry_at(
                attempts,
                self.p.clock(),
                agg.started_at,
                deadline,
                timedelta(seconds=check.timeout_s),
            )
            if again is None:
                break
            await asyncio.sleep(max((again - self.p.clock()).total_seconds(), 0))
        outcome = CheckOutcome(
            check_id=check.id,
            application=check.application,
            name=check.name,
            kind=check.kind,
            ok=result.ok,
            degraded=result.degraded,
            reason=result.reason,
            checked_at=result.checked_at,
            duration_ms=result.duration_ms,
            attempts=attempts,
        )
        async with self.saving:
            agg.record_check(run=run, result=outcome.public())
            await self._save(agg)
        if check.kind == "login" and not result.ok:
            await self._login_failed(agg, run, check, result)

    # -- a failed login --------------------------------------------------------------------

    async def _login_failed(
        self, agg: ReadinessRound, run: int, check: Check, result: Result
    ) -> None:
        group, lead = lead_of(self.p.catalog, check.application)
        async with self.saving:
            agg.alert_login_failed(
                run=run,
                day=agg.day,
                check_id=check.id,
                application=check.application,
                name=check.name,
                group=group,
                lead_email=lead,
                reason=result.reason,
                checked_at=result.checked_at,
                at=self.p.clock(),
            )
            await self._save(agg)
        self.background.start(
            self._tell_lead(agg.day, run, check, result, group, lead),
            name=f"login-alert:{agg.day}:{check.id}",
        )

    async def _tell_lead(
        self,
        day: str,
        run: int,
        check: Check,
        result: Result,
        group: str | None,
        lead: str | None,
    ) -> None:
        app_name = self.names.get(check.application or "", check.application or check.id)
        at = result.checked_at.astimezone(self.p.times.tz).strftime("%H:%M:%S")
        text = login_alert_text(app_name, check.name or check.id, result.reason, at)
        payload = {
            "type": "hotro.readiness.login_failed.v1",
            "date": day,
            "run": run,
            "check_id": check.id,
            "application": check.application,
            "group": group,
            "lead_email": lead,
            "reason": result.reason,
            "checked_at": result.checked_at.isoformat(),
            "message": text,
        }
        webhook = self.background.start(self.p.webhook.post(payload), name=f"webhook:{check.id}")
        if lead is not None:
            group_obj = self.p.catalog.groups.get(group or "")
            message = login_alert_message(
                lead,
                f"[Hotro] KHẨN: {text}"[:200],
                group_name=f"Trưởng nhóm {group_obj.name.removeprefix('Nhóm ')}"
                if group_obj
                else "Trưởng nhóm",
                text=text,
                application=check.application,
                application_name=app_name,
                check_name=check.name or check.id,
                check_id=check.id,
                at=at,
                day_label=vietnamese_date(date.fromisoformat(day)),
                reason=result.reason,
            )
            await self.p.mail.send(message, dedupe_key=f"readiness-login:{day}:{run}:{check.id}")
            NOTIFICATIONS.labels("mail", "sent").inc()
        await webhook

    # -- the report ------------------------------------------------------------------------

    async def _report(self, agg: ReadinessRound, day: date) -> None:
        assert agg.started_at is not None and agg.completed_at is not None
        now = self.p.clock()
        times = self.p.times
        late = agg.late or times.late(day, agg.started_at, agg.completed_at, now)
        why = late_reason(times, day, agg.started_at, agg.completed_at)
        report = compose_report(
            day,
            agg.outcomes(),
            self.names,
            started_at=agg.started_at,
            completed_at=agg.completed_at,
            late=late,
            why_late=why,
            tz=times.tz,
        )
        message = report_message(report, self.p.recipients)
        await self.p.mail.send(message, dedupe_key=f"readiness-report:{agg.day}")
        async with self.saving:
            agg.report_sent(
                run=agg.runs,
                day=agg.day,
                at=now,
                late=late,
                recipients=list(self.p.recipients.everyone),
                message_id=str(message["Message-ID"]),
                systems_total=report.total,
                systems_ready=report.ready,
            )
            await self._save(agg)
        log.info("readiness report sent", extra={"day": agg.day, "late": late})

    async def close(self) -> None:
        await self.background.drain(timeout_s=5)
        self.executor.shutdown(wait=False)
