"""Shared fixtures: the real catalog, loaded once, so tests exercise the data we ship."""

from __future__ import annotations

from pathlib import Path

import pytest

from libs.calendar.business import Calendar
from services.escalation.adapters.sla_config import load_calendars, load_sla_policy
from services.escalation.domain.sla_policy import SlaCatalog

CATALOG = Path(__file__).resolve().parents[3] / "catalog"


@pytest.fixture(scope="session")
def catalog() -> SlaCatalog:
    return load_sla_policy(CATALOG)


@pytest.fixture(scope="session")
def calendars(catalog: SlaCatalog) -> dict[str, Calendar]:
    return load_calendars(CATALOG, catalog)


@pytest.fixture(scope="session")
def treasury(calendars: dict[str, Calendar]) -> Calendar:
    return calendars["treasury"]


@pytest.fixture(scope="session")
def always(calendars: dict[str, Calendar]) -> Calendar:
    return calendars["always"]
