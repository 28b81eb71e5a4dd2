"""Read the treasury calendars from the catalog: `calendars:` of `catalog/sla.yaml` and the
government's yearly adjustments (`catalog/calendar_adjustments.yaml`).

Moved here from escalation's `sla_config` so that escalation's SLA clocks and monitoring's
morning round build their calendars from the same data with the same code. Only start-up
touches the file system; what it returns is pure. Errors name the file, the line, the field
and the reason (the catalog's `CatalogError`), so start-up handles one type.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from libs.calendar.adjustments import CalendarAdjustments
from libs.calendar.business import BusinessCalendar, Calendar, TwentyFourSeven, WorkingHours
from libs.calendar.spec import WEEKDAYS, CalendarSpec, known_zone
from libs.catalog.loader import CatalogError, Problem

#: The file whose `calendars:` section defines the suite's calendars.
CALENDARS_FILE = "sla.yaml"
#: The treasury's working calendar (what the `default` SLA queue counts on).
TREASURY = "treasury"
_M = TypeVar("_M", bound=BaseModel)
#: The government's calendar is Vietnam's: "this year" is the year in Asia/Ho_Chi_Minh.
VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
log = logging.getLogger("libs.calendar")


class CalendarConfigError(CatalogError, ValueError):
    """A calendar file that cannot be used: the shared `CatalogError` (file, 1-based line or
    None, field path, reason; every problem in `problems`)."""

    def __init__(
        self,
        file: str | Path,
        line: int | None,
        field: str,
        reason: str,
        *,
        problems: Iterable[Problem] = (),
    ) -> None:
        super().__init__(Path(file), line, field, reason, problems=problems)


def _render(loc: Sequence[int | str]) -> str:
    """`seasons[0].from`, the field notation the rest of the catalog loader uses."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _line_of(node: yaml.Node | None, loc: Sequence[int | str]) -> int | None:
    """Follow a pydantic error location through the YAML node tree to the nearest line."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in loc:
        child: yaml.Node | None = None
        anchor: yaml.Node | None = None  # the key's line reads better than its value's
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if str(k.value) == str(part)), None)
            if pair is not None:
                anchor, child = pair
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(node.value)
        ):
            anchor = child = node.value[part]
        if child is None or anchor is None:
            break  # e.g. a missing key: point at the enclosing mapping
        node, line = child, anchor.start_mark.line + 1
    return line


def read_model(path: Path, model: type[_M]) -> _M:
    """A YAML file validated by `model`; every problem located by file, line and field."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise CalendarConfigError(path, None, "", f"cannot read: {e.strerror or e}") from e
    try:
        data: Any = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else None
        raise CalendarConfigError(path, line, "", f"invalid YAML: {e.problem or e}") from e
    if not isinstance(data, dict):
        raise CalendarConfigError(path, 1, "", "expected a mapping at the top level")
    try:
        return model.model_validate(data)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            loc = [p for p in err["loc"] if isinstance(p, int | str)]
            problems.append(
                Problem(
                    path,
                    _line_of(root, loc),
                    _render(loc),
                    err["msg"].removeprefix("Value error, "),
                )
            )
        raise CalendarConfigError.of(problems) from e


def load_adjustments(path: str | Path, today: date | None = None) -> CalendarAdjustments:
    """The adjustments file; a warning in the log (not a failure) when it has no entry for the
    current or the next year (`today` defaults to the date in Vietnam)."""
    adjustments = read_model(Path(path), CalendarAdjustments)
    warn_missing_years(adjustments, Path(path), today)
    return adjustments


def warn_missing_years(
    adjustments: CalendarAdjustments, path: Path, today: date | None = None
) -> list[int]:
    """Log the years (current, next) the government adjustments file does not cover."""
    day = today or datetime.now(VN_TZ).date()
    missing = adjustments.missing_years(day)
    for year in missing:
        log.warning(
            "%s has no entry for %d: bridge days and compensatory Saturdays of %d are not "
            "known; add them when the government publishes them",
            path,
            year,
            year,
        )
    return missing


def build_calendar(
    name: str, spec: CalendarSpec, tz: ZoneInfo, adjustments: CalendarAdjustments | None
) -> Calendar:
    """Pure assembly of a calendar from its validated spec (no file access)."""
    if spec.kind == "24x7":
        return TwentyFourSeven(name=name, tz=tz)
    hours = WorkingHours(
        weekdays=frozenset(WEEKDAYS.index(d) for d in spec.working_days),
        periods=tuple(spec.hours),
    )
    src = spec.holidays
    if src is None:
        raise ValueError(f"business calendar {name!r} needs a holidays source")
    if adjustments is not None and adjustments.country != src.country:
        raise ValueError(
            f"calendar {name!r} is for {src.country} but its adjustments are for "
            f"{adjustments.country}"
        )
    return BusinessCalendar.for_country(
        name=name,
        tz=tz,
        hours=hours,
        country=src.country,
        years=range(src.from_year, src.to_year + 1),
        extra_days_off=adjustments.days_off() if adjustments else (),
        extra_working_days=adjustments.working_days() if adjustments else (),
    )


def build_calendars(
    folder: str | Path, specs: Mapping[str, CalendarSpec], tz: ZoneInfo
) -> dict[str, Calendar]:
    """Every calendar of `specs`, with its adjustments file (relative to `folder`) applied."""
    folder = Path(folder)
    calendars: dict[str, Calendar] = {}
    for name, spec in specs.items():
        adjustments = load_adjustments(folder / spec.adjustments) if spec.adjustments else None
        try:
            calendars[name] = build_calendar(name, spec, tz, adjustments)
        except ValueError as e:
            raise CalendarConfigError(
                folder / CALENDARS_FILE, None, f"calendars.{name}", str(e)
            ) from e
    return calendars


class CalendarsSection(BaseModel):
    """The part of `sla.yaml` every service shares; the SLA policies are escalation's."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    timezone: str
    calendars: dict[str, CalendarSpec]

    _known_zone = field_validator("timezone")(known_zone)


def load_business_calendar(folder: str | Path, name: str = TREASURY) -> BusinessCalendar:
    """The working-day calendar `name` (by default the treasury's) for a service that is not
    escalation: the same data, validation and holidays as the SLA clocks."""
    folder = Path(folder)
    section = read_model(folder / CALENDARS_FILE, CalendarsSection)
    file = folder / CALENDARS_FILE
    if name not in section.calendars:
        raise CalendarConfigError(file, None, "calendars", f"no calendar named {name!r}")
    spec = section.calendars[name]
    calendar = build_calendars(folder, {name: spec}, ZoneInfo(section.timezone))[name]
    if not isinstance(calendar, BusinessCalendar):
        raise CalendarConfigError(
            file, None, f"calendars.{name}", "a working-day calendar must be of kind business"
        )
    return calendar
