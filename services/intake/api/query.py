"""Strict query parameters for the gateway's lists (issue 13).

A filter the gateway does not know, or a value it does not know, used to be ignored, and an
operator read a whole queue believing it filtered. Now an unknown parameter or value is a 422
naming it; a repeated parameter means "any of"; codes are case-insensitive.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated

from fastapi import Depends, Request

from services.intake.api.errors import FieldError


def _declared(request: Request) -> set[str]:
    route = request.scope.get("route")
    names: set[str] = set()
    pending = [getattr(route, "dependant", None)]
    while pending:
        dependant = pending.pop()
        if dependant is None:
            continue
        names.update(param.alias for param in dependant.query_params)
        pending.extend(dependant.dependencies)
    return names


async def known_parameters_only(request: Request) -> None:
    """422 for a query parameter the route does not declare (a typo filters nothing)."""
    allowed = _declared(request)
    for name in request.query_params:
        if name not in allowed:
            raise FieldError(
                ("query", name),
                f"Tham số '{name}' không được hỗ trợ ở đây; dùng một trong: "
                f"{', '.join(sorted(allowed))}. / "
                f"'{name}' is not a parameter of this list; use one of {', '.join(sorted(allowed))}.",
                kind="unknown_parameter",
            )


StrictQuery = Annotated[None, Depends(known_parameters_only)]


def one_of(
    field: str,
    values: list[str] | None,
    known: Iterable[str],
    *,
    upper: bool = True,
    where: str = "",
    aliases: Mapping[str, str] | None = None,
) -> list[str] | None:
    """The values of a repeated filter, normalised, each known; else 422 naming it.

    `where` tells the caller where the valid values are listed (a catalog endpoint);
    `aliases` maps other accepted spellings (folded names) to codes."""
    if not values:
        return None
    known_set = set(known)
    found: list[str] = []
    for raw in values:
        for part in raw.split(","):
            value = part.strip()
            if not value:
                continue
            code = value.upper() if upper else value.lower()
            if code not in known_set and aliases:
                code = aliases.get(value, aliases.get(code, code))
            if code not in known_set:
                raise FieldError(("query", field), _unknown(field, value, known_set, where))
            found.append(code)
    return found or None


def _unknown(field: str, value: str, known: set[str], where: str) -> str:
    if where:
        return (
            f"'{value}' không phải là giá trị hợp lệ của {field}; danh sách ở {where}. / "
            f"'{value}' is not a known {field}; the valid codes are listed at {where}."
        )
    choices = ", ".join(sorted(known))
    return (
        f"'{value}' không phải là giá trị hợp lệ của {field}; chọn một trong: {choices}. / "
        f"'{value}' is not a known {field}; use one of {choices}."
    )
