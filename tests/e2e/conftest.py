"""The five services as separate processes, on a fresh database and their own topics."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from tests.support.infra import Infra
from tools.embedded import free_port
from tools.suite import ROOT, SERVICES, Suite


@pytest.fixture(scope="module")
def suite_env() -> dict[str, str]:
    """Extra environment for a module's services; a module overrides it (an IMAP server …)."""
    return {}


@pytest.fixture(scope="module")
def suite(infra: Infra, suite_env: dict[str, str]) -> Iterator[Suite]:
    name = f"e2e_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(infra.admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    running = Suite(
        database_url=infra.url_for(name),
        bootstrap=infra.bootstrap,
        log_dir=ROOT / ".hotro" / "test" / name,
        # "smtp" becomes HOTRO_SMTP_PORT: intake's SMTP listener on a free port too.
        ports={service: free_port() for service in (*SERVICES, "smtp")},
        admin_token=secrets.token_urlsafe(16),
        extra_env={
            "HOTRO_TOPIC_PREFIX": f"{name}.",
            "HOTRO_REBALANCE_TIMEOUT_S": "3",
            "HOTRO_SLA_SCAN_S": "1",
            # The shipped estate names the treasury's real hosts: a module that tests the
            # checks gives its own HOTRO_CHECKS_FILE and turns the checker on.
            "HOTRO_CHECKER_ENABLED": "0",
            "HOTRO_READINESS_ENABLED": "0",
            # Secrets a service keeps (the analyst's password) stay in this suite's folder.
            "HOTRO_STATE_DIR": str(ROOT / ".hotro" / "test" / name),
            **suite_env,
        },
    )
    running.start_all()
    try:
        running.wait_ready(timeout_s=90)
        yield running
    finally:
        running.stop_all()
        with psycopg.connect(infra.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
