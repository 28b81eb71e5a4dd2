"""The analyst role's settings, connection string and generated password."""

from __future__ import annotations

from pathlib import Path

from services.reporting.adapters.analyst_role import (
    analyst_settings,
    analyst_url,
    kept_password,
    psql_command,
)


def test_the_analyst_url_swaps_the_user_and_drops_the_password() -> None:
    url = analyst_url("postgresql://hotro:s3cret@db.local:5432/hotro?sslmode=require", "ro")
    assert url == "postgresql://ro@db.local:5432/hotro"
    assert "s3cret" not in url


def test_the_psql_command_reads_the_password_from_where_it_is_kept(tmp_path: Path) -> None:
    kept = analyst_settings({"HOTRO_STATE_DIR": str(tmp_path)})
    assert kept.role == "hotro_analyst" and kept.statement_timeout == "60s"
    command = psql_command("postgresql://postgres@127.0.0.1:54329/hotro", kept)
    assert command == (
        f'PGPASSWORD="$(cat {tmp_path}/analyst-password)" psql'
        " 'postgresql://hotro_analyst@127.0.0.1:54329/hotro'"
    )
    given = analyst_settings({"HOTRO_ANALYST_PASSWORD": "pw", "HOTRO_ANALYST_ROLE": "analyst"})
    assert psql_command("postgresql://h/db", given).startswith("PGPASSWORD=$HOTRO_ANALYST_PASSWORD")


def test_a_generated_password_is_made_once_and_kept_private(tmp_path: Path) -> None:
    path = tmp_path / "state" / "analyst-password"
    first = kept_password(path)
    assert kept_password(path) == first and len(first) >= 24
    assert path.stat().st_mode & 0o777 == 0o600
