"""The requester directory's import file, line by line (SPEC §1, §7 `/requesters/import`).

Two formats, as an LDAP export or a spreadsheet gives them:
- CSV with a header: `name,email,phone,unit_code` and, for a unit outside the catalog,
  `unit_kind,unit_province,unit_name`;
- JSON lines: `{"name", "email", "phone"?, "unit_code"}` or `{"unit": {kind, province, name}}`;
  or the same objects as one JSON array (entry *n* is reported as line *n*).
Each line becomes an entry or a rejection naming the line and the reason; one bad line never
spoils the others (an import of 15,000 users should not fail on one typo).

The directory describes people as they are now: given the import's day (`on`), a unit code of
the 2023 organisation is stored as its successor and a province absorbed in 2025 (by code or
name, "Hà Giang") as the province it merged into; `DirectoryEntry.notes` says what was mapped.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from libs.catalog.model import Catalog
from libs.catalog.requester import UnknownUnit, resolve_requester_unit

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_PHONE = re.compile(r"^[0-9+()\-.\s]{6,30}$")
MAX_LINES = 100_000


@dataclass(frozen=True)
class DirectoryEntry:
    email: str
    name: str
    phone: str | None
    unit_code: str | None
    #: A declared unit {kind, province, name} for units outside the catalog (budget units).
    unit: dict[str, str | None] | None
    unit_kind: str
    province: str | None
    #: What was mapped from an older organisation (a 2023 unit code, an absorbed province).
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rejected:
    line: int
    reason: str


def parse_directory(
    text: str, catalog: Catalog, on: date | None = None
) -> tuple[list[DirectoryEntry], list[Rejected]]:
    """Entries and rejections of a CSV or JSON-lines file (the format is recognised); with
    `on`, old codes are mapped to the organisation in force that day."""
    stripped = text.lstrip("\ufeff").lstrip()
    if stripped.startswith("["):
        rows = _json_array(stripped)
    elif stripped.startswith("{"):
        rows = _json_lines(stripped)
    else:
        rows = _csv_rows(stripped)
    entries: list[DirectoryEntry] = []
    rejected: list[Rejected] = []
    first_line: dict[str, int] = {}
    for line, row in rows:
        if isinstance(row, str):
            rejected.append(Rejected(line, row))
            continue
        try:
            entry = directory_entry(row, catalog, on)
        except ValueError as error:
            rejected.append(Rejected(line, str(error)))
            continue
        if entry.email in first_line:
            rejected.append(
                Rejected(line, f"email: {entry.email} is already on line {first_line[entry.email]}")
            )
            continue
        first_line[entry.email] = line
        entries.append(entry)
    return entries, rejected


def directory_entry(
    row: dict[str, Any], catalog: Catalog, on: date | None = None
) -> DirectoryEntry:
    """One validated entry; ValueError names the field and the reason."""
    email = _text(row.get("email")).lower()
    if not _EMAIL.match(email):
        raise ValueError(f"email: {email or '(empty)'} is not an e-mail address")
    name = _text(row.get("name"))
    if not name or len(name) > 200:
        raise ValueError("name: required, at most 200 characters")
    phone = _text(row.get("phone")) or None
    if phone and not _PHONE.match(phone):
        raise ValueError(f"phone: {phone!r} is not a phone number")
    unit_code = _text(row.get("unit_code")).upper() or None
    declared = row.get("unit")
    if declared is not None and not isinstance(declared, dict):
        raise ValueError("unit: must be an object {kind, province, name}")
    if not unit_code and not declared:
        raise ValueError("unit_code: give a unit code or a declared unit {kind, province, name}")
    try:
        unit = resolve_requester_unit(catalog, unit_code=unit_code, declared=declared, on=on)
    except UnknownUnit as error:
        raise ValueError(f"{error.field}: {error.reason}") from error
    cleaned = (
        {k: _text(declared.get(k)) or None for k in ("kind", "province", "name")}
        if declared
        else None
    )
    return DirectoryEntry(
        email, name, phone, unit.unit_code, cleaned, unit.kind, unit.province, unit.notes
    )


def _text(value: Any) -> str:
    """One clean line: control characters (NUL included) and runs of spaces removed."""
    return " ".join(_CONTROL.sub(" ", str(value)).split()) if value is not None else ""


def _json_lines(text: str) -> list[tuple[int, dict[str, Any] | str]]:
    rows: list[tuple[int, dict[str, Any] | str]] = []
    for number, line in enumerate(text.splitlines()[:MAX_LINES], start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            rows.append((number, f"not JSON: {error.msg} at column {error.colno}"))
            continue
        rows.append((number, value if isinstance(value, dict) else "not a JSON object"))
    return rows


def _json_array(text: str) -> list[tuple[int, dict[str, Any] | str]]:
    """A JSON array of entries (as an export tool writes it): entry *n* is "line" *n*."""
    try:
        values = json.loads(text)
    except json.JSONDecodeError as error:
        return [
            (error.lineno, f"not JSON: {error.msg} at line {error.lineno}, column {error.colno}")
        ]
    if not isinstance(values, list):
        return [(1, "not a JSON array")]
    return [
        (number, value if isinstance(value, dict) else "not a JSON object")
        for number, value in enumerate(values[:MAX_LINES], start=1)
    ]


def _csv_rows(text: str) -> list[tuple[int, dict[str, Any] | str]]:
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = [(h or "").strip().lower() for h in reader.fieldnames or []]
    except csv.Error as error:
        return [(1, f"not CSV: {error}")]
    if "email" not in header:
        return [(1, "header: a CSV file needs a header line with at least name,email,unit_code")]
    reader.fieldnames = header
    rows: list[tuple[int, dict[str, Any] | str]] = []
    try:
        for row in reader:
            if reader.line_num > MAX_LINES:
                break
            rows.append((reader.line_num, _declared_columns(row)))
    except csv.Error as error:  # a broken quote or a stray CR ends what can be read
        rows.append((reader.line_num + 1, f"not CSV: {error}"))
    return [(n, r) for n, r in rows if not isinstance(r, dict) or _has_values(r)]


def _has_values(row: dict[str, Any]) -> bool:
    return any((v or "").strip() for v in row.values() if isinstance(v, str))


def _declared_columns(row: dict[str, Any]) -> dict[str, Any]:
    """`unit_kind,unit_province,unit_name` columns as the `unit` object JSON lines carry."""
    if row.get("unit_kind"):
        row["unit"] = {
            "kind": row.get("unit_kind"),
            "province": row.get("unit_province"),
            "name": row.get("unit_name"),
        }
    return row
