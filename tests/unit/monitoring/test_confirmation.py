"""The confirmation state machine: a blip is not an outage; maintenance; flapping (SPEC §5)."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.monitoring.domain.confirmation import (
    DOWN,
    MAINTENANCE,
    STATES,
    UNKNOWN,
    UP,
    TargetState,
    Thresholds,
    Transition,
    observe,
)
from tests.unit.monitoring.factories import T0

RULES = Thresholds(
    confirm_failures=2,
    confirm_recoveries=2,
    flap_window_s=3600,
    flap_max_changes=4,
    flap_confirm_recoveries=5,
)
MINUTE = timedelta(minutes=1)


def feed(
    results: str,
    state: TargetState | None = None,
    start: datetime = T0,
    rules: Thresholds = RULES,
    maintenance: set[int] | None = None,
) -> tuple[TargetState, list[Transition]]:
    """`results` is a string of '+' (ok) and '-' (failed), one a minute from `start`."""
    current = state or TargetState()
    transitions = []
    for i, mark in enumerate(results):
        window = "bảo trì" if maintenance and i in maintenance else None
        current, change = observe(
            current, mark == "+", start + i * MINUTE, f"fail {i}", rules, window
        )
        if change is not None:
            transitions.append(change)
    return current, transitions


def test_a_new_target_is_unknown_until_its_results_confirm_a_state() -> None:
    state, changes = feed("+")
    assert state.state == UNKNOWN and changes == []
    state, changes = feed("++")
    assert state.state == UP
    assert [(c.previous, c.state) for c in changes] == [(UNKNOWN, UP)]


def test_a_single_blip_is_not_an_outage() -> None:
    state, changes = feed("++-+-+-++")
    assert state.state == UP
    assert [c.state for c in changes] == [UP]


def test_consecutive_failures_make_it_down_since_the_first_failure() -> None:
    state, changes = feed("++---")
    down = changes[-1]
    assert (down.previous, down.state) == (UP, DOWN)
    assert down.since == T0 + 2 * MINUTE  # the first failed check, not the confirming one
    assert down.at == T0 + 3 * MINUTE
    assert down.reason == "fail 3" and down.failures == 2
    assert down.previous_since == T0  # up since the first success of its streak
    assert state.state == DOWN


def test_recovery_needs_consecutive_successes_and_gives_the_outage() -> None:
    _, changes = feed("++--+-++")
    down, up = changes[-2], changes[-1]
    assert (down.state, up.state) == (DOWN, UP)
    assert up.since == T0 + 6 * MINUTE
    assert up.previous_since == down.since
    assert up.since - up.previous_since == 4 * MINUTE  # the outage's duration


def test_thresholds_come_from_the_check() -> None:
    strict = Thresholds(confirm_failures=3, confirm_recoveries=1)
    state, _ = feed("++--", rules=strict)
    assert state.state == UP
    state, changes = feed("++---+", rules=strict)
    assert [c.state for c in changes] == [UP, DOWN, UP]


def test_a_maintenance_window_suppresses_the_outage_and_its_end_lands_on_the_proven_state() -> None:
    state, changes = feed("++----+", maintenance={2, 3, 4})
    assert [c.state for c in changes] == [UP, MAINTENANCE, DOWN]
    assert changes[1].reason == "bảo trì"
    # the failures counted inside the window prove it down when the window ends
    assert changes[2].previous == MAINTENANCE
    assert state.state == DOWN


def test_a_window_ending_without_proof_leaves_it_unknown() -> None:
    state, changes = feed("++--+", maintenance={2, 3})
    assert [c.state for c in changes] == [UP, MAINTENANCE, UNKNOWN]
    state, changes = feed("+", state)
    assert state.state == UP


def test_a_flapping_target_stays_down_longer_instead_of_opening_incident_after_incident() -> None:
    # down/up/down/up within the hour: four changes, it is flapping now
    state, changes = feed("++--++--++--")
    assert state.state == DOWN and changes[-1].flapping
    # two successes would normally be enough; a flapping target needs five
    state, more = feed("++++", state, start=T0 + 12 * MINUTE)
    assert state.state == DOWN and more == []
    state, more = feed("+", state, start=T0 + 16 * MINUTE)
    assert state.state == UP and more[0].flapping


def test_flapping_is_forgotten_after_its_window() -> None:
    state, _ = feed("++--++--++--")
    later = T0 + timedelta(hours=3)
    state, changes = feed("++", state, start=later)
    assert state.state == UP and not changes[0].flapping


def test_the_state_survives_a_snapshot() -> None:
    state, _ = feed("++--++-")
    assert TargetState.from_snapshot(state.snapshot()) == state


@given(st.lists(st.tuples(st.booleans(), st.booleans()), max_size=60))
def test_invariants_hold_for_any_sequence(results: list[tuple[bool, bool]]) -> None:
    current = TargetState()
    for i, (ok, in_window) in enumerate(results):
        at = T0 + i * MINUTE
        new, change = observe(current, ok, at, "r", RULES, "w" if in_window else None)
        assert new.state in STATES
        if change is None:
            assert new.state == current.state
        else:
            assert change.state != change.previous == current.state
            assert change.since <= at
        if in_window:
            assert new.state == MAINTENANCE
        if new.state == DOWN and change is not None and change.previous != MAINTENANCE:
            assert new.failures >= RULES.confirm_failures
        current = new
