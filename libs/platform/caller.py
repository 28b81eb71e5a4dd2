"""Who is asking, as the gateway tells the service that owns a command (rule 1).

The gateway authenticates the bearer token and forwards the caller in `X-Hotro-*` headers;
the owning services listen on the internal network only. Names are Vietnamese and header
values ASCII, so the name travels percent-encoded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote, unquote

from fastapi import Header


@dataclass(frozen=True)
class Caller:
    name: str
    role: str
    province: str | None = None
    group: str | None = None


def caller_headers(
    name: str, role: str, province: str | None = None, group: str | None = None
) -> dict[str, str]:
    headers = {"X-Hotro-Actor": quote(name), "X-Hotro-Role": role}
    if province:
        headers["X-Hotro-Province"] = province
    if group:
        headers["X-Hotro-Group"] = group
    return headers


def caller_from_headers(
    x_hotro_actor: Annotated[str, Header()] = "",
    x_hotro_role: Annotated[str, Header()] = "",
    x_hotro_province: Annotated[str | None, Header()] = None,
    x_hotro_group: Annotated[str | None, Header()] = None,
) -> Caller:
    """A FastAPI dependency for the services behind the gateway."""
    return Caller(
        unquote(x_hotro_actor) or "unknown",
        x_hotro_role or "unknown",
        x_hotro_province,
        x_hotro_group,
    )
