"""What routing's routes need: the wired adapters and who is asking."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import Depends, Header, Request

from libs.catalog.model import Catalog
from services.routing.adapters.classifier import Classifier
from services.routing.adapters.ticket_index import TicketIndex
from services.routing.api.errors import Refused

#: Who may correct routing (SPEC §8): operators of the desk, provinces and groups, not
#: requesters, analysts (read-only) or integrations.
CORRECTING_ROLES = frozenset({"province_it", "group_agent", "group_lead", "specialist", "admin"})


@dataclass
class RoutingServices:
    app: Any
    catalog: Catalog
    index: TicketIndex
    classifier: Classifier


@dataclass(frozen=True)
class Actor:
    name: str
    role: str


def _services(request: Request) -> RoutingServices:
    services: RoutingServices = request.app.state.routing
    return services


def actor_from_headers(
    x_hotro_actor: Annotated[str, Header()] = "",
    x_hotro_role: Annotated[str, Header()] = "",
) -> Actor:
    """The gateway authenticates the caller and names them here, percent-encoded (the names
    are Vietnamese; header values are ASCII). Routing listens on the internal network only."""
    return Actor(unquote(x_hotro_actor) or "unknown", x_hotro_role or "unknown")


def correcting_actor(actor: Annotated[Actor, Depends(actor_from_headers)]) -> Actor:
    if actor.role not in CORRECTING_ROLES:
        raise Refused(
            403,
            "role",
            f"vai trò {actor.role!r} không được sửa phân loại / the {actor.role!r} role may"
            " not change routing",
            "forbidden",
        )
    return actor


Svc = Annotated[RoutingServices, Depends(_services)]
Caller = Annotated[Actor, Depends(actor_from_headers)]
Operator = Annotated[Actor, Depends(correcting_actor)]
