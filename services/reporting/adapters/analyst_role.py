"""The read-only PostgreSQL role analysts connect with (SPEC §6, §8: an analyst never writes).

At start-up reporting makes sure the role exists (when its database user may create roles;
on Kubernetes CloudNativePG creates it instead) and may read the reporting schema and nothing
else: `SELECT` on reporting's tables and views, present and future, no other schema, with a
statement timeout and read-only transactions so one heavy query cannot hold the database.

Settings: `HOTRO_ANALYST_ROLE` (default `hotro_analyst`), `HOTRO_ANALYST_PASSWORD` (else one
generated on first use and kept in `<state folder>/analyst-password`, mode 600; the state
folder is `HOTRO_STATE_DIR`, default `.hotro/`), `HOTRO_ANALYST_STATEMENT_TIMEOUT` (default
`60s`). When reporting manages the role, the role's password is set to that value at every
start, so the file never lies.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse, urlunparse

from psycopg import AsyncConnection, errors, sql
from psycopg_pool import AsyncConnectionPool

from libs.platform.settings import SettingError

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[3]
DEFAULT_ROLE = "hotro_analyst"
DEFAULT_TIMEOUT = "60s"
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_TIMEOUT = re.compile(r"^\d+\s*(ms|s|min|h)?$")


@dataclass(frozen=True)
class AnalystSettings:
    role: str
    password: str | None
    password_file: Path
    statement_timeout: str


@dataclass(frozen=True)
class AnalystAccess:
    """What start-up achieved: `managed` when reporting created or updated the role itself."""

    role: str
    managed: bool
    granted: bool
    note: str = ""


def state_dir() -> Path:
    return Path(os.environ.get("HOTRO_STATE_DIR") or ROOT / ".hotro")


def analyst_settings(env: dict[str, str] | None = None) -> AnalystSettings:
    env = dict(os.environ) if env is None else env
    role = env.get("HOTRO_ANALYST_ROLE") or DEFAULT_ROLE
    if not _IDENTIFIER.match(role):
        raise SettingError(f"HOTRO_ANALYST_ROLE must be a lower-case SQL name, not {role!r}")
    timeout = env.get("HOTRO_ANALYST_STATEMENT_TIMEOUT") or DEFAULT_TIMEOUT
    if not _TIMEOUT.match(timeout):
        raise SettingError(
            f"HOTRO_ANALYST_STATEMENT_TIMEOUT must be like 60s, 5min or 30000ms, not {timeout!r}"
        )
    folder = Path(env.get("HOTRO_STATE_DIR") or ROOT / ".hotro")
    return AnalystSettings(
        role=role,
        password=env.get("HOTRO_ANALYST_PASSWORD") or None,
        password_file=folder / "analyst-password",
        statement_timeout=timeout,
    )


def kept_password(path: Path) -> str:
    """The generated password, created once (atomically: two processes agree on one)."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(24)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as file:
        file.write(password + "\n")
    return password


def analyst_url(database_url: str, role: str) -> str:
    """DATABASE_URL with the analyst's role instead of the service's user (no password)."""
    url = urlparse(database_url)
    host = url.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{quote(role)}@{host}" + (f":{url.port}" if url.port else "")
    return urlunparse(url._replace(netloc=netloc, query=""))


def psql_command(database_url: str, settings: AnalystSettings) -> str:
    """What `make run` prints for analysts (the password stays in its file)."""
    source = (
        "$HOTRO_ANALYST_PASSWORD" if settings.password else f'"$(cat {settings.password_file})"'
    )
    return f"PGPASSWORD={source} psql '{analyst_url(database_url, settings.role)}'"


async def ensure_analyst_role(
    pool: AsyncConnectionPool[Any], schema: str, settings: AnalystSettings
) -> AnalystAccess:
    """Create or update the role when allowed, then grant it the reporting schema only."""
    async with pool.connection() as conn:
        await conn.set_autocommit(True)
        try:
            managed, note = await _ensure_role(conn, schema, settings)
            granted = await _grant(conn, schema, settings.role)
        finally:
            await conn.set_autocommit(False)
    access = AnalystAccess(settings.role, managed, granted, note)
    log.info(
        "analyst role",
        extra={"role": access.role, "managed": managed, "granted": granted, "note": note},
    )
    return access


async def _ensure_role(
    conn: AsyncConnection[Any], schema: str, settings: AnalystSettings
) -> tuple[bool, str]:
    cur = await conn.execute(
        "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user"
    )
    row = await cur.fetchone()
    if not row or not row[0]:
        return False, "the database user may not create roles; the role is managed outside"
    password = settings.password or kept_password(settings.password_file)
    role = sql.Identifier(settings.role)
    options = sql.SQL(
        "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD {}"
    ).format(sql.Literal(password))
    try:
        await conn.execute(sql.SQL("CREATE ROLE {} ").format(role) + options)
    except errors.DuplicateObject:
        await conn.execute(sql.SQL("ALTER ROLE {} ").format(role) + options)
    for setting, value in (
        ("statement_timeout", settings.statement_timeout),
        ("idle_in_transaction_session_timeout", settings.statement_timeout),
        ("default_transaction_read_only", "on"),
        ("search_path", schema),
    ):
        await conn.execute(
            sql.SQL("ALTER ROLE {} SET {} = {}").format(
                role, sql.Identifier(setting), sql.Literal(value)
            )
        )
    return True, ""


async def _grant(conn: AsyncConnection[Any], schema: str, role_name: str) -> bool:
    """SELECT on the schema's tables and views, now and later; False if the role is absent."""
    cur = await conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role_name,))
    if await cur.fetchone() is None:
        return False
    role, s = sql.Identifier(role_name), sql.Identifier(schema)
    for statement in (
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(s, role),
        sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(s, role),
        sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT SELECT ON TABLES TO {}").format(
            s, role
        ),
    ):
        try:
            await conn.execute(statement)
        except errors.InsufficientPrivilege as error:
            log.warning("cannot grant the analyst role", extra={"error": str(error)})
            return False
    return True
