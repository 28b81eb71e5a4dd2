"""Load `catalog/*.yaml` into a validated `Catalog` (SPEC §1, ARCHITECTURE rule 7).

Layout: one file per kind — `groups.yaml`, `departments.yaml`, `applications.yaml`,
`provinces.yaml`, `it_offices.yaml`, `units.yaml`, `regions.yaml` (optional), `routing.yaml` —
each a mapping with a
single key, the kind (`applications: [...]`, `routing: {...}`). A list kind may be split
over more files named `<kind>-<anything>.yaml` (e.g. `units-budget.yaml`); they are read after
`<kind>.yaml`, in name order. Other files in the folder belong to other loaders and are ignored.

Every problem is reported as `catalog/applications.yaml:42: applications[3].group: reason`:
the file, the line of the offending field (from the YAML node marks), the field's path and
the reason. The loader collects every problem it can find before raising, so an operator fixes
a broken catalog in one pass; `CatalogError` carries the first one as attributes and all of
them in `problems`.

Nothing is cached: each call reads the folder again.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from libs.catalog.model import (
    CENTRAL_KINDS,
    GROUP_CODES,
    Application,
    Catalog,
    Department,
    Group,
    ItOffice,
    Province,
    Region,
    RoutingPolicy,
    Unit,
)
from libs.catalog.org import valid_on
from libs.text import fold

__all__ = ["DEFAULT_CATALOG_DIR", "ENV_CATALOG_DIR", "CatalogError", "Problem", "load_catalog"]

#: The environment variable that points the services at another catalog folder.
ENV_CATALOG_DIR = "HOTRO_CATALOG_DIR"
#: The repository's own `catalog/` folder (libs/catalog/loader.py → ../../catalog).
DEFAULT_CATALOG_DIR = Path(__file__).resolve().parents[2] / "catalog"

#: The list kinds, in load order, with the model of one entry.
LIST_KINDS: dict[str, type[BaseModel]] = {
    "groups": Group,
    "departments": Department,
    "applications": Application,
    "provinces": Province,
    "it_offices": ItOffice,
    "units": Unit,
    "regions": Region,
}
#: Kinds a catalog may leave out (a catalog of the 2023 organisation has no regions).
OPTIONAL_KINDS = frozenset({"regions"})
ROUTING = "routing"

_CODE = re.compile(r"^[A-Z0-9]+(?:[-_][A-Z0-9]+)*$")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")

PathKey = tuple[str | int, ...]


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the catalog, located in a file."""

    file: Path
    line: int | None
    field: str
    reason: str

    def __str__(self) -> str:
        where = _display(self.file)
        if self.line is not None:
            where += f":{self.line}"
        return f"{where}: {self.field}: {self.reason}" if self.field else f"{where}: {self.reason}"


class CatalogError(Exception):
    """The catalog cannot be loaded. The attributes describe the first problem; `problems`
    lists every problem found (the message shows them all, one a line)."""

    def __init__(
        self,
        file: Path,
        line: int | None,
        field: str,
        reason: str,
        *,
        problems: Iterable[Problem] = (),
    ) -> None:
        self.file = file
        self.line = line
        self.field = field
        self.reason = reason
        first = Problem(file, line, field, reason)
        rest = [p for p in problems if p != first]
        self.problems: list[Problem] = [first, *rest]
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def of(cls, problems: list[Problem]) -> CatalogError:
        first = problems[0]
        return cls(first.file, first.line, first.field, first.reason, problems=problems)


def _display(file: Path) -> str:
    """`catalog/applications.yaml`: the folder's name and the file's, whatever the cwd."""
    return f"{file.parent.name}/{file.name}" if file.parent.name else file.name


def _render(path: PathKey) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


# --------------------------------------------------------------------------------------------
# YAML with line numbers
# --------------------------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """A SafeLoader that leaves dates as text (pydantic parses them and reports bad ones with
    their field) and reads only `true`/`false` as booleans (so a code `NO` stays a string)."""


_Loader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)

_MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass
class _Document:
    """One parsed file: its data and the line of every field, by path from the root."""

    file: Path
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line(self, path: PathKey) -> int:
        """The line of `path`, or of its nearest enclosing field when it is absent (a missing
        field is reported at the start of the mapping that lacks it)."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)


def _parse(file: Path, problems: list[Problem]) -> _Document | None:
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(file, None, "", f"cannot read the file: {exc}"))
        return None
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            problems.append(Problem(file, 1, "", "the file is empty"))
            return None
        lines: dict[PathKey, int] = {}
        duplicates: list[Problem] = []
        _walk(file, node, (), lines, duplicates)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        problems.append(Problem(file, line, "", f"malformed YAML: {reason}"))
        return None
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        problems.append(Problem(file, None, "", f"malformed YAML: {exc}"))
        return None
    finally:
        loader.dispose()
    if duplicates:
        problems.extend(duplicates)
        return None
    return _Document(file, data, lines)


def _walk(
    file: Path,
    node: yaml.Node,
    path: PathKey,
    lines: dict[PathKey, int],
    out: list[Problem],
    active: frozenset[int] = frozenset(),
) -> None:
    """Record the line of every field under `node`; report duplicate keys (PyYAML keeps the
    last silently). `active` guards against recursive anchors."""
    lines.setdefault(path, node.start_mark.line + 1)
    if id(node) in active:
        return
    active = active | {id(node)}
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG or not isinstance(key_node, yaml.ScalarNode):
                continue
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in seen:
                out.append(
                    Problem(
                        file,
                        line,
                        _render((*path, key)),
                        f"duplicate key {key!r} (first at line {seen[key]})",
                    )
                )
                continue
            seen[key] = line
            lines[(*path, key)] = line
            _walk(file, value_node, (*path, key), lines, out, active)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(file, item, (*path, index), lines, out, active)


# --------------------------------------------------------------------------------------------
# Schema validation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Origin:
    """Where a validated entry was written, to report cross-reference problems."""

    doc: _Document
    path: PathKey

    def problem(self, *sub: str | int, reason: str) -> Problem:
        full = (*self.path, *sub)
        return Problem(self.doc.file, self.doc.line(full), _render(full), reason)

    def where(self) -> str:
        return f"{_display(self.doc.file)}:{self.doc.line(self.path)}"


def _reason(error: Any) -> str:
    kind = error["type"]
    value = error.get("input")
    if kind == "missing":
        return "missing required field"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "literal_error":
        expected = re.findall(r"'([^']*)'", str(error.get("ctx", {}).get("expected", "")))
        if expected:
            return f"{value!r} is not one of {', '.join(expected)}"
    if kind.startswith("date") and isinstance(value, str):
        detail = error.get("ctx", {}).get("error")
        return f"{value!r} is not a valid date (YYYY-MM-DD)" + (f": {detail}" if detail else "")
    message = str(error["msg"])
    if kind.startswith(("date", "bool", "int", "string", "list", "dict", "model")):
        return f"{message} (got {value!r})"
    return message


def _validate(
    model: type[BaseModel], data: Any, origin: _Origin, problems: list[Problem]
) -> BaseModel | None:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            problems.append(origin.problem(*error["loc"], reason=_reason(error)))
        return None


def _files(folder: Path, kind: str) -> list[Path]:
    main = folder / f"{kind}.yaml"
    extra = sorted(p for p in folder.glob(f"{kind}-*.yaml") if p.is_file())
    return ([main] if main.is_file() else []) + extra


def _section(doc: _Document, kind: str, problems: list[Problem]) -> Any:
    """The value under the file's single top-level key `kind`, or None after a problem."""
    data = doc.data
    if not isinstance(data, dict):
        problems.append(
            Problem(doc.file, 1, "", f"expected a mapping with the single key {kind!r}")
        )
        return None
    for key in data:
        if key != kind:
            problems.append(
                Problem(doc.file, doc.line((key,)), str(key), f"unknown key (expected {kind!r})")
            )
    if kind not in data:
        problems.append(Problem(doc.file, 1, kind, "missing required key"))
        return None
    return data[kind]


@dataclass
class _Loaded:
    entries: dict[str, list[tuple[Any, _Origin]]] = field(default_factory=dict)
    routing: tuple[RoutingPolicy, _Origin] | None = None
    #: Where each kind's list starts, to report a problem with the kind as a whole.
    heads: dict[str, _Origin] = field(default_factory=dict)


def _read(folder: Path, problems: list[Problem]) -> _Loaded:
    loaded = _Loaded()
    for kind, model in LIST_KINDS.items():
        loaded.entries[kind] = []
        files = _files(folder, kind)
        if not files and kind not in OPTIONAL_KINDS:
            problems.append(Problem(folder / f"{kind}.yaml", None, "", "file not found"))
        for file in files:
            doc = _parse(file, problems)
            if doc is None:
                continue
            section = _section(doc, kind, problems)
            if section is None:
                continue
            head = _Origin(doc, (kind,))
            loaded.heads.setdefault(kind, head)
            if not isinstance(section, list):
                problems.append(
                    head.problem(reason=f"expected a list of entries (got {section!r})")
                )
                continue
            for index, item in enumerate(section):
                origin = _Origin(doc, (kind, index))
                entry = _validate(model, item, origin, problems)
                if entry is not None:
                    loaded.entries[kind].append((entry, origin))

    files = _files(folder, ROUTING)
    if not files:
        problems.append(Problem(folder / f"{ROUTING}.yaml", None, "", "file not found"))
    for extra in files[1:]:
        problems.append(
            Problem(extra, 1, "", f"the routing policy must be in one file ({files[0].name})")
        )
    if files:
        doc = _parse(files[0], problems)
        if doc is not None:
            section = _section(doc, ROUTING, problems)
            if section is not None:
                origin = _Origin(doc, (ROUTING,))
                policy = _validate(RoutingPolicy, section, origin, problems)
                if isinstance(policy, RoutingPolicy):
                    loaded.routing = (policy, origin)
    return loaded


# --------------------------------------------------------------------------------------------
# Cross-references
# --------------------------------------------------------------------------------------------


def _index(
    entries: list[tuple[Any, _Origin]], problems: list[Problem]
) -> tuple[dict[str, Any], dict[str, _Origin]]:
    """Entries by code; a second entry with the same code is a problem."""
    by_code: dict[str, Any] = {}
    origins: dict[str, _Origin] = {}
    for entry, origin in entries:
        code: str = entry.code
        if code in by_code:
            problems.append(
                origin.problem(
                    "code", reason=f"duplicate code {code!r} (first at {origins[code].where()})"
                )
            )
            continue
        if not _CODE.match(code):
            problems.append(
                origin.problem(
                    "code",
                    reason=f"{code!r} is not a code: use uppercase ASCII letters, digits and '-'",
                )
            )
        by_code[code] = entry
        origins[code] = origin
    return by_code, origins


def _check_email(value: str, origin: _Origin, name: str, problems: list[Problem]) -> None:
    if not _EMAIL.match(value):
        problems.append(origin.problem(name, reason=f"{value!r} is not an e-mail address"))


def _check_dates(
    entry: ItOffice | Unit | Province, origin: _Origin, problems: list[Problem]
) -> None:
    if entry.valid_to is not None and entry.valid_to < entry.valid_from:
        problems.append(
            origin.problem(
                "valid_to",
                reason=f"{entry.valid_to} is before valid_from {entry.valid_from}",
            )
        )


def _check(loaded: _Loaded, problems: list[Problem]) -> Catalog | None:
    groups, group_origins = _index(loaded.entries["groups"], problems)
    departments, dep_origins = _index(loaded.entries["departments"], problems)
    applications, app_origins = _index(loaded.entries["applications"], problems)
    provinces, prov_origins = _index(loaded.entries["provinces"], problems)
    offices, office_origins = _index(loaded.entries["it_offices"], problems)
    units, unit_origins = _index(loaded.entries["units"], problems)
    regions, region_origins = _index(loaded.entries["regions"], problems)

    # Groups: all six must be described (routing and reports name every one).
    missing = [code for code in GROUP_CODES if code not in groups]
    if missing and "groups" in loaded.heads:
        problems.append(
            loaded.heads["groups"].problem(reason=f"missing group(s): {', '.join(missing)}")
        )
    for code, origin in group_origins.items():
        _check_email(groups[code].lead_email, origin, "lead_email", problems)

    for code, origin in dep_origins.items():
        _check_email(departments[code].email, origin, "email", problems)

    for code, origin in app_origins.items():
        app: Application = applications[code]
        if app.group not in groups:
            problems.append(
                origin.problem("group", reason=f"{app.group!r} is not described in groups")
            )
        dep = departments.get(app.specialist_department)
        if dep is None:
            problems.append(
                origin.problem(
                    "specialist_department",
                    reason=f"{app.specialist_department!r} is not a known department",
                )
            )
        elif dep.kind != "specialist":
            problems.append(
                origin.problem(
                    "specialist_department",
                    reason=f"{app.specialist_department!r} is a {dep.kind}, not a specialist",
                )
            )
        if app.vendor is not None:
            vendor = departments.get(app.vendor)
            if vendor is None:
                problems.append(
                    origin.problem("vendor", reason=f"{app.vendor!r} is not a known department")
                )
            elif vendor.kind != "vendor":
                problems.append(
                    origin.problem(
                        "vendor", reason=f"{app.vendor!r} is a {vendor.kind}, not a vendor"
                    )
                )

    # Provinces: their office exists, and a folded name or alias names one province only
    # (`Catalog.province_by_name_or_code` must not be ambiguous).
    names: dict[str, str] = {}
    for code, origin in prov_origins.items():
        province: Province = provinces[code]
        if province.it_office not in offices:
            problems.append(
                origin.problem(
                    "it_office", reason=f"{province.it_office!r} is not a known IT office"
                )
            )
        spellings: list[tuple[PathKey, str]] = [(("code",), province.code)]
        spellings.append((("name",), province.name))
        spellings += [(("aliases", i), alias) for i, alias in enumerate(province.aliases)]
        for sub, text in spellings:
            owner = names.setdefault(fold(text), code)
            if owner != code:
                problems.append(
                    origin.problem(*sub, reason=f"{text!r} already names province {owner!r}")
                )

    for code, origin in prov_origins.items():
        _check_dates(provinces[code], origin, problems)
        _check_successor(provinces[code], provinces, origin, "province", problems)

    for code, origin in office_origins.items():
        office: ItOffice = offices[code]
        if office.province is not None and office.province not in provinces:
            problems.append(
                origin.problem("province", reason=f"{office.province!r} is not a known province")
            )
        _check_email(office.email, origin, "email", problems)
        _check_dates(office, origin, problems)

    for code, origin in unit_origins.items():
        unit: Unit = units[code]
        if unit.kind in CENTRAL_KINDS:
            if unit.province is not None:
                problems.append(
                    origin.problem(
                        "province", reason=f"a {unit.kind} unit has no province (remove it)"
                    )
                )
            if unit.it_office is not None:
                problems.append(
                    origin.problem(
                        "it_office",
                        reason=f"a {unit.kind} unit is answered centrally, not by an IT office",
                    )
                )
        else:
            if unit.province is None:
                problems.append(
                    origin.problem("province", reason=f"a {unit.kind} unit needs a province")
                )
            elif unit.province not in provinces:
                problems.append(
                    origin.problem("province", reason=f"{unit.province!r} is not a known province")
                )
            if unit.it_office is None:
                problems.append(
                    origin.problem(
                        "it_office",
                        reason=f"a {unit.kind} unit needs the IT office that answers it at L1",
                    )
                )
        if unit.it_office is not None and unit.it_office not in offices:
            problems.append(
                origin.problem("it_office", reason=f"{unit.it_office!r} is not a known IT office")
            )
        if unit.parent is not None and unit.parent not in units:
            problems.append(origin.problem("parent", reason=f"{unit.parent!r} is not a known unit"))
        _check_dates(unit, origin, problems)
        _check_successor(unit, units, origin, "unit", problems)
    for code, origin in unit_origins.items():
        if _parent_cycle(code, units):
            problems.append(origin.problem("parent", reason=f"{code!r} is its own ancestor"))

    _check_regions(regions, region_origins, provinces, offices, problems)

    if loaded.routing is not None:
        _check_routing(*loaded.routing, applications, problems)
        if not regions:
            for v, version in enumerate(loaded.routing[0].versions):
                if version.l1_office == "region":
                    problems.append(
                        loaded.routing[1].problem(
                            "versions", v, "l1_office", reason="no regions are described"
                        )
                    )

    if problems or loaded.routing is None:
        return None
    return Catalog(
        groups=groups,
        departments=departments,
        applications=applications,
        provinces=provinces,
        it_offices=offices,
        units=units,
        routing=loaded.routing[0],
        regions=regions,
    )


def _check_successor(
    entry: Province | Unit,
    entries: dict[str, Any],
    origin: _Origin,
    what: str,
    problems: list[Problem],
) -> None:
    """A successor exists, is not the entry itself, is open the day after the entry closes,
    and its own chain ends (so `OrgView` always finds the one in force)."""
    if entry.successor is None:
        return
    successor = entries.get(entry.successor)
    if successor is None:
        problems.append(
            origin.problem("successor", reason=f"{entry.successor!r} is not a known {what}")
        )
        return
    if entry.valid_to is None:
        problems.append(origin.problem("successor", reason="a successor needs a valid_to"))
        return
    seen = {entry.code}
    while successor is not None and successor.code not in seen:
        seen.add(successor.code)
        successor = entries.get(successor.successor) if successor.successor else None
    if successor is not None:
        problems.append(origin.problem("successor", reason=f"the chain of {what}s loops"))
        return
    first = entries[entry.successor]
    day_after = entry.valid_to + timedelta(days=1)
    if not valid_on(first, day_after):
        problems.append(
            origin.problem(
                "successor",
                reason=f"{first.code!r} is not in force on {day_after}, the day after valid_to",
            )
        )


def _check_regions(
    regions: dict[str, Region],
    origins: dict[str, _Origin],
    provinces: dict[str, Province],
    offices: dict[str, ItOffice],
    problems: list[Problem],
) -> None:
    """Regions name known provinces in force on each period's start, and on every such date
    each province in force belongs to exactly one region (so routing always finds its L1)."""
    for code, origin in origins.items():
        region = regions[code]
        if region.seat not in provinces:
            problems.append(
                origin.problem("seat", reason=f"{region.seat!r} is not a known province")
            )
        if region.it_office not in offices:
            problems.append(
                origin.problem("it_office", reason=f"{region.it_office!r} is not a known IT office")
            )
        starts = [p.valid_from for p in region.periods]
        if len(set(starts)) != len(starts):
            problems.append(origin.problem("periods", reason="two periods start on the same day"))
        for i, period in enumerate(region.periods):
            for j, province in enumerate(period.provinces):
                found = provinces.get(province)
                if found is None:
                    reason = f"{province!r} is not a known province"
                elif not valid_on(found, period.valid_from):
                    reason = f"{province!r} is not in force on {period.valid_from}"
                else:
                    continue
                problems.append(origin.problem("periods", i, "provinces", j, reason=reason))
    if problems or not regions:
        return
    first = next(iter(origins.values()))
    for day in sorted({p.valid_from for r in regions.values() for p in r.periods}):
        owners: dict[str, list[str]] = {}
        for region in regions.values():
            current = region.period_on(day)
            for covered in current.provinces if current else []:
                owners.setdefault(covered, []).append(region.code)
        for code, entry in provinces.items():
            if not valid_on(entry, day):
                continue
            holders = owners.get(code, [])
            if len(holders) != 1:
                where = ", ".join(holders) if holders else "no region"
                problems.append(
                    first.problem(
                        reason=f"on {day} province {code} belongs to {where} (exactly one needed)"
                    )
                )


def _parent_cycle(code: str, units: dict[str, Unit]) -> bool:
    seen = {code}
    parent = units[code].parent
    while parent is not None and parent in units:
        if parent in seen:
            return parent == code
        seen.add(parent)
        parent = units[parent].parent
    return False


def _check_routing(
    policy: RoutingPolicy,
    origin: _Origin,
    applications: dict[str, Application],
    problems: list[Problem],
) -> None:
    if not policy.versions:
        problems.append(
            origin.problem("versions", reason="at least one policy version is required")
        )
    for s, signal in enumerate(policy.signals):
        if signal.application not in applications:
            problems.append(
                origin.problem(
                    "signals",
                    s,
                    "application",
                    reason=f"{signal.application!r} is not a known application",
                )
            )
    ids: dict[str, int] = {}
    dates: dict[str, int] = {}
    for v, version in enumerate(policy.versions):
        if version.id in ids:
            problems.append(
                origin.problem(
                    "versions",
                    v,
                    "id",
                    reason=f"duplicate version id {version.id!r} (first is versions[{ids[version.id]}])",
                )
            )
        ids.setdefault(version.id, v)
        day = version.effective_from.isoformat()
        if day in dates:
            problems.append(
                origin.problem(
                    "versions",
                    v,
                    "effective_from",
                    reason=f"versions[{dates[day]}] takes effect on the same day {day}",
                )
            )
        dates.setdefault(day, v)
        if not version.rules:
            problems.append(
                origin.problem("versions", v, "rules", reason="a version needs at least one rule")
            )
            continue
        for r, rule in enumerate(version.rules):
            for a, code in enumerate(rule.applications or []):
                if code not in applications:
                    problems.append(
                        origin.problem(
                            "versions",
                            v,
                            "rules",
                            r,
                            "applications",
                            a,
                            reason=f"{code!r} is not a known application",
                        )
                    )
            if rule.option is not None and rule.option not in policy.options:
                problems.append(
                    origin.problem(
                        "versions",
                        v,
                        "rules",
                        r,
                        "option",
                        reason=f"{rule.option!r} is not one of the options "
                        f"({', '.join(policy.options) or 'none defined'})",
                    )
                )
        last = version.rules[-1]
        conditions = (last.requester_kinds, last.scopes, last.applications, last.option)
        if any(c is not None for c in conditions):
            problems.append(
                origin.problem(
                    "versions",
                    v,
                    "rules",
                    len(version.rules) - 1,
                    reason="the last rule must be a catch-all (no conditions, no option) "
                    "so that every request is routed",
                )
            )


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def catalog_dir(folder: Path | str | None = None) -> Path:
    """The folder to load: `folder`, else $HOTRO_CATALOG_DIR, else the repository's catalog/."""
    if folder is not None:
        return Path(folder)
    env = os.environ.get(ENV_CATALOG_DIR)
    return Path(env) if env else DEFAULT_CATALOG_DIR


def load_catalog(folder: Path | str | None = None) -> Catalog:
    """Read and validate the catalog folder; raise `CatalogError` listing every problem."""
    root = catalog_dir(folder)
    if not root.is_dir():
        raise CatalogError(root, None, "", "catalog folder not found")
    problems: list[Problem] = []
    loaded = _read(root, problems)
    # Cross-references are checked only on a catalog whose files all parse and validate: an
    # entry rejected above would otherwise show up again as "not a known ..." everywhere.
    catalog = None if problems else _check(loaded, problems)
    if problems:
        raise CatalogError.of(problems)
    assert catalog is not None
    return catalog
