"""The routing record: corrections, links and the cascade as events with their invariants."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from services.routing.domain.decision import NothingToChange, RoutingRefused, TicketRouting

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def routing(
    ticket_id: str, group: str = "TABMIS", application: str | None = "TABMIS"
) -> TicketRouting:
    return TicketRouting(
        id=uuid.uuid4(),
        ticket_id=ticket_id,
        group=group,
        type="incident",
        application=application,
        picked_application=None,
        classification={"model_version": "rules-2", "confidence": 0.9, "source": "text_match"},
        first_handler={},
        received_at=NOW,
        priority="P3",
        reasons=["text names TABMIS"],
        text="Không vào được TABMIS",
    )


def link(child: TicketRouting, parent: TicketRouting, **kwargs: object) -> None:
    child.link_to(
        parent,
        automatic=False,
        similarity=None,
        reasons=[],
        actor="op",
        at=NOW,
        **kwargs,  # type: ignore[arg-type]
    )


def test_a_reclassification_keeps_the_previous_labels_on_its_event() -> None:
    ticket = routing("A")

    ticket.reclassify(
        group="PAYMENT",
        type="incident",
        application="TTSP",
        actor="op",
        role="group_agent",
        reason="TTSP",
        at=NOW,
    )

    event = ticket.collect_events()[-1]
    assert type(event).__name__ == "Reclassified"
    assert event.previous == {"group": "TABMIS", "type": "incident", "application": "TABMIS"}  # type: ignore[attr-defined]
    assert (ticket.group, ticket.application) == ("PAYMENT", "TTSP")


def test_a_reclassification_that_changes_nothing_is_refused() -> None:
    ticket = routing("A")

    with pytest.raises(NothingToChange):
        ticket.reclassify(
            group="TABMIS",
            type="incident",
            application="TABMIS",
            actor="op",
            role="admin",
            reason="",
            at=NOW,
        )


def test_a_child_is_linked_and_unlinked() -> None:
    parent, child = routing("A"), routing("B")

    link(child, parent)
    assert child.parent_id == "A"
    child.unlink(actor="op", reason="khác sự cố", at=NOW)

    assert child.parent_id is None
    assert [type(e).__name__ for e in child.collect_events()] == ["Routed", "Linked", "Unlinked"]


@pytest.mark.parametrize(
    "case",
    [
        "itself",
        "already linked elsewhere",
        "parent is a child",
        "child has children",
        "parent resolved",
    ],
)
def test_links_that_would_break_an_outage_are_refused(case: str) -> None:
    parent, child, other = routing("A"), routing("B"), routing("C")
    kwargs: dict[str, object] = {}
    if case == "itself":
        parent = child
    elif case == "already linked elsewhere":
        link(child, other)
    elif case == "parent is a child":
        link(parent, other)
    elif case == "child has children":
        kwargs["has_children"] = True
    else:
        parent.note_status("resolved", NOW)

    with pytest.raises(RoutingRefused):
        link(child, parent, **kwargs)


def test_linking_twice_to_the_same_parent_changes_nothing() -> None:
    parent, child = routing("A"), routing("B")
    link(child, parent)

    with pytest.raises(NothingToChange):
        link(child, parent)


def test_statuses_heard_from_intake_open_and_close_the_outage() -> None:
    ticket = routing("A")

    ticket.note_status("in_progress", NOW)
    ticket.note_status("resolved", NOW)
    ticket.note_status("reopened", NOW)

    names = [type(e).__name__ for e in ticket.collect_events()]
    assert names == ["Routed", "StatusNoted", "StatusNoted"]
    assert ticket.status == "open"


def test_a_childs_resolution_is_requested_with_the_parents_cause() -> None:
    parent, child = routing("A"), routing("B")
    link(child, parent)

    child.request_resolution(parent=parent, cause="infrastructure", note="đã khắc phục", at=NOW)

    event = child.collect_events()[-1]
    assert (event.parent_id, event.parent_cause) == ("A", "infrastructure")  # type: ignore[attr-defined]
