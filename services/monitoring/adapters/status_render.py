"""The status page, its Atom feed and the subscribers' mails, rendered from Jinja2 templates
(`services/monitoring/templates/status/`). Everything is inline (CSS, SVG): the page asks for
nothing but itself, so it works on the treasury's closed network. Times are shown in
Asia/Ho_Chi_Minh, the Vietnamese way ("08:30 Thứ Ba, 01/12/2026")."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from libs.platform.letters import SIGNATURE
from services.monitoring.domain.notices import KIND_LABELS, STATUS_LABELS
from services.monitoring.domain.status import LABELS, LOCAL_TZ

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "status"
WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")
#: The colour of each system state (bars, badges); the label beside it says the same in words.
COLOURS = {
    "operational": "#2f9e44",
    "degraded": "#e8a500",
    "partial_outage": "#f06d0f",
    "major_outage": "#d62828",
    "maintenance": "#2f6fd0",
    "unknown": "#b8bec4",
}


def _moment(value: datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def vn_datetime(value: datetime | str | None) -> str:
    """'08:30 Thứ Ba, 01/12/2026' in Hà Nội time; empty for no time."""
    moment = _moment(value)
    if moment is None:
        return ""
    local = moment.astimezone(LOCAL_TZ)
    return f"{local:%H:%M} {WEEKDAYS[local.weekday()]}, {local:%d/%m/%Y}"


def vn_date(value: date | str) -> str:
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day:%d/%m/%Y}"


def rfc3339(value: datetime | str | None) -> str:
    moment = _moment(value)
    return moment.isoformat(timespec="seconds") if moment is not None else ""


def uptime(value: float | None) -> str:
    """'99,95 %' (Vietnamese decimal comma); an em dash when nothing was measured."""
    if value is None:
        return "—"
    return f"{value:.2f}".replace(".", ",") + " %"


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "atom"], default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(vn_datetime=vn_datetime, vn_date=vn_date, rfc3339=rfc3339, uptime=uptime)
    env.globals.update(
        STATE_LABELS=LABELS,
        STATUS_LABELS=STATUS_LABELS,
        KIND_LABELS=KIND_LABELS,
        COLOURS=COLOURS,
        # The one signature of every Hotro mail (libs/platform/letters.py).
        SIGNATURE="\n".join(SIGNATURE),
    )
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
