"""One day's morning round, event-sourced: its runs, each check's result, its one report.

The aggregate is keyed by the treasury day, so "never two reports for one day" is an
invariant of one aggregate (`check_not_reported`), not a race between processes: a second
`report_sent` raises, and two writers of the same day collide on its version. A run can be
repeated (a late or an on-demand round re-checks everything); the report is sent once, for
the first run that completed.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

from services.monitoring.domain.morning_round import Progress
from services.monitoring.domain.readiness_report import CheckOutcome


class RoundError(Exception):
    """A command the day's round cannot accept in its state."""


class AlreadyReported(RoundError):
    pass


class RunInProgress(RoundError):
    pass


class NoOpenRun(RoundError):
    pass


class ReadinessRound(Aggregate):
    @event("Opened")
    def __init__(self, id: uuid.UUID, day: str) -> None:
        self.day = day
        self.runs = 0
        self.running = False
        self.trigger = ""
        self.started_at: datetime | None = None
        self.completed_at: datetime | None = None
        self.late = False
        self.checks: list[str] = []
        self.results: dict[str, dict[str, Any]] = {}
        self.reported_at: datetime | None = None
        self.reported_run = 0
        self.report_late = False
        self.recipients: list[str] = []
        self.login_alerts: list[str] = []

    # -- invariants ----------------------------------------------------------------------

    def check_not_running(self) -> None:
        if self.running:
            raise RunInProgress(f"run {self.runs} of the {self.day} round is still going")

    def check_running(self, run: int) -> None:
        if not self.running or run != self.runs:
            raise NoOpenRun(f"run {run} of the {self.day} round is not open")

    def check_not_reported(self) -> None:
        if self.reported_at is not None:
            raise AlreadyReported(f"the {self.day} report was sent at {self.reported_at}")

    # -- commands (each one event) -------------------------------------------------------

    @event("RunStarted")
    def start_run(
        self, run: int, at: datetime, trigger: str, by: str, late: bool, checks: list[str]
    ) -> None:
        self.check_not_running()
        self.runs = run
        self.running = True
        self.trigger = trigger
        self.started_at = at
        self.completed_at = None
        self.late = late
        self.checks = list(checks)
        self.results = {}
        self.login_alerts = []

    @event("CheckDone")
    def record_check(self, run: int, result: dict[str, Any]) -> None:
        self.check_running(run)
        self.results[str(result["check_id"])] = dict(result)

    @event("LoginFailed")
    def alert_login_failed(
        self,
        run: int,
        day: str,
        check_id: str,
        application: str | None,
        name: str,
        group: str | None,
        lead_email: str | None,
        reason: str,
        checked_at: datetime,
        at: datetime,
    ) -> None:
        self.check_running(run)
        self.login_alerts.append(check_id)

    @event("Completed")
    def complete(
        self,
        run: int,
        day: str,
        trigger: str,
        started_at: datetime,
        at: datetime,
        late: bool,
        checks: list[dict[str, Any]],
        systems_total: int,
        systems_ready: int,
    ) -> None:
        """The run's final results travel in the event, so the published contract carries
        them (reporting builds readiness per day and system from it alone)."""
        self.check_running(run)
        self.running = False
        self.completed_at = at
        self.late = late

    @event("ReportSent")
    def report_sent(
        self,
        run: int,
        day: str,
        at: datetime,
        late: bool,
        recipients: list[str],
        message_id: str,
        systems_total: int,
        systems_ready: int,
    ) -> None:
        self.check_not_reported()
        self.reported_at = at
        self.reported_run = run
        self.report_late = late
        self.recipients = list(recipients)

    # -- queries -------------------------------------------------------------------------

    @property
    def progress(self) -> Progress:
        if self.reported_at is not None:
            return "reported"
        if self.running:
            return "running"
        return "completed" if self.completed_at is not None else "none"

    def outcomes(self) -> list[CheckOutcome]:
        return [CheckOutcome.of(self.results[c]) for c in self.checks if c in self.results]

    def public(self) -> dict[str, Any]:
        """`GET /readiness/{date}`: the latest run's checks; the report's time and lateness
        once sent (a repeated run re-checks but is never reported again)."""
        checks = [o.public() for o in self.outcomes()]
        return {
            "date": self.day,
            "checks": checks,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "completed_at": self.completed_at.isoformat() if self.completed_at else None,
            "sent_at": self.reported_at.isoformat() if self.reported_at else None,
            "late": self.report_late if self.reported_at is not None else self.late,
            "run": self.runs,
            "reported_run": self.reported_run or None,
            "trigger": self.trigger,
            "status": self.progress,
            "recipients": self.recipients,
            "login_alerts": self.login_alerts,
        }
