"""Read `catalog/sla.yaml` and `catalog/calendar_adjustments.yaml` into validated objects.

This is the only module here that touches the file system, and only at start-up; everything
it returns is pure. Errors name the file, the line, the field and the reason, so whoever edits
the catalog can fix it without reading Python (ARCHITECTURE rule 7). The calendars themselves
and their reading are shared with monitoring (`libs/calendar`).
"""

from __future__ import annotations

from pathlib import Path

from libs.calendar.business import Calendar
from libs.calendar.loader import CalendarConfigError as SlaConfigError
from libs.calendar.loader import build_calendars, load_adjustments, read_model
from services.escalation.domain.sla_policy import SlaCatalog

__all__ = [
    "SLA_FILE",
    "SlaConfigError",
    "load_adjustments",
    "load_calendar",
    "load_calendars",
    "load_sla_policy",
]

SLA_FILE = "sla.yaml"


def load_sla_policy(folder: str | Path) -> SlaCatalog:
    """`<folder>/sla.yaml`, validated and cross-referenced."""
    return read_model(Path(folder) / SLA_FILE, SlaCatalog)


def load_calendars(folder: str | Path, catalog: SlaCatalog | None = None) -> dict[str, Calendar]:
    """Every calendar declared in `sla.yaml`, with its adjustments file applied."""
    folder = Path(folder)
    catalog = catalog or load_sla_policy(folder)
    return build_calendars(folder, catalog.calendars, catalog.tz)


def load_calendar(folder: str | Path, name: str | None = None) -> Calendar:
    """One calendar by name; by default the one the `default` queue counts on."""
    folder = Path(folder)
    catalog = load_sla_policy(folder)
    if name is None:
        name = catalog.queues[catalog.queue_key("default")].calendar
    if name not in catalog.calendars:
        raise SlaConfigError(folder / SLA_FILE, None, "calendars", f"no calendar named {name!r}")
    return build_calendars(folder, {name: catalog.calendars[name]}, catalog.tz)[name]
