"""The morning round's settings, and the service's clock (ARCHITECTURE rule 6: time is injected).

| setting | default | what |
|---|---|---|
| `HOTRO_CLOCK_OFFSET_S` | 0 | the monitoring service's clock runs this many seconds ahead of (or, negative, behind) the wall clock; it keeps running at real speed and survives a restart unchanged. Tests and rehearsals set it so that "07:00" is a few seconds away; never set in production |
| `HOTRO_READINESS_RETRIES` | 2 | a failed morning check is tried this many times more before it counts as failed |
| `HOTRO_READINESS_RETRY_DELAY_S` | 60 | seconds between those attempts (only while the round can still finish by 07:30) |
| `HOTRO_READINESS_ENABLED` | 1 | 0: no scheduled round (on-demand runs still work) |
| `HOTRO_READINESS_RECIPIENTS_FILE` | `<catalog>/readiness_recipients.yaml` | who gets the report |
| `HOTRO_NOTIFY_WEBHOOK_URL` | (none) | a failed morning login is also POSTed there as JSON (an SMS or phone gateway) |
| `HOTRO_NOTIFY_WEBHOOK_TOKEN` | (none) | sent as `Authorization: Bearer …` to that webhook |
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from libs.catalog.loader import catalog_dir
from libs.platform.settings import SettingError
from services.monitoring.domain.morning_round import RetryPolicy

Clock = Callable[[], datetime]
CLOCK_OFFSET_ENV = "HOTRO_CLOCK_OFFSET_S"
RECIPIENTS_FILE = "readiness_recipients.yaml"


def _float(name: str, default: str, minimum: float | None = None) -> float:
    raw = os.environ.get(name, default)
    try:
        value = float(raw)
    except ValueError:
        raise SettingError(f"{name} must be a number of seconds, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise SettingError(f"{name} must be at least {minimum:g}, got {raw!r}")
    return value


@cache
def clock_offset() -> timedelta:
    """HOTRO_CLOCK_OFFSET_S, read once per process."""
    return timedelta(seconds=_float(CLOCK_OFFSET_ENV, "0"))


def service_now() -> datetime:
    """The service's one clock: the wall clock moved by HOTRO_CLOCK_OFFSET_S, so the round,
    the checks it records and their maintenance windows agree on what time it is."""
    return datetime.now(UTC) + clock_offset()


@dataclass(frozen=True)
class RoundSettings:
    enabled: bool
    retry: RetryPolicy
    recipients_file: Path
    webhook_url: str | None
    webhook_token: str | None

    @classmethod
    def from_env(cls) -> RoundSettings:
        retries = _float("HOTRO_READINESS_RETRIES", "2", minimum=0)
        if retries != int(retries) or retries > 10:
            raise SettingError("HOTRO_READINESS_RETRIES must be a whole number from 0 to 10")
        delay = _float("HOTRO_READINESS_RETRY_DELAY_S", "60", minimum=0)
        file = os.environ.get("HOTRO_READINESS_RECIPIENTS_FILE")
        url = os.environ.get("HOTRO_NOTIFY_WEBHOOK_URL", "").strip() or None
        if url is not None and not url.startswith(("http://", "https://")):
            raise SettingError(f"HOTRO_NOTIFY_WEBHOOK_URL must be an http(s) URL, got {url!r}")
        return cls(
            enabled=os.environ.get("HOTRO_READINESS_ENABLED", "1") != "0",
            retry=RetryPolicy(retries=int(retries), delay=timedelta(seconds=delay)),
            recipients_file=Path(file) if file else catalog_dir() / RECIPIENTS_FILE,
            webhook_url=url,
            webhook_token=os.environ.get("HOTRO_NOTIFY_WEBHOOK_TOKEN") or None,
        )
