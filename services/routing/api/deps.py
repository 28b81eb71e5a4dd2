"""What routing's routes need: the wired adapters and who is asking."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from libs.catalog.model import Catalog
from libs.platform.caller import Caller, caller_from_assertion
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


#: The caller as the gateway vouches for them (name and role are what routing needs).
Actor = Caller


def _services(request: Request) -> RoutingServices:
    services: RoutingServices = request.app.state.routing
    return services


def correcting_actor(actor: Annotated[Actor, Depends(caller_from_assertion)]) -> Actor:
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
Caller = Annotated[Actor, Depends(caller_from_assertion)]
Operator = Annotated[Actor, Depends(correcting_actor)]
