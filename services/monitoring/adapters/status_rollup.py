"""The status page's 90 days of history: one row per application and treasury day.

Raw results are kept only `HOTRO_CHECK_RETENTION_DAYS` (14), so each day is rolled up into
`monitoring.status_daily` (worst state, uptime, seconds per state) and kept there for good.
The rollup reads only where a check's state or slowness changed (a window function over the
day's results, so a day of 1,400 WAN channels a minute stays a small answer), then folds it
with the maintenance announced by operators (domain/status.py decides). Today is redone every
`HOTRO_STATUS_ROLLUP_S` seconds (60); a day whose row was written before the day ended — or
never, after a restart — is redone too, as long as its results are still kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from psycopg import sql
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from libs.catalog.checks_model import Estate
from services.monitoring.domain.status import (
    HISTORY_DAYS,
    DaySummary,
    MaintenancePlan,
    Point,
    Reading,
    Series,
    day_bounds,
    days_to_roll,
    local_day,
    maintenance_periods,
    summarise_day,
)

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


def checks_by_application(estate: Estate) -> dict[str, list[str]]:
    """The checks behind each application on the page (WAN channels have none)."""
    out: dict[str, list[str]] = defaultdict(list)
    for check in estate.checks:
        if check.application is not None:
            out[check.application].append(check.id)
    return dict(out)


def plan_of(view: dict[str, Any]) -> MaintenancePlan | None:
    """The times of a maintenance notice's view (None for announcements)."""
    if view.get("kind") != "maintenance" or not view.get("starts_at"):
        return None

    def at(key: str) -> datetime | None:
        value = view.get(key)
        return datetime.fromisoformat(value) if value else None

    starts, ends = at("starts_at"), at("ends_at")
    assert starts is not None and ends is not None
    return MaintenancePlan(starts, ends, at("started_at"), at("finished_at"))


def maintenance_by_application(
    views: list[dict[str, Any]],
) -> dict[str, list[tuple[datetime, datetime]]]:
    out: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for view in views:
        plan = plan_of(view)
        if plan is None:
            continue
        for code in view["applications"]:
            out[code].extend(maintenance_periods(plan))
    return dict(out)


class StatusRollup:
    def __init__(
        self,
        pool: AsyncConnectionPool[Any],
        schema: str,
        estate: Estate,
        clock: Clock,
        retention_days: int = 14,
    ) -> None:
        self.pool = pool
        self.schema = schema
        self.apps = checks_by_application(estate)
        self.clock = clock
        self.retention_days = retention_days
        self.daily = sql.Identifier(schema, "status_daily")
        self.results = sql.Identifier(schema, "check_results")

    async def ensure_tables(self) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} ("
                    " application text NOT NULL, day date NOT NULL, worst text NOT NULL,"
                    " uptime_pct double precision, up_seconds double precision NOT NULL,"
                    " measured_seconds double precision NOT NULL, seconds jsonb NOT NULL,"
                    " computed_at timestamptz NOT NULL, PRIMARY KEY (application, day))"
                ).format(self.daily)
            )

    async def _series(self, start: datetime, stop: datetime) -> dict[str, Series]:
        """Every check's reading at `start` and its changes until `stop`."""
        initial_q = sql.SQL(
            "SELECT DISTINCT ON (check_id) check_id, state, degraded FROM {}"
            " WHERE checked_at < %s AND checked_at >= %s ORDER BY check_id, checked_at DESC, id DESC"
        ).format(self.results)
        changes_q = sql.SQL(
            "SELECT check_id, checked_at, state, degraded FROM ("
            " SELECT check_id, checked_at, state, degraded, id,"
            "  lag(state) OVER w AS prev_state, lag(degraded) OVER w AS prev_degraded"
            " FROM {} WHERE checked_at >= %s AND checked_at < %s"
            " WINDOW w AS (PARTITION BY check_id ORDER BY checked_at, id)) t"
            " WHERE prev_state IS DISTINCT FROM state OR prev_degraded IS DISTINCT FROM degraded"
            " ORDER BY checked_at, id"
        ).format(self.results)
        lookback = start - timedelta(days=self.retention_days + 1)
        async with self.pool.connection() as conn:
            cur = await conn.execute(initial_q, (start, lookback))
            initial = {r[0]: Reading(r[1], r[2]) for r in await cur.fetchall()}
            cur = await conn.execute(changes_q, (start, stop))
            points: dict[str, list[Point]] = defaultdict(list)
            for check_id, at, state, degraded in await cur.fetchall():
                points[check_id].append(Point(at, Reading(state, degraded)))
        ids = set(initial) | set(points)
        return {c: Series(initial.get(c), tuple(points.get(c, ()))) for c in ids}

    async def roll_day(
        self, day: date, now: datetime, notices: list[dict[str, Any]]
    ) -> dict[str, DaySummary]:
        start, end = day_bounds(day)
        stop = min(end, now)
        series = await self._series(start, stop)
        maintenance = maintenance_by_application(notices)
        summaries = {
            app: summarise_day(
                day,
                {c: series[c] for c in check_ids if c in series},
                maintenance.get(app, []),
                end=now,
            )
            for app, check_ids in self.apps.items()
        }
        async with self.pool.connection() as conn, conn.transaction():
            for app, s in summaries.items():
                await conn.execute(
                    sql.SQL(
                        "INSERT INTO {} (application, day, worst, uptime_pct, up_seconds,"
                        " measured_seconds, seconds, computed_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s)"
                        " ON CONFLICT (application, day) DO UPDATE SET worst = EXCLUDED.worst,"
                        " uptime_pct = EXCLUDED.uptime_pct, up_seconds = EXCLUDED.up_seconds,"
                        " measured_seconds = EXCLUDED.measured_seconds,"
                        " seconds = EXCLUDED.seconds, computed_at = EXCLUDED.computed_at"
                    ).format(self.daily),
                    (
                        app,
                        day,
                        s.worst,
                        s.uptime_pct,
                        s.up_seconds,
                        s.measured_seconds,
                        Jsonb(dict(s.seconds)),
                        now,
                    ),
                )
        return summaries

    async def _computed(self, oldest: date) -> dict[date, datetime]:
        """When each day since `oldest` was last rolled up (the earliest of its rows)."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                sql.SQL("SELECT day, min(computed_at) FROM {} WHERE day >= %s GROUP BY day").format(
                    self.daily
                ),
                (oldest,),
            )
            return {r[0]: r[1] for r in await cur.fetchall()}

    async def roll_due(self, notices: list[dict[str, Any]]) -> list[date]:
        now = self.clock()
        today = local_day(now)
        oldest = today - timedelta(days=min(self.retention_days, HISTORY_DAYS - 1))
        due = days_to_roll(today, await self._computed(oldest), oldest)
        for day in due:
            await self.roll_day(day, now, notices)
        return due

    async def history(self, first: date) -> dict[str, dict[date, DaySummary]]:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                sql.SQL(
                    "SELECT application, day, worst, uptime_pct, up_seconds, measured_seconds,"
                    " seconds FROM {} WHERE day >= %s"
                ).format(self.daily),
                (first,),
            )
            rows = await cur.fetchall()
        out: dict[str, dict[date, DaySummary]] = defaultdict(dict)
        for app, day, worst, uptime, up, measured, seconds in rows:
            out[app][day] = DaySummary(day, worst, uptime, up, measured, seconds)
        return dict(out)


async def roll_forever(
    rollup: StatusRollup,
    notices: Callable[[], Any],
    interval_s: float,
    stop: asyncio.Event,
) -> None:
    """The rollup loop: due days at once, then today every `interval_s` seconds."""
    while not stop.is_set():
        try:
            await rollup.roll_due(await notices())
        except Exception:
            log.exception("status rollup failed; retrying at the next interval")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_s)
