"""The analysts' schema: documented in the database, v1 views frozen, a read-only role."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from services.reporting.adapters import analyst_role, projections
from services.reporting.adapters.analyst_role import AnalystSettings
from tests.service.test_reporting_projections import (
    Reporting,
    ladder_walk,
    new_ticket_id,
    reporting,
)

pytestmark = pytest.mark.service

#: The v1 contract: (column, type) in order. Never edit a line: add a v2 view instead.
V1_SHAPES: dict[str, list[tuple[str, str]]] = {
    "v1_outages": [
        ("incident_id", "text"),
        ("source", "text"),
        ("key", "text"),
        ("application", "text"),
        ("check_id", "text"),
        ("province", "text"),
        ("district", "text"),
        ("priority", "text"),
        ("subject", "text"),
        ("status", "text"),
        ("down_since", "timestamp with time zone"),
        ("opened_at", "timestamp with time zone"),
        ("recovered_at", "timestamp with time zone"),
        ("outage_minutes", "double precision"),
        ("reopened", "integer"),
    ],
    "v1_readiness": [
        ("day", "date"),
        ("check_id", "text"),
        ("application", "text"),
        ("name", "text"),
        ("kind", "text"),
        ("ok", "boolean"),
        ("degraded", "boolean"),
        ("reason", "text"),
        ("checked_at", "timestamp with time zone"),
        ("duration_ms", "integer"),
        ("run", "integer"),
        ("late", "boolean"),
    ],
    "v1_readiness_days": [
        ("day", "date"),
        ("run", "integer"),
        ("trigger", "text"),
        ("late", "boolean"),
        ("completed_at", "timestamp with time zone"),
        ("systems_total", "integer"),
        ("systems_ready", "integer"),
        ("report_sent_at", "timestamp with time zone"),
        ("all_green", "boolean"),
    ],
    "v1_wan_channel_outages": [
        ("check_id", "text"),
        ("district", "text"),
        ("province", "text"),
        ("carrier", "text"),
        ("down_since", "timestamp with time zone"),
        ("until", "timestamp with time zone"),
        ("minutes", "numeric"),
        ("reason", "text"),
    ],
    "v1_escalations": [
        ("ticket_id", "uuid"),
        ("number", "text"),
        ("step", "bigint"),
        ("kind", "text"),
        ("from_tier", "text"),
        ("to_tier", "text"),
        ("from_handler", "text"),
        ("to_handler", "text"),
        ("owner", "text"),
        ("actor", "text"),
        ("reason", "text"),
        ("automatic", "boolean"),
        ("at", "timestamp with time zone"),
    ],
    "v1_known_error_tickets": [
        ("known_error_id", "uuid"),
        ("known_error_number", "text"),
        ("ticket_id", "uuid"),
        ("ticket_number", "text"),
        ("linked_at", "timestamp with time zone"),
        ("change", "text"),
    ],
    "v1_known_errors": [
        ("known_error_id", "uuid"),
        ("number", "text"),
        ("application", "text"),
        ("department", "text"),
        ("title", "text"),
        ("status", "text"),
        ("opened_at", "timestamp with time zone"),
        ("fix_in_progress_at", "timestamp with time zone"),
        ("released_at", "timestamp with time zone"),
        ("tickets", "bigint"),
    ],
    "v1_sla": [
        ("ticket_id", "uuid"),
        ("number", "text"),
        ("cycle", "integer"),
        ("started_at", "timestamp with time zone"),
        ("policy", "text"),
        ("priority", "text"),
        ("response_due", "timestamp with time zone"),
        ("responded_at", "timestamp with time zone"),
        ("response_met", "boolean"),
        ("resolution_due", "timestamp with time zone"),
        ("resolved_at", "timestamp with time zone"),
        ("resolution_met", "boolean"),
        ("paused", "boolean"),
        ("response_breached", "boolean"),
        ("resolution_breached", "boolean"),
    ],
    "v1_status_changes": [
        ("ticket_id", "uuid"),
        ("number", "text"),
        ("seq", "bigint"),
        ("status", "text"),
        ("previous_status", "text"),
        ("started_at", "timestamp with time zone"),
        ("ended_at", "timestamp with time zone"),
        ("duration_s", "numeric"),
        ("actor", "text"),
        ("reason", "text"),
        ("cause", "text"),
        ("source", "text"),
    ],
    "v1_tickets": [
        ("ticket_id", "uuid"),
        ("number", "text"),
        ("channel", "text"),
        ("subject", "text"),
        ("unit_code", "text"),
        ("unit_kind", "text"),
        ("province", "text"),
        ("picked_application", "text"),
        ("application", "text"),
        ("group_code", "text"),
        ("type", "text"),
        ("priority", "text"),
        ("first_handler_kind", "text"),
        ("first_handler_office", "text"),
        ("policy_version", "text"),
        ("first_tier", "text"),
        ("tier", "text"),
        ("owner", "text"),
        ("handler", "text"),
        ("assignee", "text"),
        ("status", "text"),
        ("cause", "text"),
        ("received_at", "timestamp with time zone"),
        ("routed_at", "timestamp with time zone"),
        ("assigned_at", "timestamp with time zone"),
        ("first_resolved_at", "timestamp with time zone"),
        ("resolved_at", "timestamp with time zone"),
        ("closed_at", "timestamp with time zone"),
        ("reopened", "integer"),
        ("parent_id", "uuid"),
        ("escalations", "integer"),
        ("returns", "integer"),
        ("max_tier", "text"),
        ("response_breached", "boolean"),
        ("resolution_breached", "boolean"),
        ("reclassified", "boolean"),
        ("first_contact_resolution", "boolean"),
        ("resolved_at_province", "boolean"),
    ],
}


@pytest.fixture
async def model(database_url: str) -> AsyncIterator[Reporting]:
    async with reporting(database_url) as model:
        yield model


async def test_every_table_view_and_column_says_what_it_means_in_vietnamese_and_english(
    model: Reporting,
) -> None:
    rows = await model.rows(
        "SELECT c.relname AS relation, a.attname AS col,"
        " obj_description(c.oid, 'pg_class') AS relation_doc,"
        " col_description(c.oid, a.attnum) AS column_doc"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
        " WHERE n.nspname = 'reporting' AND c.relkind IN ('r', 'v')"
    )
    relations = {r["relation"] for r in rows}
    assert {"tickets", "v1_tickets", "v1_sla", "v1_escalations", "v1_status_changes"} <= relations
    undocumented = sorted(
        f"{r['relation']}.{r['col']}"
        for r in rows
        if not (r["column_doc"] and " / " in r["column_doc"])
    )
    assert undocumented == []
    assert all(r["relation_doc"] and " / " in r["relation_doc"] for r in rows)


async def test_the_v1_views_keep_their_shape(model: Reporting) -> None:
    rows = await model.rows(
        "SELECT table_name AS view, column_name AS col, data_type AS type"
        " FROM information_schema.columns WHERE table_schema = 'reporting'"
        " AND table_name LIKE 'v1\\_%%' ORDER BY table_name, ordinal_position"
    )
    shapes: dict[str, list[tuple[str, str]]] = {}
    for r in rows:
        shapes.setdefault(r["view"], []).append((r["col"], r["type"]))
    assert shapes == V1_SHAPES


@pytest.fixture
async def analyst(model: Reporting, database_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """A read-only role of this test's own (roles are shared by the whole cluster)."""
    settings = AnalystSettings(
        role=f"analyst_{uuid.uuid4().hex[:8]}",
        password=None,
        password_file=tmp_path / "state" / "analyst-password",
        statement_timeout="5s",
    )
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute("CREATE SCHEMA intake")
        admin.execute("CREATE TABLE intake.ticket_view (id int, subject text)")
        admin.execute("INSERT INTO intake.ticket_view VALUES (1, 'bí mật')")
    await model.feed(*ladder_walk(new_ticket_id(), "YC-2026-000100"))
    access = await analyst_role.ensure_analyst_role(model.pool, "reporting", settings)
    assert access.managed and access.granted
    again = await analyst_role.ensure_analyst_role(model.pool, "reporting", settings)
    assert again.managed, "a second start finds the role and keeps it"
    password = settings.password_file.read_text().strip()
    assert len(password) >= 24 and settings.password_file.stat().st_mode & 0o077 == 0
    url = analyst_role.analyst_url(database_url, settings.role)
    yield url.replace("@", f":{password}@", 1)
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(f"DROP OWNED BY {settings.role}")
        admin.execute(f"DROP ROLE {settings.role}")


async def test_the_analyst_role_reads_the_views_and_nothing_else(analyst: str) -> None:
    with psycopg.connect(analyst, autocommit=True) as conn:
        for view in V1_SHAPES:
            conn.execute(f"SELECT * FROM {view} LIMIT 1")  # search_path is reporting
        (tier,) = conn.execute("SELECT tier FROM reporting.v1_tickets").fetchone() or (None,)
        assert tier == "L1"
        assert conn.execute("SHOW statement_timeout").fetchone() == ("5s",)
        assert conn.execute("SHOW default_transaction_read_only").fetchone() == ("on",)

        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT * FROM intake.ticket_view")
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("DELETE FROM reporting.tickets")

        # Even with read-only transactions switched off, the grants refuse every write.
        conn.execute("SET default_transaction_read_only = off")
        for statement in (
            "DELETE FROM reporting.tickets",
            "UPDATE reporting.tickets SET tier = 'L4'",
            "INSERT INTO reporting.status_changes (event_id, ticket_id, status, at, source,"
            " position) VALUES ('x', gen_random_uuid(), 'new', now(), 'submitted', 1)",
            "CREATE TABLE reporting.mine (x int)",
            "CREATE TABLE public.mine (x int)",
            "DROP VIEW reporting.v1_tickets",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
        assert conn.execute("SELECT count(*) FROM reporting.v1_tickets").fetchone() == (1,)


async def test_tables_made_later_are_readable_by_the_analyst_too(
    analyst: str, model: Reporting
) -> None:
    async with model.pool.connection() as conn:
        await conn.execute("CREATE TABLE reporting.later (x int)")
        await conn.execute("INSERT INTO reporting.later VALUES (7)")
    with psycopg.connect(analyst) as conn:
        assert conn.execute("SELECT x FROM reporting.later").fetchone() == (7,)


async def test_a_database_user_that_may_not_create_roles_starts_without_one(
    model: Reporting, database_url: str, tmp_path: Path
) -> None:
    plain = f"svc_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {plain} LOGIN NOCREATEROLE")
    try:
        url = analyst_role.analyst_url(database_url, plain)
        settings = analyst_role.analyst_settings(
            {"HOTRO_STATE_DIR": str(tmp_path), "HOTRO_ANALYST_ROLE": f"nobody_{plain}"}
        )
        async with AsyncConnectionPool(url, open=False) as pool:
            access = await analyst_role.ensure_analyst_role(pool, "reporting", settings)
        assert (access.managed, access.granted) == (False, False)
        assert "may not create roles" in access.note
        assert not settings.password_file.exists()
    finally:
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute(f"DROP ROLE {plain}")


def test_bad_analyst_settings_name_the_variable() -> None:
    with pytest.raises(analyst_role.SettingError, match="HOTRO_ANALYST_ROLE"):
        analyst_role.analyst_settings({"HOTRO_ANALYST_ROLE": "x; DROP TABLE y"})
    with pytest.raises(analyst_role.SettingError, match="HOTRO_ANALYST_STATEMENT_TIMEOUT"):
        analyst_role.analyst_settings({"HOTRO_ANALYST_STATEMENT_TIMEOUT": "forever"})


async def test_a_new_projections_version_rebuilds_from_the_log_and_then_keeps_its_rows(
    database_url: str,
) -> None:
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute("CREATE SCHEMA reporting")
        admin.execute(
            "CREATE TABLE reporting.projection_tracking (consumer text, stream text,"
            " position bigint, PRIMARY KEY (consumer, stream))"
        )
        admin.execute(
            "INSERT INTO reporting.projection_tracking VALUES ('reporting.tickets', 's', 9)"
        )
        admin.execute("CREATE TABLE reporting.tickets (ticket_id uuid PRIMARY KEY, tier text)")
        admin.execute("INSERT INTO reporting.tickets VALUES (gen_random_uuid(), 'L4')")
    async with reporting(database_url) as model:  # the first start of this version
        assert await model.rows("SELECT * FROM reporting.tickets") == []
        assert await model.rows("SELECT * FROM reporting.projection_tracking") == []
        await model.feed(*ladder_walk(new_ticket_id(), "YC-2026-000200"))
        assert await projections.ensure_schema(model.pool, "reporting") is False
        rows = await model.rows("SELECT tier, returns FROM reporting.v1_tickets")
        assert rows == [{"tier": "L1", "returns": 1}]
