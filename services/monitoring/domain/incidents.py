"""Incidents: when a failure becomes one, what attaches to it, when it ends (SPEC §5).

One `Incident` aggregate per *line*: a target of the checks file, a WAN district, or an
Alertmanager fingerprint. A line has at most one open incident:
- a failure with nothing open opens one (`opened`);
- a failure while one is open attaches to it (`updated` when it says something new, e.g. a
  second WAN channel down; nothing when it repeats what is known: Alertmanager re-sends);
- a recovery resolves it, with the outage's duration (`resolved`);
- a failure again within `reopen_within` of the recovery reopens the same incident
  (`reopened`): a target that flaps back is one incident, not two tickets; later than that
  it is a new incident on the same line (a new `incident_id`);
- a failure or recovery older than what is known (a late or re-sent message) changes nothing.

Maintenance opens nothing: a target inside a window is in `maintenance`, never `down`
(confirmation.py), so no failure reaches this module.

A WAN district is an incident when fewer than `wan_min_working` of its channels work
(`district_failure`); every channel's state is noted on the district's line so the count
never depends on the order other channels' events are read in.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from eventsourcing.domain import Aggregate, event

NONE, OPEN, RESOLVED = "none", "open", "resolved"
SOURCES = ("check", "wan", "alertmanager")
VN = ZoneInfo("Asia/Ho_Chi_Minh")
#: Namespace of incident ids: stable, so a replayed decision names the same incident.
_NAMESPACE = uuid.UUID("0c8f3d1e-5a2b-4f7e-9d61-3b7a2e9c4f15")


def line_key(source: str, ident: str) -> str:
    """`check:tabmis-web`, `wan:KBNN-BDG-BENCAT`, `alertmanager:<fingerprint>`."""
    return f"{source}:{ident}"


def line_id(key: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"incident-line|{key}")


def incident_id_of(key: str, number: int) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"incident|{key}|{number}"))


@dataclass(frozen=True)
class Policy:
    #: A failure this soon after recovery reopens the incident instead of opening a new one.
    reopen_within: timedelta = timedelta(minutes=30)
    #: SPEC §5: a district left with fewer working channels than this is an incident.
    wan_min_working: int = 2


@dataclass(frozen=True)
class Failure:
    """Something is down: since when, why, and how the incident describes it."""

    since: datetime
    at: datetime
    reason: str
    priority: str
    subject: str
    description: str
    labels: Mapping[str, str] = field(default_factory=dict)
    truncated_alerts: int = 0
    #: What makes a later failure news (with the priority): a target's error, the WAN
    #: channels down; an alert's repeat is never news, its text may change with each.
    news: str = ""


@dataclass(frozen=True)
class Recovery:
    """It works again since `since` (the first success of the streak, or an alert's endsAt)."""

    since: datetime
    at: datetime


class Incident(Aggregate):
    """The incidents of one line; the current one is `incident_id` (None before any)."""

    @event("Registered")
    def __init__(
        self,
        id: uuid.UUID,
        key: str,
        source: str,
        application: str | None,
        check_id: str | None,
        fingerprint: str | None,
    ) -> None:
        self.key = key
        self.source = source
        self.application = application
        self.check_id = check_id
        self.fingerprint = fingerprint
        self.number = 0
        self.status = NONE
        self.incident_id: str | None = None
        self.down_since: datetime | None = None
        #: When the current down period began (a reopened incident's second failure).
        self.period_since: datetime | None = None
        self.recovered_at: datetime | None = None
        #: Downtime of the incident's periods already over (before a reopening).
        self.outage_s = 0.0
        #: The current incident's description (the contract's fields, see `_facts`).
        self.facts: dict[str, Any] = {}
        #: WAN: every channel's latest state as noted here, by check id.
        self.channels: dict[str, dict[str, Any]] = {}

    # -- deciding --------------------------------------------------------------------------

    def hear_failure(self, failure: Failure, policy: Policy) -> str | None:
        """Open, attach or reopen; the name of what happened, None when nothing did."""
        if self.status == OPEN:
            if self._already_told(failure):
                return None
            self._updated(self._facts(failure), self.began, failure.at, self._change(failure))
            return "updated"
        if self.status == RESOLVED and self.recovered_at is not None:
            if failure.since < self.recovered_at:
                return None  # a failure from before the recovery, told again
            if failure.since - self.recovered_at <= policy.reopen_within:
                self._reopened(
                    self._facts(failure), self.began, failure.at, failure.since,
                    self.recovered_at,
                )  # fmt: skip
                return "reopened"
        number = self.number + 1
        facts = self._facts(failure, incident_id_of(self.key, number))
        self._opened(facts, failure.since, failure.at, number)
        return "opened"

    def hear_recovery(self, recovery: Recovery) -> str | None:
        """Resolve the open incident; nothing when none is open or the news is older."""
        if self.status != OPEN or self.period_since is None:
            return None
        if recovery.since < self.period_since:
            return None
        seconds = self.outage_s + (recovery.since - self.period_since).total_seconds()
        self._resolved(
            self._facts(None), self.began, recovery.at, recovery.since, round(seconds),
            round(seconds / 60, 1),
        )  # fmt: skip
        return "resolved"

    def note_channel(
        self, check_id: str, state: str, since: datetime, info: Mapping[str, str]
    ) -> bool:
        """WAN: remember a channel's state (`down`, `up`, …); False when it is no news."""
        known = self.channels.get(check_id)
        if known is not None and known["state"] == state and known["since"] == since.isoformat():
            return False
        self._channel_noted(check_id=check_id, state=state, since=since, info=dict(info))
        return True

    def _already_told(self, failure: Failure) -> bool:
        return (failure.priority, failure.news) == (self.priority, self.facts.get("news"))

    def _change(self, failure: Failure) -> str:
        parts = []
        if failure.priority != self.priority:
            parts.append(f"mức ưu tiên {self.priority} → {failure.priority}")
        if failure.news != self.facts.get("news"):
            parts.append(f"lỗi mới: {failure.reason}")
        return "; ".join(parts) or "cập nhật mô tả sự cố"

    def _facts(self, failure: Failure | None, incident_id: str | None = None) -> dict[str, Any]:
        """What every event of the incident tells (JSON values; times are the events' own)."""
        if failure is None:
            return {**self.facts, "truncated_alerts": 0}
        return {
            "incident_id": incident_id or self.incident_id,
            "source": self.source,
            "key": self.key,
            "application": self.application,
            "check_id": self.check_id,
            "fingerprint": self.fingerprint,
            "priority": failure.priority,
            "subject": failure.subject,
            "description": failure.description,
            "reason": failure.reason,
            "labels": dict(failure.labels),
            "news": failure.news,
            "truncated_alerts": failure.truncated_alerts,
        }

    @property
    def began(self) -> datetime:
        """When the current incident's first failure began (asked only once there is one)."""
        assert self.down_since is not None
        return self.down_since

    @property
    def priority(self) -> str:
        return str(self.facts.get("priority", ""))

    @property
    def subject(self) -> str:
        return str(self.facts.get("subject", ""))

    @property
    def description(self) -> str:
        return str(self.facts.get("description", ""))

    @property
    def reason(self) -> str:
        return str(self.facts.get("reason", ""))

    # -- events: `facts` (the contract's fields by name) and the times of each ----------------

    @event("Opened")
    def _opened(
        self, facts: dict[str, Any], down_since: datetime, at: datetime, number: int
    ) -> None:
        self.number = number
        self.incident_id = facts["incident_id"]
        self.status = OPEN
        self.down_since = self.period_since = down_since
        self.recovered_at = None
        self.outage_s = 0.0
        self.facts = facts

    @event("Updated")
    def _updated(
        self, facts: dict[str, Any], down_since: datetime, at: datetime, change: str
    ) -> None:
        self.facts = facts

    @event("Resolved")
    def _resolved(
        self,
        facts: dict[str, Any],
        down_since: datetime,
        at: datetime,
        recovered_at: datetime,
        outage_seconds: int,
        outage_minutes: float,
    ) -> None:
        self.status = RESOLVED
        self.recovered_at = recovered_at
        self.outage_s = float(outage_seconds)

    @event("Reopened")
    def _reopened(
        self,
        facts: dict[str, Any],
        down_since: datetime,
        at: datetime,
        failed_again_at: datetime,
        previous_recovered_at: datetime | None,
    ) -> None:
        self.status = OPEN
        self.period_since = failed_again_at
        self.recovered_at = None
        self.facts = facts

    @event("ChannelNoted")
    def _channel_noted(
        self, check_id: str, state: str, since: datetime, info: dict[str, str]
    ) -> None:
        self.channels[check_id] = {"state": state, "since": since.isoformat(), **info}


# -- what a failure says, in Vietnamese ----------------------------------------------------


def local_time(moment: datetime) -> str:
    """`08:05:12 ngày 01/12/2026` in Hà Nội time."""
    return moment.astimezone(VN).strftime("%H:%M:%S ngày %d/%m/%Y")


@dataclass(frozen=True)
class CheckDown:
    """A target of the checks file confirmed down (from hotro.check.state_changed.v1)."""

    check_id: str
    application: str
    name: str
    target: str
    since: datetime
    at: datetime
    reason: str
    priority: str
    failures: int


def check_failure(down: CheckDown) -> Failure:
    label = down.name or down.check_id
    subject = f"[Giám sát] {down.application} không truy cập được: {label}"
    failures = f" sau {down.failures} lần kiểm tra lỗi liên tiếp" if down.failures else ""
    description = (
        f"Hệ thống giám sát phát hiện {label} ({down.check_id}, {down.target}) không hoạt"
        f" động từ {local_time(down.since)}{failures}.\n"
        f"Lỗi: {down.reason or 'không rõ'}.\n"
        f"Mức ưu tiên: {down.priority}. Phiếu này tự giải quyết khi hệ thống hoạt động trở lại."
    )
    return Failure(
        down.since, down.at, down.reason, down.priority, subject, description, news=down.reason
    )


@dataclass(frozen=True)
class District:
    """A district treasury and its WAN channels (the estate's `wan` data)."""

    code: str
    name: str
    province: str
    province_name: str
    #: Every channel's check id, in the file's order.
    channels: tuple[str, ...]


def district_failure(
    district: District,
    channels: Mapping[str, Mapping[str, Any]],
    policy: Policy,
    at: datetime,
    wan_priority: str,
) -> Failure | None:
    """The district's failure when fewer than `wan_min_working` channels work, else None.
    Every channel down is P1 (the district is cut off); fewer working is `wan_priority`."""
    down = [c for c in district.channels if channels.get(c, {}).get("state") == "down"]
    working = len(district.channels) - len(down)
    if not down or working >= policy.wan_min_working:
        return None
    priority = "P1" if working == 0 else wan_priority
    since = min(datetime.fromisoformat(channels[c]["since"]) for c in down)
    lines = [_channel_line(channels[c]) for c in down]
    subject = f"[Giám sát] Mất kết nối kênh truyền tại {district.name}"
    description = (
        f"{district.name} ({district.code}, {district.province_name}) chỉ còn {working}/"
        f"{len(district.channels)} kênh truyền hoạt động.\n"
        "Kênh truyền bị mất kết nối:\n" + "\n".join(lines) + "\n"
        f"Mức ưu tiên: {priority}. Phòng Tin học tỉnh liên hệ nhà mạng để khắc phục; phiếu tự"
        " giải quyết khi các kênh truyền hoạt động trở lại."
    )
    reason = "; ".join(
        f"{channels[c].get('name', c)}: {channels[c].get('reason', '')}" for c in down
    )
    labels = {
        "district": district.code,
        "province": district.province,
        "channels_down": ",".join(down),
    }
    return Failure(since, at, reason, priority, subject, description, labels, news=",".join(down))


def _channel_line(channel: Mapping[str, Any]) -> str:
    since = datetime.fromisoformat(channel["since"])
    return (
        f"- {channel.get('name', '')} (nhà mạng {channel.get('carrier', '')}) từ"
        f" {local_time(since)}: {channel.get('reason') or 'không kết nối được'}."
        f" Liên hệ: {channel.get('carrier_contact', '')}, điện thoại"
        f" {channel.get('carrier_phone', '')}."
    )


@dataclass(frozen=True)
class Alert:
    """One Alertmanager alert, as the webhook told it (payload version 4)."""

    fingerprint: str
    status: str
    name: str
    application: str | None
    priority: str
    starts_at: datetime
    ends_at: datetime | None
    summary: str
    description: str
    labels: Mapping[str, str]
    generator_url: str = ""


def alert_failure(alert: Alert, at: datetime, truncated_alerts: int = 0) -> Failure:
    what = alert.application or "hạ tầng"
    subject = f"[Giám sát] Cảnh báo {alert.name}: {what} gặp sự cố"
    labels = ", ".join(f"{k}={v}" for k, v in sorted(alert.labels.items()))
    description = (
        f"Prometheus Alertmanager báo cảnh báo {alert.name} (fingerprint {alert.fingerprint})"
        f" từ {local_time(alert.starts_at)}.\n"
        + (f"{alert.summary}\n" if alert.summary else "")
        + (f"{alert.description}\n" if alert.description else "")
        + f"Nhãn: {labels}.\nMức ưu tiên: {alert.priority}."
        + (f"\nNguồn: {alert.generator_url}" if alert.generator_url else "")
    )
    reason = alert.summary or alert.name
    return Failure(
        alert.starts_at, at, reason, alert.priority, subject, description, dict(alert.labels),
        truncated_alerts,
    )  # fmt: skip
