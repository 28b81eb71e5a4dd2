"""The command bodies the gateway and the owning service share (libs/events/commands.py)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from libs.events.commands import KnownErrorMove, is_known_error_number
from services.escalation.domain.known_errors import known_error_number


def test_known_error_numbers_are_recognised_in_any_case() -> None:
    assert is_known_error_number(known_error_number(2026, "TABMIS", 1))
    assert is_known_error_number("ke-2026-ttlkb_t4-012")
    assert is_known_error_number("KE-2026-KTKB-ANQP-003")
    for not_a_number in ("KE-2026", "YC-2026-000001", "9b2f…", "KE-26-TABMIS-001"):
        assert not is_known_error_number(not_a_number)


def test_a_known_error_move_names_its_status_and_nothing_else() -> None:
    assert KnownErrorMove(status="released").note == ""
    with pytest.raises(ValidationError):
        KnownErrorMove.model_validate({"status": "open"})
    with pytest.raises(ValidationError):
        KnownErrorMove.model_validate({"status": "released", "colour": "red"})
