"""The status document behind `GET /api/v1/status`, the page and the feed: every system's
state now (from its checks' confirmed states and the maintenance announced), its 90 days,
and the notices — public, so without the operators' names."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from libs.catalog.checks_model import Estate
from libs.catalog.model import Catalog
from services.monitoring.adapters.notices_store import NoticeStore
from services.monitoring.adapters.results import ResultStore
from services.monitoring.adapters.status_rollup import (
    StatusRollup,
    checks_by_application,
    maintenance_by_application,
)
from services.monitoring.domain.notices import (
    ANNOUNCEMENT,
    FINAL,
    IN_PROGRESS,
    SCHEDULED,
    STATUS_LABELS,
)
from services.monitoring.domain.status import (
    HISTORY_DAYS,
    LABELS,
    Reading,
    application_state,
    combined_uptime,
    history,
    in_periods,
    local_day,
    overall_state,
    with_live_state,
)

OVERALL = {
    "operational": "Tất cả hệ thống hoạt động bình thường",
    "degraded": "Một số hệ thống đang hoạt động chậm",
    "partial_outage": "Một số hệ thống đang bị gián đoạn",
    "major_outage": "Có hệ thống đang bị gián đoạn nghiêm trọng",
    "maintenance": "Một số hệ thống đang được bảo trì",
    "unknown": "Chưa có dữ liệu giám sát",
}


def system_order(catalog: Catalog, codes: set[str]) -> list[str]:
    """The morning-round systems first, then the others, each in the catalog's order."""
    ordered = [a for a in catalog.applications.values() if a.code in codes]
    return [a.code for a in sorted(ordered, key=lambda a: not a.morning_check)]


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def public_notice(view: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """A notice as anyone may see it: labels added, the operators' names left out."""
    out = {k: v for k, v in view.items() if k not in ("updates", "version")}
    out["status_label"] = STATUS_LABELS.get(view["status"], view["status"])
    out["applications"] = [{"code": c, "name": names.get(c, c)} for c in view["applications"]]
    out["updates"] = [
        {
            "status": u["status"],
            "status_label": STATUS_LABELS.get(u["status"], u["status"]),
            "message": u["message"],
            "at": u["at"],
        }
        for u in reversed(view["updates"])
    ]
    return out


def maintenance_phase(view: dict[str, Any], now: datetime) -> str:
    """active (in progress, or inside its planned window), upcoming, or past."""
    status = view["status"]
    if status in FINAL:
        return "past"
    if status == IN_PROGRESS:
        return "active"
    starts, ends = _when(view.get("starts_at")), _when(view.get("ends_at"))
    assert status == SCHEDULED and starts is not None and ends is not None
    if now < starts:
        return "upcoming"
    return "active" if now < ends else "past"


@dataclass
class StatusView:
    estate: Estate
    catalog: Catalog
    results: ResultStore
    notices: NoticeStore
    rollup: StatusRollup
    clock: Any

    def __post_init__(self) -> None:
        self.apps = checks_by_application(self.estate)
        self.names = {c: a.name for c, a in self.catalog.applications.items()}
        self.order = system_order(self.catalog, set(self.apps))

    async def recent_notices(self) -> list[dict[str, Any]]:
        return await self.notices.recent(self.clock() - timedelta(days=HISTORY_DAYS))

    async def document(self) -> dict[str, Any]:
        now = self.clock()
        today = local_day(now)
        rows = await self.results.states()
        views = await self.recent_notices()
        maintenance = maintenance_by_application(views)
        past = await self.rollup.history(today - timedelta(days=HISTORY_DAYS - 1))
        systems: list[dict[str, Any]] = []
        live_states: list[str] = []
        for code in self.order:
            readings = [_reading(rows.get(c)) for c in self.apps[code]]
            live = application_state(readings, in_periods(maintenance.get(code, []), now))
            days = history(past.get(code, {}), today)
            days[-1] = with_live_state(days[-1], live)
            live_states.append(live)
            counts = Counter(r.state for r in readings)
            systems.append(
                {
                    "application": code,
                    "name": self.names.get(code, code),
                    "state": live,
                    "label": LABELS[live],
                    "checks": {
                        "total": len(readings),
                        **{s: counts.get(s, 0) for s in ("up", "down", "maintenance", "unknown")},
                        "degraded": sum(1 for r in readings if r.degraded and r.state == "up"),
                    },
                    "uptime_90d_pct": combined_uptime(days),
                    "history": [
                        {"date": d.day.isoformat(), "state": d.worst, "uptime_pct": d.uptime_pct}
                        for d in days
                    ],
                }
            )
        overall = overall_state(live_states)
        return {
            "generated_at": now.isoformat(),
            "overall": {"state": overall, "label": OVERALL[overall]},
            "systems": systems,
            **self._notices(views, now),
        }

    def _notices(self, views: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
        announcements: dict[str, list[dict[str, Any]]] = {"current": [], "past": []}
        maintenances: dict[str, list[dict[str, Any]]] = {"active": [], "upcoming": [], "past": []}
        for view in views:
            public = public_notice(view, self.names)
            if view["kind"] == ANNOUNCEMENT:
                announcements["past" if view["status"] in FINAL else "current"].append(public)
            else:
                maintenances[maintenance_phase(view, now)].append(public)
        maintenances["upcoming"].sort(key=lambda m: m["starts_at"])
        return {"announcements": announcements, "maintenances": maintenances}


def _reading(row: dict[str, Any] | None) -> Reading:
    if row is None:
        return Reading("unknown")
    last = row.get("last_result") or {}
    return Reading(row["state"], bool(last.get("degraded")))
