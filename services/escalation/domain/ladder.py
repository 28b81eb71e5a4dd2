"""Where a routed ticket starts on the ladder (SPEC §4): its first tier, owner and handler."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Placement:
    tier: str
    owner: str
    handler: str
    reason: str


def initial_placement(first_handler_kind: str, first_handler_office: str, group: str) -> Placement:
    """The first handler owns the ticket and handles it until someone escalates it.

    A province's IT office answers at L1; central tickets start at L2 in their group's queue;
    outsourced DVC support (ITO) runs its own 24/7 queue.
    """
    if first_handler_kind == "province":
        return Placement(
            "L1",
            first_handler_office,
            first_handler_office,
            f"L1: the requester's provincial IT office {first_handler_office}",
        )
    if first_handler_kind == "ito":
        return Placement("ITO", "ITO", "ITO", "ITO: outsourced 24/7 support for online services")
    return Placement("L2", group, group, f"L2: the central group {group}")
