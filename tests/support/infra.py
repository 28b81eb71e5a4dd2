"""Starting and stopping the real servers the service and e2e tests use."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tools.embedded import Broker, free_port, start_postgres, stop_postgres


@dataclass
class Infra:
    admin_url: str
    bootstrap: str
    broker: Broker | None = None
    _base: str = field(default="")

    def url_for(self, database: str) -> str:
        return self.admin_url.rsplit("/", 1)[0] + f"/{database}"

    def restart_broker(self) -> None:
        """Only the embedded broker can be restarted; it comes back empty (memory storage)."""
        if self.broker is None:
            raise RuntimeError("restart_broker needs HOTRO_TEST_INFRA=embedded")
        self.broker.restart()


@contextmanager
def start_infra(mode: str, state: Path) -> Iterator[Infra]:
    if mode == "external":
        yield Infra(os.environ["DATABASE_URL"], os.environ["KAFKA_BOOTSTRAP_SERVERS"])
    elif mode == "containers":
        with _containers() as infra:
            yield infra
    elif mode == "embedded":
        pg_dir = state / f"postgres-{os.getpid()}"
        url = start_postgres(pg_dir, free_port(), database="postgres")
        broker = Broker(free_port(), state / "broker.log")
        broker.start()
        try:
            yield Infra(url, broker.bootstrap, broker)
        finally:
            broker.stop()
            stop_postgres(pg_dir)
            import shutil

            shutil.rmtree(pg_dir, ignore_errors=True)
    else:
        raise ValueError(f"HOTRO_TEST_INFRA must be embedded, external or containers, not {mode!r}")


@contextmanager
def _containers() -> Iterator[Infra]:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.postgres import PostgresContainer

    with PostgresContainer("postgres:17", driver=None) as pg, KafkaContainer() as kafka:
        yield Infra(pg.get_connection_url(), kafka.get_bootstrap_server())
