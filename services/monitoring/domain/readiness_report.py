"""The readiness report's content (SPEC §5): which systems are ready, why not, in Vietnamese.

A system (an application of the catalog) is ready when every one of its morning checks
succeeded; a slow answer (degraded) is ready but noted. The mail's layout is a template
(`services/monitoring/templates/`); what it says is decided here, so it is tested without a
mail server and the same figures go into the `round_completed` event and the API.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from services.monitoring.domain.morning_round import RoundTimes

WEEKDAY_NAMES = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")
#: The reason shown for a check the round could not finish (cut off, never recorded).
NO_RESULT = "không có kết quả kiểm tra"


def vietnamese_date(day: date) -> str:
    """`Thứ Sáu, 04/12/2026`: how a date is written in a treasury document."""
    return f"{WEEKDAY_NAMES[day.weekday()]}, {day:%d/%m/%Y}"


def summary_line(ready: int, total: int) -> str:
    return f"{ready}/{total} hệ thống sẵn sàng"


@dataclass(frozen=True)
class CheckOutcome:
    """One morning check's final result in a round (after its retries)."""

    check_id: str
    application: str | None
    name: str
    kind: str
    ok: bool
    degraded: bool
    reason: str
    checked_at: datetime | None
    duration_ms: int
    attempts: int

    def public(self) -> dict[str, object]:
        return {
            "check_id": self.check_id,
            "application": self.application,
            "name": self.name,
            "kind": self.kind,
            "ok": self.ok,
            "degraded": self.degraded,
            "reason": self.reason or None,
            "checked_at": self.checked_at.isoformat() if self.checked_at else None,
            "duration_ms": self.duration_ms,
            "attempts": self.attempts,
        }

    @classmethod
    def of(cls, data: Mapping[str, object]) -> CheckOutcome:
        checked = data.get("checked_at")
        return cls(
            check_id=str(data["check_id"]),
            application=None if data.get("application") is None else str(data["application"]),
            name=str(data.get("name") or ""),
            kind=str(data.get("kind") or ""),
            ok=bool(data["ok"]),
            degraded=bool(data.get("degraded", False)),
            reason=str(data.get("reason") or ""),
            checked_at=datetime.fromisoformat(checked) if isinstance(checked, str) else None,
            duration_ms=int(str(data.get("duration_ms") or 0)),
            attempts=int(str(data.get("attempts") or 1)),
        )


def missing(check_id: str, application: str | None, name: str, kind: str) -> CheckOutcome:
    return CheckOutcome(check_id, application, name, kind, False, False, NO_RESULT, None, 0, 0)


@dataclass(frozen=True)
class SystemStatus:
    application: str
    name: str
    ok: bool
    checks: tuple[CheckOutcome, ...]

    @property
    def degraded(self) -> bool:
        return self.ok and any(c.degraded for c in self.checks)


def systems_of(
    outcomes: Iterable[CheckOutcome], names: Mapping[str, str] | None = None
) -> list[SystemStatus]:
    """Outcomes grouped by application, in the order the checks file lists them."""
    grouped: dict[str, list[CheckOutcome]] = {}
    for outcome in outcomes:
        grouped.setdefault(outcome.application or outcome.check_id, []).append(outcome)
    names = names or {}
    return [
        SystemStatus(code, names.get(code, code), all(c.ok for c in checks), tuple(checks))
        for code, checks in grouped.items()
    ]


@dataclass(frozen=True)
class ReadinessReport:
    day: date
    day_label: str
    systems: tuple[SystemStatus, ...]
    ready: int
    total: int
    summary: str
    subject: str
    late: bool
    started_at: datetime
    completed_at: datetime
    #: Why the report is late, in Vietnamese (empty when on time).
    late_reason: str
    tz: ZoneInfo

    def local(self, moment: datetime | None) -> str:
        return moment.astimezone(self.tz).strftime("%H:%M:%S") if moment else "—"


def late_reason(times: RoundTimes, day: date, started_at: datetime, completed_at: datetime) -> str:
    """Why a round is late, in the report's words."""
    due, complete_by = times.due(day), times.completion_deadline(day)
    if times.started_late(day, started_at):
        return (
            f"Vòng kiểm tra bắt đầu lúc {started_at.astimezone(times.tz):%H:%M} thay vì "
            f"{due:%H:%M} (dịch vụ giám sát không hoạt động đúng giờ)."
        )
    if completed_at > complete_by:
        return (
            f"Vòng kiểm tra hoàn thành lúc {completed_at.astimezone(times.tz):%H:%M}, "
            f"sau hạn {complete_by:%H:%M}."
        )
    return f"Báo cáo được gửi sau hạn {times.report_deadline(day):%H:%M}."


def compose_report(
    day: date,
    outcomes: Iterable[CheckOutcome],
    names: Mapping[str, str],
    *,
    started_at: datetime,
    completed_at: datetime,
    late: bool,
    why_late: str,
    tz: ZoneInfo,
) -> ReadinessReport:
    systems = tuple(systems_of(outcomes, names))
    ready = sum(1 for s in systems if s.ok)
    label = vietnamese_date(day)
    summary = summary_line(ready, len(systems))
    subject = f"[Hotro] Báo cáo sẵn sàng hệ thống sáng {label}: {summary}"
    if late:
        subject += " (báo cáo trễ)"
    return ReadinessReport(
        day=day,
        day_label=label,
        systems=systems,
        ready=ready,
        total=len(systems),
        summary=summary,
        subject=subject,
        late=late,
        started_at=started_at,
        completed_at=completed_at,
        late_reason=why_late if late else "",
        tz=tz,
    )


def login_alert_text(application_name: str, check_name: str, reason: str, at: str) -> str:
    """The short text of a failed-login alert (mail subject and an SMS-sized message)."""
    return (
        f"Đăng nhập thử {application_name} thất bại lúc {at} "
        f"trong vòng kiểm tra sáng ({check_name}): {reason}"
    )
