"""Settings from the environment: the same code runs on the embedded default and on real servers."""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import unquote, urlparse


class SettingError(RuntimeError):
    """A setting is missing or malformed; the message names the variable to change."""


def positive_seconds(name: str, default: float) -> float:
    """A duration setting in seconds, from the environment; a word or a zero names itself."""
    try:
        seconds = float(os.environ.get(name, default))
    except ValueError:
        raise SettingError(f"{name} must be a number of seconds") from None
    if seconds <= 0:
        raise SettingError(f"{name} must be positive")
    return seconds


@dataclass(frozen=True)
class Settings:
    service: str
    database_url: str
    kafka_bootstrap_servers: str
    topic_prefix: str
    http_host: str
    http_port: int
    rebalance_timeout_s: float

    @property
    def schema(self) -> str:
        return self.service

    def topic(self, base: str) -> str:
        return f"{self.topic_prefix}{base}"


DEFAULT_PORTS = {
    "intake": 8000,
    "routing": 8001,
    "escalation": 8002,
    "monitoring": 8003,
    "reporting": 8004,
    "knowledge": 8005,
}


def load_settings(service: str) -> Settings:
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url:
        raise SettingError(
            "DATABASE_URL is not set (e.g. postgresql://postgres@127.0.0.1:5432/hotro)"
        )
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "")
    if not bootstrap:
        raise SettingError("KAFKA_BOOTSTRAP_SERVERS is not set (e.g. 127.0.0.1:9092)")
    port_var = f"HOTRO_{service.upper()}_PORT"
    try:
        port = int(os.environ.get(port_var, DEFAULT_PORTS[service]))
    except ValueError as error:
        raise SettingError(f"{port_var} must be a port number") from error
    return Settings(
        service=service,
        database_url=database_url,
        kafka_bootstrap_servers=bootstrap,
        topic_prefix=os.environ.get("HOTRO_TOPIC_PREFIX", ""),
        http_host=os.environ.get("HOTRO_HTTP_HOST", "127.0.0.1"),
        http_port=port,
        rebalance_timeout_s=float(os.environ.get("HOTRO_REBALANCE_TIMEOUT_S", "6")),
    )


def eventsourcing_env(database_url: str, schema: str) -> dict[str, str]:
    """The `eventsourcing` library's PostgreSQL settings for one service's schema."""
    url = urlparse(database_url)
    if url.scheme not in ("postgresql", "postgres"):
        raise SettingError(f"DATABASE_URL must start with postgresql://, got {url.scheme}://")
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": (url.path or "/postgres").lstrip("/") or "postgres",
        "POSTGRES_HOST": url.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(url.port or 5432),
        "POSTGRES_USER": unquote(url.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(url.password or ""),
        "POSTGRES_SCHEMA": schema,
        "POSTGRES_POOL_SIZE": "5",
        "POSTGRES_MAX_OVERFLOW": "10",
        "CREATE_TABLE": "y",
    }
