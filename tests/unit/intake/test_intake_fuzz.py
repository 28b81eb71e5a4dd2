"""Fuzzing the whole intake decision: any bytes end as a ticket, a comment, ignored, or a dead
letter with a reason — never an exception (SPEC §2: nothing is dropped)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.intake.domain.inbound_mail import OUTCOMES
from services.intake.domain.mail.parser import PARSER_FAILURE
from services.intake.domain.mail_decision import ThreadIndex, decide_raw
from tests.unit.intake.test_mail_decision import INDEX
from tests.unit.intake.test_mail_fuzz import mutated

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_one_outcome_with_a_reason(raw: bytes, index: ThreadIndex) -> None:
    decision = decide_raw(raw, index)
    assert decision.outcome in OUTCOMES
    assert decision.reason and not decision.reason.startswith(PARSER_FAILURE), decision.reason
    if decision.outcome == "comment":
        assert decision.ticket_number in index.ticket_numbers
        assert decision.ticket_number not in index.closed
    if decision.outcome != "ticket":
        assert not decision.acknowledge
    if decision.parsed is not None and not decision.parsed.may_be_acknowledged:
        assert decision.outcome in ("ignored", "dead_letter")


@FUZZ
@given(mutated())
def test_mutated_real_messages_end_in_one_of_the_four_outcomes(raw: bytes) -> None:
    assert_one_outcome_with_a_reason(raw, INDEX)


@FUZZ
@given(st.binary(max_size=4096))
def test_random_bytes_end_in_one_of_the_four_outcomes(raw: bytes) -> None:
    assert_one_outcome_with_a_reason(raw, INDEX)
