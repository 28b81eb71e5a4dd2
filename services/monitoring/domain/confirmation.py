"""When does a target's state change? The confirmation state machine of SPEC §5.

A single failed check is not an outage: `confirm_failures` consecutive failures make a target
*down*, `confirm_recoveries` consecutive successes make it *up* again (Gatus' failure/success
thresholds). A target inside a maintenance window is in *maintenance*, whatever its checks say
(they are still counted, so the window's end lands on the state they prove). A target that
keeps changing state — `flap_max_changes` up/down changes within `flap_window_s` — is
*flapping*: while it does, a down target needs `flap_confirm_recoveries` successes to be up,
so one incident stays open instead of a new one every few minutes.

`since` is when the new state began, not when it was confirmed: a target is down from its
first failed check of the streak, so the outage's duration is up.since − down.since.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from libs.catalog.checks_model import Check

UP = "up"
DOWN = "down"
UNKNOWN = "unknown"
MAINTENANCE = "maintenance"
STATES = (UP, DOWN, UNKNOWN, MAINTENANCE)


@dataclass(frozen=True)
class Thresholds:
    confirm_failures: int = 2
    confirm_recoveries: int = 2
    flap_window_s: int = 3600
    flap_max_changes: int = 4
    flap_confirm_recoveries: int = 10

    @classmethod
    def of(cls, check: Check) -> Thresholds:
        return cls(
            check.confirm_failures,
            check.confirm_recoveries,
            check.flap_window_s,
            check.flap_max_changes,
            check.flap_confirm_recoveries,
        )


@dataclass(frozen=True)
class TargetState:
    state: str = UNKNOWN
    since: datetime | None = None
    #: The current run of results: how many failed (or succeeded) in a row, and since when.
    failures: int = 0
    successes: int = 0
    streak_since: datetime | None = None
    #: The latest failure's reason (what a down state is reported with).
    reason: str = ""
    #: When the recent up/down changes happened (pruned to the flap window).
    changes: tuple[datetime, ...] = ()

    def flapping(self, at: datetime, rules: Thresholds) -> bool:
        horizon = at - timedelta(seconds=rules.flap_window_s)
        return sum(1 for c in self.changes if c > horizon) >= rules.flap_max_changes

    def snapshot(self) -> dict[str, Any]:
        """JSON-ready, for the adapters to keep between restarts."""
        return {
            "state": self.state,
            "since": _iso(self.since),
            "failures": self.failures,
            "successes": self.successes,
            "streak_since": _iso(self.streak_since),
            "reason": self.reason,
            "changes": [c.isoformat() for c in self.changes],
        }

    @classmethod
    def from_snapshot(cls, data: dict[str, Any]) -> TargetState:
        return cls(
            state=data.get("state", UNKNOWN),
            since=_parse(data.get("since")),
            failures=int(data.get("failures", 0)),
            successes=int(data.get("successes", 0)),
            streak_since=_parse(data.get("streak_since")),
            reason=data.get("reason", ""),
            changes=tuple(datetime.fromisoformat(c) for c in data.get("changes", [])),
        )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@dataclass(frozen=True)
class Transition:
    """A change of state: what an incident is opened, updated or resolved from."""

    state: str
    previous: str
    since: datetime
    previous_since: datetime | None
    reason: str
    at: datetime
    flapping: bool
    #: Consecutive failures behind a down state (0 otherwise).
    failures: int


def observe(
    current: TargetState,
    ok: bool,
    at: datetime,
    reason: str,
    rules: Thresholds,
    maintenance: str | None = None,
) -> tuple[TargetState, Transition | None]:
    """Fold one result into the target's state; the transition when the state changes.
    `maintenance` is the label of the window covering `at`, if one does."""
    counted = _count(current, ok, at, reason, rules)
    if maintenance is not None:
        if current.state == MAINTENANCE:
            return counted, None
        return _move(current, counted, MAINTENANCE, at, at, maintenance, rules)
    flapping = counted.flapping(at, rules)
    recoveries = rules.flap_confirm_recoveries if flapping else rules.confirm_recoveries
    proves_down = counted.failures >= rules.confirm_failures
    proves_up = counted.successes >= recoveries
    start = counted.streak_since or at
    if current.state == MAINTENANCE:
        # The window has ended: the state the counted results prove, else unknown.
        if proves_down:
            return _move(current, counted, DOWN, start, at, counted.reason, rules)
        if proves_up:
            return _move(current, counted, UP, start, at, "", rules)
        return _move(current, counted, UNKNOWN, at, at, "the maintenance window ended", rules)
    if current.state != DOWN and proves_down:
        return _move(current, counted, DOWN, start, at, counted.reason, rules)
    if current.state != UP and proves_up:
        return _move(current, counted, UP, start, at, "", rules)
    return counted, None


def _count(
    current: TargetState, ok: bool, at: datetime, reason: str, rules: Thresholds
) -> TargetState:
    horizon = at - timedelta(seconds=rules.flap_window_s)
    changes = tuple(c for c in current.changes if c > horizon)
    if ok:
        fresh = current.successes == 0
        return replace(
            current,
            successes=current.successes + 1,
            failures=0,
            streak_since=at if fresh else current.streak_since,
            changes=changes,
        )
    fresh = current.failures == 0
    return replace(
        current,
        failures=current.failures + 1,
        successes=0,
        streak_since=at if fresh else current.streak_since,
        reason=reason,
        changes=changes,
    )


def _move(
    current: TargetState,
    counted: TargetState,
    state: str,
    since: datetime,
    at: datetime,
    reason: str,
    rules: Thresholds,
) -> tuple[TargetState, Transition]:
    up_down = {current.state, state} <= {UP, DOWN} or state == DOWN
    changes = (*counted.changes, at) if up_down else counted.changes
    new = replace(counted, state=state, since=since, changes=changes)
    transition = Transition(
        state=state,
        previous=current.state,
        since=since,
        previous_since=current.since,
        reason=reason,
        at=at,
        flapping=new.flapping(at, rules),
        failures=counted.failures if state == DOWN else 0,
    )
    return new, transition
