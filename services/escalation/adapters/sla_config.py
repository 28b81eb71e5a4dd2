"""Read `catalog/sla.yaml` and `catalog/calendar_adjustments.yaml` into validated objects.

This is the only module here that touches the file system, and only at start-up; everything
it returns is pure. Errors name the file, the line, the field and the reason, so whoever edits
the catalog can fix it without reading Python (ARCHITECTURE rule 7).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ValidationError

from libs.catalog.loader import CatalogError, Problem
from services.escalation.domain.adjustments import CalendarAdjustments
from services.escalation.domain.calendar import (
    BusinessCalendar,
    Calendar,
    TwentyFourSeven,
    WorkingHours,
)
from services.escalation.domain.sla_policy import WEEKDAYS, CalendarSpec, SlaCatalog

SLA_FILE = "sla.yaml"
_M = TypeVar("_M", bound=BaseModel)


class SlaConfigError(CatalogError, ValueError):
    """A catalog file that cannot be used: the shared `CatalogError` (file, 1-based line or
    None, field path, reason; every problem in `problems`), so start-up handles one type."""

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


def _read(path: Path, model: type[_M]) -> _M:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise SlaConfigError(path, None, "", f"cannot read: {e.strerror or e}") from e
    try:
        data: Any = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else None
        raise SlaConfigError(path, line, "", f"invalid YAML: {e.problem or e}") from e
    if not isinstance(data, dict):
        raise SlaConfigError(path, 1, "", "expected a mapping at the top level")
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
        raise SlaConfigError.of(problems) from e


def load_sla_policy(folder: str | Path) -> SlaCatalog:
    """`<folder>/sla.yaml`, validated and cross-referenced."""
    return _read(Path(folder) / SLA_FILE, SlaCatalog)


def load_adjustments(path: str | Path) -> CalendarAdjustments:
    return _read(Path(path), CalendarAdjustments)


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


def _calendar(folder: Path, catalog: SlaCatalog, name: str) -> Calendar:
    spec = catalog.calendars[name]
    adjustments = load_adjustments(folder / spec.adjustments) if spec.adjustments else None
    try:
        return build_calendar(name, spec, catalog.tz, adjustments)
    except ValueError as e:
        raise SlaConfigError(folder / SLA_FILE, None, f"calendars.{name}", str(e)) from e


def load_calendars(folder: str | Path, catalog: SlaCatalog | None = None) -> dict[str, Calendar]:
    """Every calendar declared in `sla.yaml`, with its adjustments file applied."""
    folder = Path(folder)
    catalog = catalog or load_sla_policy(folder)
    return {name: _calendar(folder, catalog, name) for name in catalog.calendars}


def load_calendar(folder: str | Path, name: str | None = None) -> Calendar:
    """One calendar by name; by default the one the `default` queue counts on."""
    folder = Path(folder)
    catalog = load_sla_policy(folder)
    if name is None:
        name = catalog.queues[catalog.queue_key("default")].calendar
    if name not in catalog.calendars:
        raise SlaConfigError(folder / SLA_FILE, None, "calendars", f"no calendar named {name!r}")
    return _calendar(folder, catalog, name)
