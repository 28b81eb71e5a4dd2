"""Issue 13: one way to write a date in a Vietnamese mail, one salutation and one signature."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from libs.platform.letters import SIGNATURE, letter, salutation
from libs.text import vietnamese_datetime


def test_a_moment_is_written_as_a_vietnamese_letter_writes_it_in_hanoi_time() -> None:
    assert vietnamese_datetime(datetime(2018, 6, 1, 2, 0, tzinfo=UTC)) == "09:00 ngày 01/06/2018"
    hanoi = datetime(2018, 6, 1, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    assert vietnamese_datetime(hanoi) == "09:00 ngày 01/06/2018"


def test_iso_strings_and_naive_times_from_events_are_accepted() -> None:
    assert vietnamese_datetime("2018-06-01T02:00:00+00:00") == "09:00 ngày 01/06/2018"
    assert vietnamese_datetime("2018-06-01T09:00:00+07:00") == "09:00 ngày 01/06/2018"
    assert vietnamese_datetime(datetime(2018, 5, 31, 23, 30)) == "06:30 ngày 01/06/2018"


def test_seconds_are_written_only_when_asked_and_no_time_is_a_dash() -> None:
    moment = datetime(2026, 12, 31, 17, 5, 9, tzinfo=UTC)
    assert vietnamese_datetime(moment, seconds=True) == "00:05:09 ngày 01/01/2027"
    assert vietnamese_datetime(None) == "—"


def test_a_letter_opens_with_the_salutation_and_closes_with_the_one_signature() -> None:
    body = letter("Nguyễn Thị Lan", "Đoạn một.", "", "Đoạn hai.")
    assert body.startswith("Kính gửi anh/chị Nguyễn Thị Lan,\n\nĐoạn một.\n\nĐoạn hai.\n\n")
    assert body.endswith("\n".join(SIGNATURE) + "\n")
    assert salutation("", title="Trưởng nhóm") == "Kính gửi Trưởng nhóm,"
    assert salutation("Lan\r\nBcc: x@evil.example") == "Kính gửi anh/chị Lan Bcc: x@evil.example,"
    assert salutation() == "Kính gửi anh/chị,"
