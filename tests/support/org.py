"""The organisation in force today, for tests of tickets submitted "now" (issue 14).

Since the 2025 reorganisation the local L1 of a province is the IT function of its regional
treasury; a test that submits a ticket today asks this module which office that is instead of
writing a code that the next reorganisation would make wrong.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo

from libs.catalog import Catalog, load_catalog

VN = ZoneInfo("Asia/Ho_Chi_Minh")
#: The policy version in force today (the fourth, from the 2025 two-level organisation).
TODAY_POLICY = "phase-4"


@cache
def catalog() -> Catalog:
    return load_catalog()


def today() -> date:
    return datetime.now(VN).date()


def l1_office(province: str, on: date | None = None) -> str:
    """The office that answers `province` at L1 on `on` (default today)."""
    view = catalog().as_of(on or today())
    regional = view.regional_office(province)
    return regional or catalog().provinces[province].it_office


def unit_in_force(code: str, on: date | None = None) -> str:
    """The unit code a new request naming `code` is filed under (its successor if closed)."""
    found = catalog().as_of(on or today()).unit(code)
    assert found is not None, code
    return found.code


def unit_l1_office(code: str, on: date | None = None) -> str:
    """The L1 office of the unit that carries `code` on (a district treasury's successor)."""
    found = catalog().as_of(on or today()).unit(code)
    assert found is not None and found.it_office is not None, code
    return found.it_office
